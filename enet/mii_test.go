// mii_test.go tests MDIO transactions (read, write, timeout, MSCR restore)
// and the PHY probe for both bus layouts, with the scan for a sole PHY.

package enet

import (
	"errors"
	"strings"
	"testing"
)

func TestMSCRValue(t *testing.T) {
	for _, hz := range []uint32{5_000_000, 24_000_000, 50_000_000, 66_000_000, 66_500_000, 100_000_000, 132_000_000} {
		v := mscrValue(hz)
		speed := v >> mscrSpeedShift & mscrSpeedMask
		hold := v >> mscrHoldShift & mscrHoldMask
		if speed == 0 {
			t.Errorf("%d Hz: MII_SPEED 0 (MDC off)", hz)
			continue
		}
		if mdc := float64(hz) / float64((speed+1)*2); mdc > mdcMaxHz {
			t.Errorf("%d Hz: MDC %.0f Hz above 2.5 MHz", hz, mdc)
		}
		// Hold time is HOLDTIME+1 module clocks and must be >= 10 ns.
		if ns := float64(hold+1) * 1e9 / float64(hz); ns < 10 {
			t.Errorf("%d Hz: MDIO hold %.1f ns < 10 ns", hz, ns)
		}
	}
	// The i.MX6UL's 66 MHz IPG: 66/(2*14) = 2.36 MHz, as Linux programs it.
	if got := mscrValue(66_000_000) >> mscrSpeedShift & mscrSpeedMask; got != 13 {
		t.Errorf("66 MHz: MII_SPEED %d, want 13", got)
	}
}

func TestMDIOReadWrite(t *testing.T) {
	m, f, phy := newTestMAC(t, nil)
	bus := m.MDIO()
	id, err := ReadPHYID(bus, 2)
	if err != nil || id != IDQEMU {
		t.Fatalf("ReadPHYID = %v, %v", id, err)
	}
	if err := bus.Write(2, miiANAR, 0x0101); err != nil {
		t.Fatal(err)
	}
	if got := phy.writes[miiANAR]; len(got) != 1 || got[0] != 0x0101 {
		t.Errorf("PHY saw ANAR writes %x", got)
	}
	if v, err := bus.Read(2, miiANAR); err != nil || v != 0x0101 {
		t.Errorf("read back %#x, %v", v, err)
	}
	// Every transaction leaves EIR.MII acknowledged.
	if f.reg(regEIR)&IntMII != 0 {
		t.Error("EIR.MII left set")
	}
	if _, err := bus.Read(32, 0); !errors.Is(err, ErrMDIOAddress) {
		t.Errorf("address 32: %v", err)
	}
	if err := bus.Write(0, -1, 0); !errors.Is(err, ErrMDIOAddress) {
		t.Errorf("register -1: %v", err)
	}
	n, to := bus.Counters()
	if n != 4 || to != 0 {
		t.Errorf("counters %d/%d, want 4 transactions", n, to)
	}
}

func TestMDIOTimeoutNeverHangs(t *testing.T) {
	m, f, _ := newTestMAC(t, func(o *Options) { o.MDIOTimeout = 1e6 }) // 1 ms
	f.bus.hang = true
	_, err := m.MDIO().Read(2, miiBMSR)
	if !errors.Is(err, ErrMDIOTimeout) {
		t.Fatalf("hung bus: err = %v", err)
	}
	if err := m.MDIO().Write(2, miiBMCR, 0); !errors.Is(err, ErrMDIOTimeout) {
		t.Fatalf("hung bus write: err = %v", err)
	}
	if _, to := m.MDIO().Counters(); to != 2 {
		t.Errorf("timeouts counted %d", to)
	}
	// A MAC without MDIO pins (nil bus) also times out rather than hangs.
	g := newFakeENET(nil)
	b, err := NewMDIO(g, "none", DefaultIPGClockHz, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(0, 0); !errors.Is(err, ErrMDIOTimeout) {
		t.Errorf("no bus: %v", err)
	}
}

func TestMDIORestoresMSCRAfterOwnerReset(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)
	f.Write32(regECR, ecrRESET) // e.g. the other port's New resetting the bus owner
	if f.reg(regMSCR) != 0 {
		t.Fatal("fake reset did not clear MSCR")
	}
	if id, err := ReadPHYID(m.MDIO(), 2); err != nil || id != IDQEMU {
		t.Fatalf("after owner reset: %v, %v", id, err)
	}
}

func TestNewMDIORejects(t *testing.T) {
	if _, err := NewMDIO(nil, "x", 1, 0); err == nil {
		t.Error("nil regs accepted")
	}
	if _, err := NewMDIO(newFakeENET(nil), "x", 0, 0); err == nil {
		t.Error("zero clock accepted")
	}
}

// twoPorts builds ENET1/ENET2 fakes in one of the two wirings.
func twoPorts(t *testing.T, shared bool, absent uint16) (b1, b2 *MDIO, p1, p2 *fakePHY) {
	t.Helper()
	bus1, bus2 := newFakeBus(absent), newFakeBus(absent)
	p1, p2 = newFakePHY(IDKSZ8081|1), newFakePHY(IDKSZ8081|1)
	if shared {
		bus2.phys[2], bus2.phys[1] = p1, p2 // EVK, QEMU >= 8.1
	} else {
		bus1.phys[2], bus2.phys[1] = p1, p2 // QEMU 7.2
	}
	var err error
	if b1, err = NewMDIO(newFakeENET(bus1), "ENET1", DefaultIPGClockHz, 0); err != nil {
		t.Fatal(err)
	}
	if b2, err = NewMDIO(newFakeENET(bus2), "ENET2", DefaultIPGClockHz, 0); err != nil {
		t.Fatal(err)
	}
	return b1, b2, p1, p2
}

