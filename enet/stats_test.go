// stats_test.go tests the MIB verdicts (never faked) and the ring counters
// in the snapshot.

package enet

import "testing"

func TestMIBUnknownThenUnsupported(t *testing.T) {
	m, _, p := startedMAC(t, 8)
	if v := m.ReadMIB(); v.Status != MIBUnknown {
		t.Fatalf("before traffic: %v (%s)", v.Status, v.Reason)
	}
	p.arrive(5)
	loopOf(t, m, nil).Drain()
	v := m.ReadMIB()
	if v.Status != MIBUnsupported || v.Reason == "" || v.RxPackets != 0 {
		t.Fatalf("QEMU-like zeros after traffic: %+v", v)
	}
	if v.Status.String() != "unsupported" {
		t.Error(v.Status.String())
	}
}

func TestMIBSupported(t *testing.T) {
	m, f, _ := startedMAC(t, 8)
	f.mib[mibRMON_R_PACKETS] = 7
	f.mib[mibIEEE_T_OCTETS_OK] = 1234
	v := m.ReadMIB()
	if v.Status != MIBSupported || v.RxPackets != 7 || v.TxOctetsOK != 1234 {
		t.Fatalf("%+v", v)
	}
	// Counters cleared later do not turn the verdict back.
	f.mib = map[uint32]uint32{}
	if v := m.ReadMIB(); v.Status != MIBSupported {
		t.Errorf("verdict flipped: %v", v.Status)
	}
}

func TestMIBDisabledByHardware(t *testing.T) {
	bus := newFakeBus(0)
	f := newFakeENET(bus)
	f.mibStuckOff = true
	f.mib[mibRMON_T_PACKETS] = 1 // garbage must not be reported
	m, err := New(Options{Regs: f, MAC: testMAC})
	if err != nil {
		t.Fatal(err)
	}
	if v := m.ReadMIB(); v.Status != MIBUnsupported || v.TxPackets != 0 {
		t.Errorf("%+v", v)
	}
}

func TestStatsIncludeRingCounters(t *testing.T) {
	m, _, p := startedMAC(t, 8)
	p.arrive(3)
	p.send(t, 2)
	loopOf(t, m, p.tx.Flush).Drain()
	s := m.Stats()
	if s.RX.Frames != 3 || s.RX.Drop != 3 || s.RX.Doorbells != 2 {
		t.Errorf("RX counters %+v", s.RX)
	}
	if s.TX.BuiltFrames != 2 || s.TX.Doorbells != 1 {
		t.Errorf("TX counters %+v", s.TX)
	}
	if s.MDIOTransactions != 0 {
		t.Errorf("MDIO transactions %d without PHY use", s.MDIOTransactions)
	}
}
