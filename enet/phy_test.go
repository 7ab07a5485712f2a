// phy_test.go tests PHY reset, autonegotiation, vendor settings and link
// state, and the MAC following link changes.

package enet

import (
	"errors"
	"testing"
	"time"
)

func probeTestPHY(t *testing.T, m *MAC, addr int, cfg PHYConfig) *PHY {
	t.Helper()
	r, err := ProbePHY(m.MDIO(), nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPHY(r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPHYInitAndLink(t *testing.T) {
	m, _, fp := newTestMAC(t, nil)
	fp.resetReads = 3
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	if w := fp.writes[miiBMCR]; len(w) != 2 || w[0] != bmcrReset || w[1] != bmcrANEnable|bmcrANRestart {
		t.Errorf("BMCR writes %x", w)
	}
	if w := fp.writes[miiANAR]; len(w) != 1 || w[0] != anDefault {
		t.Errorf("ANAR writes %x", w)
	}
	if len(fp.writes[kszPHYCtrl2])+len(fp.writes[dpRCSR]) != 0 {
		t.Error("vendor registers written on a generic PHY")
	}
	l, err := p.Link()
	if err != nil || l != (Link{Up: true, Speed: 100, FullDuplex: true, Pause: true}) {
		t.Errorf("link %v, %v", l, err)
	}
}

func TestPHYResetStuck(t *testing.T) {
	m, _, fp := newTestMAC(t, nil)
	fp.stuckReset = true
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Reset(); err == nil {
		t.Fatal("stuck reset reported success")
	}
}

func TestVendorKSZ8081(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)
	k := newFakePHY(IDKSZ8081 | 4)
	// Another LED mode, and straps that chose MII and NAND-tree test mode.
	k.defaults = map[int]uint16{kszPHYCtrl2: 0x0020, kszOMSO: kszOMSOMII | kszOMSONANDTree}
	f.bus.phys[2] = k
	p := probeTestPHY(t, m, 2, PHYConfig{RefClk50MHz: true})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	w := k.writes[kszPHYCtrl2]
	if len(w) != 1 || w[0]&kszRMIIRef50 == 0 || w[0]&kszHPMDIX == 0 || w[0]&kszLEDModeMask != kszLEDMode01 {
		t.Errorf("PHY Control 2 writes %x", w)
	}
	if o := k.writes[kszOMSO]; len(o) != 1 || o[0] != kszOMSORMII|kszOMSOBcastOff {
		t.Errorf("strap override writes %x, want RMII override and broadcast off only", o)
	}
	// 25 MHz crystal boards keep bit 7 clear.
	k.writes = map[int][]uint16{}
	k.defaults = map[int]uint16{kszPHYCtrl2: kszRMIIRef50}
	p = probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	if w := k.writes[kszPHYCtrl2]; len(w) != 1 || w[0]&kszRMIIRef50 != 0 {
		t.Errorf("25 MHz: PHY Control 2 writes %x", w)
	}
}

func TestVendorDP83825I(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)
	d := newFakePHY(IDDP83825I | 1)
	d.defaults = map[int]uint16{dpRCSR: 0x0002} // elasticity buffer bits must survive
	f.bus.phys[0] = d
	p := probeTestPHY(t, m, 0, PHYConfig{RefClk50MHz: true})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	if w := d.writes[dpRCSR]; len(w) != 1 || w[0] != dpRMIIClk50|0x0002 {
		t.Errorf("RCSR writes %x", w)
	}
}

func TestLinkTransitions(t *testing.T) {
	m, _, fp := newTestMAC(t, nil)
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	m.AttachPHY(p)
	steps := []struct {
		up          bool
		wantUp      bool
		wantChanged bool
	}{
		{true, true, true},   // first observation
		{true, true, false},  // steady
		{false, false, true}, // cable out
		{false, false, false},
		{true, true, true}, // back
	}
	for i, s := range steps {
		fp.setLink(s.up)
		l, changed, err := m.PollLink()
		if err != nil || l.Up != s.wantUp || changed != s.wantChanged {
			t.Errorf("step %d: link %v changed %v err %v", i, l, changed, err)
		}
		if m.Link() != l {
			t.Errorf("step %d: Link() = %v", i, m.Link())
		}
	}
	if got := m.Stats().LinkChanges; got != 3 {
		t.Errorf("LinkChanges = %d, want 3", got)
	}
}

func TestLatchedLinkDownIsNotMissed(t *testing.T) {
	m, _, fp := newTestMAC(t, nil)
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	fp.setLink(false)
	fp.setLink(true) // a short drop: BMSR latched low, link now up
	l, err := p.Link()
	if err != nil || !l.Up {
		t.Errorf("after a short drop the current state is up: %v, %v", l, err)
	}
}

func TestHalfDuplexProgramsMAC(t *testing.T) {
	m, f, fp := newTestMAC(t, nil)
	fp.partner = an10HD | anSelector
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	m.AttachPHY(p)
	l, _, err := m.PollLink()
	if err != nil || l != (Link{Up: true, Speed: 10}) {
		t.Fatalf("link %v, %v", l, err)
	}
	if f.reg(regTCR)&tcrFDEN != 0 || f.reg(regRCR)&(rcrDRT|rcrRMII10T) != rcrDRT|rcrRMII10T {
		t.Errorf("TCR %#x RCR %#x for 10 HD", f.reg(regTCR), f.reg(regRCR))
	}
	rings := newPlainRings(t, m, 4)
	if err := m.Start(rings.rx, rings.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	// While enabled a duplex change must not touch TCR: restart needed.
	fp.partner = 0x0F71
	tcr := f.reg(regTCR)
	if _, _, err := m.PollLink(); !errors.Is(err, ErrRestart) {
		t.Errorf("duplex change while enabled: %v", err)
	}
	if f.reg(regTCR) != tcr || m.Stats().Restarts != 0 {
		t.Error("TCR changed while enabled, or a restart counted before it ran")
	}
}

// A speed/duplex change while running restarts the MAC from the poll loop:
// graceful stop, rings back to descriptor 0 (frames in flight dropped and
// counted), the new mode programmed while disabled, enabled again.
func TestLinkChangeRestartsMAC(t *testing.T) {
	m, f, fp := newTestMAC(t, nil)
	fp.partner = an10HD | anSelector
	p := probeTestPHY(t, m, 2, PHYConfig{})
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	m.AttachPHY(p)
	if _, _, err := m.PollLink(); err != nil {
		t.Fatal(err)
	}
	rings := newPlainRings(t, m, 4)
	if err := m.Start(rings.rx, rings.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	l := loopOf(t, m, nil)
	rings.arrive(1)
	l.Drain() // descriptor 0 polled: the ring's next is 1
	rings.arrive(1)
	rings.send(t, 2)    // queued, never sent
	fp.partner = 0x0F71 // 100 Mbit/s full duplex
	rdsr := len(f.writesTo(regRDSR))
	l.CheckLinks()
	s := m.Stats()
	if s.Restarts != 1 || s.RestartFailures != 0 || !m.Enabled() {
		t.Fatalf("restarts %d failures %d enabled %v", s.Restarts, s.RestartFailures, m.Enabled())
	}
	if f.reg(regTCR)&tcrFDEN == 0 || f.reg(regRCR)&(rcrDRT|rcrRMII10T) != 0 {
		t.Errorf("TCR %#x RCR %#x after the restart to 100 FD", f.reg(regTCR), f.reg(regRCR))
	}
	if len(f.writesTo(regRDSR)) != rdsr+1 || f.reg(regEIMR) != intData|intErrors {
		t.Error("restart did not program the rings and interrupts again")
	}
	if s.TX.Abandoned != 2 || s.RX.Abandoned != 1 || rings.tx.Free() != 4 {
		t.Errorf("in flight at the restart: TX abandoned %d, RX abandoned %d, TX free %d", s.TX.Abandoned, s.RX.Abandoned, rings.tx.Free())
	}
	// The uDMA starts again at descriptor 0, and so do the rings.
	rings.devRX, rings.devTX = 0, 0
	rings.arrive(2)
	rings.send(t, 1)
	rings.sent(1)
	l.Drain()
	if s := m.Stats(); s.RX.Frames != 3 || s.TX.Completed != 1 {
		t.Errorf("after the restart: RX %d frames, TX %d completed", s.RX.Frames, s.TX.Completed)
	}
}

func TestResolveLink(t *testing.T) {
	for _, c := range []struct {
		anar, lpa uint16
		want      Link
	}{
		{anDefault, 0x0F71, Link{Up: true, Speed: 100, FullDuplex: true, Pause: true}},
		{anDefault &^ anPause, 0x0F71, Link{Up: true, Speed: 100, FullDuplex: true}},
		{anDefault, an100HD | an10FD | anPause, Link{Up: true, Speed: 100}},
		{anDefault, an10FD | an10HD, Link{Up: true, Speed: 10, FullDuplex: true}},
		{anDefault, an10HD, Link{Up: true, Speed: 10}},
		{an100FD, an10HD, Link{}}, // nothing in common
	} {
		if got := resolveLink(c.anar, c.lpa); got != c.want {
			t.Errorf("resolve(%#x, %#x) = %+v, want %+v", c.anar, c.lpa, got, c.want)
		}
	}
	if got := forcedLink(bmcrSpeed100 | bmcrFullDup); got != (Link{Up: true, Speed: 100, FullDuplex: true}) {
		t.Errorf("forced = %v", got)
	}
}

func TestNewPHYRejects(t *testing.T) {
	if _, err := NewPHY(ProbeResult{}, PHYConfig{}); err == nil {
		t.Error("NewPHY without a probe result")
	}
}

// FuzzPHYLink feeds arbitrary register words to the link decoder through a
// PHY that answers them: it must never panic and its result must be
// coherent.
func FuzzPHYLink(f *testing.F) {
	f.Add(uint16(0x3000), uint16(0x782D), uint16(0x01E1), uint16(0x0F71))
	f.Add(uint16(0x2100), uint16(0x7809), uint16(0), uint16(0))
	f.Add(uint16(0x1000), uint16(0x0004), uint16(0x0021), uint16(0x0041))
	f.Add(uint16(0xFFFF), uint16(0xFFFF), uint16(0xFFFF), uint16(0xFFFF))
	f.Fuzz(func(t *testing.T, bmcr, bmsr, anar, lpa uint16) {
		bus := newFakeBus(0)
		bus.phys[3] = &rawPHY{regs: map[int]uint16{miiBMCR: bmcr, miiBMSR: bmsr, miiANAR: anar, miiANLPAR: lpa}}
		b, err := NewMDIO(newFakeENET(bus), "fuzz", DefaultIPGClockHz, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := &PHY{bus: b, addr: 3, id: 1}
		l, err := p.Link()
		if err != nil {
			t.Fatal(err)
		}
		if !l.Up && l != (Link{}) {
			t.Fatalf("down link with fields: %+v", l)
		}
		if l.Up && l.Speed != 10 && l.Speed != 100 {
			t.Fatalf("speed %d", l.Speed)
		}
		if l.Pause && !l.FullDuplex {
			t.Fatalf("pause on half duplex: %+v", l)
		}
		if l.Up && bmsr&bmsrLinkUp == 0 {
			t.Fatalf("up without BMSR link: %#x", bmsr)
		}
	})
}

func TestBringUpAndWaitLink(t *testing.T) {
	b1, b2, p1, _ := twoPorts(t, false, 0)
	p, r, err := BringUpPHY(b2, b1, 2, PHYConfig{RefClk50MHz: true})
	if err != nil || !r.Fallback || p.Bus() != b1 || p.Addr() != 2 || p.ID().Model() != IDKSZ8081 {
		t.Fatalf("BringUpPHY: %v %v %v", p, r, err)
	}
	if w := p1.writes[kszPHYCtrl2]; len(w) != 1 || w[0]&kszRMIIRef50 == 0 {
		t.Errorf("vendor setup not applied: %x", w)
	}
	if _, _, err := BringUpPHY(b1, nil, 9, PHYConfig{}); !errors.Is(err, ErrNoPHY) {
		t.Errorf("absent PHY: %v", err)
	}

	m, _, fp := newTestMAC(t, nil)
	pp, _, err := BringUpPHY(m.MDIO(), nil, 2, PHYConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m.AttachPHY(pp)
	if l, err := m.WaitLink(time.Second, time.Millisecond); err != nil || !l.Up {
		t.Errorf("WaitLink up: %v %v", l, err)
	}
	fp.setLink(false)
	if l, err := m.WaitLink(0, time.Millisecond); err != nil || l.Up {
		t.Errorf("WaitLink down: %v %v", l, err)
	}
	m.MDIO().regs.(*fakeENET).bus.hang = true
	m.MDIO().timeout = time.Millisecond
	if _, err := m.WaitLink(time.Second, time.Millisecond); !errors.Is(err, ErrMDIOTimeout) {
		t.Errorf("WaitLink on a hung bus: %v", err)
	}
}
