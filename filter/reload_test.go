// Atomic reload: bad files leave the old rules, states are re-checked
// against the new rules, and Decide may run while another goroutine
// reloads.

package filter

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestReloadBadFileKeepsOldRules(t *testing.T) {
	e := newEngine(t, "pass proto udp\n", Options{})
	f := udp4(client, server, 1, 2)
	gen := e.Snapshot().Generation
	err := e.Reload([]byte("pass proto udp\ndrop to port 22\n"))
	if err == nil || !strings.Contains(err.Error(), "test.rules:2:") {
		t.Fatalf("error %v, want one naming test.rules:2", err)
	}
	if v := e.Decide(f, inLAN); v.Action != Pass {
		t.Fatal("old rules not in force after a failed reload")
	}
	// A compile error (unknown port) must not install either.
	if err := e.Reload([]byte("drop on dmz\n")); err == nil {
		t.Fatal("unknown port accepted")
	}
	s := e.Snapshot()
	if s.Generation != gen || s.ReloadErrors != 2 || e.Decide(f, inLAN).Action != Pass {
		t.Errorf("generation %d->%d, reload errors %d", gen, s.Generation, s.ReloadErrors)
	}
}

func TestReloadRechecksStates(t *testing.T) {
	e := newEngine(t, "pass in on lan proto udp keep state\npass in on lan proto tcp keep state\n", Options{})
	dns := udp4(client, server, 5353, 53)
	ntp := udp4(client, server, 123, 123)
	e.Decide(dns, at(inLAN, 1))
	e.Decide(ntp, at(inLAN, 2))
	if s := e.Snapshot(); s.States != 2 {
		t.Fatalf("%d states", s.States)
	}
	// New rules: DNS still allowed (by another rule, now index 1), NTP not.
	if err := e.Reload([]byte("pass in on lan proto tcp keep state\npass in on lan proto udp to any port 53 keep state\n")); err != nil {
		t.Fatal(err)
	}
	v := e.Decide(udp4(server, client, 53, 5353), at(inWAN, 3))
	if v.Action != Pass || !v.State || v.Rule != 1 {
		t.Errorf("DNS reply after reload: %v state=%v rule %d, want pass by state of rule 1", v.Action, v.State, v.Rule)
	}
	v = e.Decide(udp4(server, client, 123, 123), at(inWAN, 4))
	if v.Action != Drop || v.Reason != ReasonDefault {
		t.Errorf("NTP reply after reload: %v %v, want dropped by the default policy", v.Action, v.Reason)
	}
	s := e.Snapshot()
	if s.States != 1 || s.StatesPurged != 1 || s.Reloads != 2 || s.Rules[1].Packets != 1 {
		t.Errorf("states %d purged %d reloads %d rule1 packets %d", s.States, s.StatesPurged, s.Reloads, s.Rules[1].Packets)
	}
	if err := checkTable(e.ct); err != nil {
		t.Fatal(err)
	}
}

func TestReloadStatelessPassPurgesState(t *testing.T) {
	e := newEngine(t, "pass in on lan proto udp keep state\n", Options{})
	e.Decide(udp4(client, server, 5353, 53), at(inLAN, 1))
	// UDP is still passed, but only statelessly from the LAN: replies from
	// the WAN must no longer ride on the old state.
	e.Reload([]byte("pass in on lan proto udp\n"))
	if v := e.Decide(udp4(server, client, 53, 5353), at(inWAN, 2)); v.Action != Drop {
		t.Errorf("reply passed by a state the new rules would not create (%v)", v.Reason)
	}
}

func TestReloadDropsFollowedFragments(t *testing.T) {
	e := newEngine(t, "pass proto udp\n", Options{})
	first := ether(etIPv4, ipv4(client, server, protoUDP, udpSeg(1, 53, 24), ip4opt{id: 4, more: true}))
	later := ether(etIPv4, ipv4(client, server, protoUDP, make([]byte, 16), ip4opt{id: 4, fragOff: 32}))
	e.Decide(first, at(inLAN, 1))
	e.Reload([]byte("drop proto udp\n"))
	if v := e.Decide(later, at(inLAN, 2)); v.Action != Drop || v.Reason != ReasonFragOrphan {
		t.Errorf("later fragment after reload: %v %v", v.Action, v.Reason)
	}
}

func TestReloadChangesManagementClass(t *testing.T) {
	e := newEngine(t, "pass in on lan proto tcp keep state\n", Options{})
	e.Decide(tcp4(client, server, 4000, 22, flagSYN), at(inLAN, 1))
	if s := e.Snapshot(); s.MgmtStates != 0 {
		t.Fatal("ordinary state counted as management")
	}
	e.Reload([]byte("pass in on lan proto tcp keep state mgmt\n"))
	e.Decide(seg4(server, client, tcpSeg{sport: 22, dport: 4000, flags: flagSYN | flagACK, ack: 1, wscale: -1}), at(inWAN, 2))
	if s := e.Snapshot(); s.MgmtStates != 1 || s.States != 1 {
		t.Errorf("after reload: mgmt %d of %d", s.MgmtStates, s.States)
	}
	if err := checkTable(e.ct); err != nil {
		t.Fatal(err)
	}
}