func TestProbeBothLayouts(t *testing.T) {
	for _, c := range []struct {
		name       string
		shared     bool
		absent     uint16
		configured string // bus the board names for ENET1's PHY
		wantBus    string
		fallback   bool
	}{
		{"qemu7.2 board says shared", false, 0x0000, "ENET2", "ENET1", true},
		{"qemu7.2 board says own", false, 0x0000, "ENET1", "ENET1", false},
		{"evk board says shared", true, 0xFFFF, "ENET2", "ENET2", false},
		{"evk board says own", true, 0xFFFF, "ENET1", "ENET2", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b1, b2, _, _ := twoPorts(t, c.shared, c.absent)
			conf, fb := b1, b2
			if c.configured == "ENET2" {
				conf, fb = b2, b1
			}
			r, err := ProbePHY(conf, fb, 2)
			if err != nil {
				t.Fatal(err)
			}
			if r.Bus.Name() != c.wantBus || r.Fallback != c.fallback || r.ID.Model() != IDKSZ8081 || r.Addr != 2 {
				t.Errorf("got %v (fallback %v)", r, r.Fallback)
			}
			// ENET2's own PHY (address 1) is on ENET2's bus in both layouts.
			r2, err := ProbePHY(b2, b1, 1)
			if err != nil || r2.Bus != b2 || r2.Fallback {
				t.Errorf("ENET2 PHY: %v, %v", r2, err)
			}
		})
	}
}

func TestProbeNoPHY(t *testing.T) {
	b1, b2, _, _ := twoPorts(t, false, 0xFFFF)
	if _, err := ProbePHY(b1, b2, 7); !errors.Is(err, ErrNoPHY) {
		t.Errorf("err = %v", err)
	}
	// A hung fallback bus is "no PHY", not a hang.
	hung := newFakeBus(0)
	hung.hang = true
	bh, _ := NewMDIO(newFakeENET(hung), "hung", DefaultIPGClockHz, 1e6)
	if r, err := ProbePHY(bh, b1, 2); err != nil || r.Bus != b1 || !r.Fallback {
		t.Errorf("hung configured bus: %v, %v", r, err)
	}
}

func TestScanPHYs(t *testing.T) {
	_, b2, _, _ := twoPorts(t, true, 0xFFFF)
	found, err := ScanPHYs(b2)
	if err != nil || len(found) != 2 || found[1].Model() != IDKSZ8081 || found[2].Model() != IDKSZ8081 {
		t.Errorf("scan = %v, %v", found, err)
	}
}

func TestPHYIDValid(t *testing.T) {
	for id, want := range map[PHYID]bool{0: false, 0xFFFFFFFF: false, IDQEMU: true, IDDP83825I | 3: true} {
		if id.Valid() != want {
			t.Errorf("%v.Valid() = %v", id, !want)
		}
	}
	if (IDDP83825I|3).Model() != IDDP83825I || (IDDP83825I|3).Revision() != 3 {
		t.Error("Model/Revision")
	}
}

// The USB armory Mk II LAN's PHY is strapped to address 0; QEMU 7.2
// answers ENET2's MDIO only at 1. With ScanIfAbsent the bus's only PHY is
// taken; on a bus with two PHYs nothing is.
func TestBringUpScansForASolePHY(t *testing.T) {
	_, b2, _, p2 := twoPorts(t, false, 0xFFFF) // ENET2's bus: PHY 1 only
	if _, _, err := BringUpPHY(b2, b2, 0, PHYConfig{}); !errors.Is(err, ErrNoPHY) {
		t.Fatalf("without ScanIfAbsent: %v", err)
	}
	p, r, err := BringUpPHY(b2, b2, 0, PHYConfig{ScanIfAbsent: true})
	if err != nil || p.Addr() != 1 || p.Bus() != b2 || !r.Scanned || r.Wanted != 0 || p.ID() != p2.id {
		t.Fatalf("scan: %v %+v %v", p, r, err)
	}
	if s := r.String(); !strings.Contains(s, "at address 1 on ENET2 MDIO (scanned: address 0 did not answer)") {
		t.Errorf("boot log line %q", s)
	}

	_, shared, _, _ := twoPorts(t, true, 0xFFFF) // EVK: PHYs 1 and 2 on ENET2
	if p, _, err := BringUpPHY(shared, shared, 0, PHYConfig{ScanIfAbsent: true}); err == nil || p != nil {
		t.Errorf("a bus with two PHYs gave %v, %v", p, err)
	}
	empty, err := NewMDIO(newFakeENET(newFakeBus(0xFFFF)), "ENET2", DefaultIPGClockHz, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := BringUpPHY(empty, nil, 0, PHYConfig{ScanIfAbsent: true}); !errors.Is(err, ErrNoPHY) {
		t.Errorf("empty bus: %v", err)
	}
}