func TestReloadWhileDeciding(t *testing.T) {
	e := newEngine(t, "pass proto udp keep state\n", Options{})
	sets := [][]byte{[]byte("pass proto udp keep state\n"), []byte("drop proto udp\npass proto tcp\n")}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if err := e.Reload(sets[i%2]); err != nil {
				t.Error(err)
				return
			}
			_ = e.Snapshot()
		}
	}()
	f := udp4(client, server, 1, 2)
	for i := 0; i < 20000; i++ {
		v := e.Decide(udpFlow(f, uint32(i%64)), at(inLAN, int64(i)))
		if v.Rule != 0 {
			t.Fatalf("rule %d: both rule sets decide UDP by rule 0", v.Rule)
		}
	}
	wg.Wait()
}

func TestReloadSweepPurgesIdleStates(t *testing.T) {
	e := newEngine(t, "pass in on lan proto udp keep state\n", Options{StateLimit: 128, MgmtReserve: 8})
	for i := 0; i < 100; i++ {
		dport := uint16(53)
		if i%2 == 1 {
			dport = 123
		}
		e.Decide(udp4(client, server, uint16(2000+i), dport), at(inLAN, 1))
	}
	if err := e.Reload([]byte("pass in on lan proto udp to any port 53 keep state\n")); err != nil {
		t.Fatal(err)
	}
	// None of the states is used again; other frames drive the sweep
	// (2 slots per frame: 64 frames visit all 128).
	for i := 0; i < 64; i++ {
		e.Decide(arpFrame(), at(inLAN, 2))
	}
	s := e.Snapshot()
	if s.States != 50 || s.StatesPurged != 50 {
		t.Errorf("states %d purged %d, want 50 and 50", s.States, s.StatesPurged)
	}
	if err := checkTable(e.ct); err != nil {
		t.Fatal(err)
	}
}

func TestInstallCompiledProgramOnce(t *testing.T) {
	rs, err := Parse("p", []byte("pass proto udp\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(Options{HashSeed: 3})
	if err := e.Install(p); err != nil {
		t.Fatal(err)
	}
	if v := e.Decide(udp4(client, server, 1, 2), inLAN); v.Action != Pass || e.Program() != p {
		t.Fatal("installed program not in force")
	}
	if err := NewEngine(Options{}).Install(p); err != ErrInstalled {
		t.Errorf("second install: %v", err)
	}
}

// SetSelf moves "to self" to a new address (a DHCP lease) and the next
// Reload keeps it.
func TestSetSelf(t *testing.T) {
	old, lease := netip.MustParsePrefix(server+"/32"), netip.MustParsePrefix("203.0.113.50/32")
	src := "pass proto udp to self\n"
	e := newEngine(t, src, Options{Self: []netip.Prefix{old}})
	toOld, toLease := udp4(client, server, 1, 2), udp4(client, "203.0.113.50", 1, 2)
	if e.Decide(toOld, inLAN).Action != Pass || e.Decide(toLease, inLAN).Action != Drop {
		t.Fatal("rules before SetSelf")
	}
	if err := e.SetSelf([]netip.Prefix{lease}); err != nil {
		t.Fatal(err)
	}
	if e.Decide(toOld, inLAN).Action != Drop || e.Decide(toLease, inLAN).Action != Pass {
		t.Fatal("SetSelf did not move self")
	}
	if err := e.Reload([]byte(src)); err != nil {
		t.Fatal(err)
	}
	if e.Decide(toOld, inLAN).Action != Drop || e.Decide(toLease, inLAN).Action != Pass {
		t.Fatal("Reload after SetSelf lost the new self")
	}
	if s := e.Snapshot(); s.Reloads != 3 || s.ReloadErrors != 0 {
		t.Errorf("reloads %d errors %d, want 3 and 0", s.Reloads, s.ReloadErrors)
	}
	// A program compiled before a SetSelf (the API's revert copy) is
	// installed with the self in force, not the one it was compiled with.
	early, err := e.Compile("test.rules", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetSelf([]netip.Prefix{old}); err != nil {
		t.Fatal(err)
	}
	if err := e.Install(early); err != nil {
		t.Fatal(err)
	}
	if e.Decide(toOld, inLAN).Action != Pass || e.Decide(toLease, inLAN).Action != Drop {
		t.Fatal("a program compiled before SetSelf brought the old self back")
	}
	if err := e.Install(early); err != ErrInstalled {
		t.Errorf("second Install of the same program: %v, want ErrInstalled", err)
	}
}
