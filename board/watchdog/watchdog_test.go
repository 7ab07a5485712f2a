// watchdog_test.go tests the arm/feed register sequence on a fake
// register file and the reset-cause decoding.
package watchdog

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeRegs is a WDOG register file that records every write.
type fakeRegs struct {
	regs   map[uint32]uint16
	writes []string
}

func (f *fakeRegs) Read16(off uint32) uint16 { return f.regs[off] }
func (f *fakeRegs) Write16(off uint32, v uint16) {
	f.regs[off] = v
	f.writes = append(f.writes, fmt.Sprintf("%#x=%#x", off, v))
}

func TestArmWritesWCROnceThenServices(t *testing.T) {
	// Reset value of WCR: SRS and WDA set (no software reset, no WDOG_B).
	f := &fakeRegs{regs: map[uint32]uint16{regWCR: 0x0030}}
	w := New(f)
	if err := w.Arm(8 * time.Second); err != nil {
		t.Fatal(err)
	}
	// WT = 8 s / 0.5 s - 1 = 15; WDBG, WDE, SRS, WDA; not WDT, not WDZST.
	want := []string{"0x0=0xf36", "0x2=0x5555", "0x2=0xaaaa"}
	if strings.Join(f.writes, " ") != strings.Join(want, " ") {
		t.Fatalf("writes %v, want %v", f.writes, want)
	}
	if w.Timeout() != 8*time.Second {
		t.Fatalf("timeout %v", w.Timeout())
	}
	f.writes = nil
	w.Feed()
	if strings.Join(f.writes, " ") != "0x2=0x5555 0x2=0xaaaa" {
		t.Fatalf("feed wrote %v", f.writes)
	}
}

func TestArmKeepsActiveLowBitsHigh(t *testing.T) {
	// Whatever WCR held (here a bootloader cleared SRS and WDA in its
	// copy), Arm must never write SRS or WDA as 0: that would reset the
	// SoC or assert WDOG_B at once.
	f := &fakeRegs{regs: map[uint32]uint16{regWCR: 0x0000}}
	if err := New(f).Arm(128 * time.Second); err != nil {
		t.Fatal(err)
	}
	if v := f.regs[regWCR]; v&wcrSRS == 0 || v&wcrWDA == 0 || v>>8 != 0xff {
		t.Fatalf("WCR %#04x", v)
	}
}

func TestArmRejectsTimeouts(t *testing.T) {
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 750 * time.Millisecond, 128500 * time.Millisecond, -time.Second} {
		f := &fakeRegs{regs: map[uint32]uint16{regWCR: 0x0030}}
		if err := New(f).Arm(d); err == nil {
			t.Errorf("time-out %v accepted", d)
		}
		if len(f.writes) != 0 {
			t.Errorf("time-out %v: registers written %v", d, f.writes)
		}
	}
}

func TestDecodeReset(t *testing.T) {
	for _, c := range []struct {
		srsr uint32
		wrsr uint16
		want string
	}{
		{0x1, 0x10, "power-on"},
		{0x1, 0x00, "power-on"}, // QEMU 7.2: every boot, watchdog or not
		{0x10, 0x02, "watchdog timeout"},
		{0x11, 0x02, "watchdog timeout"}, // not cleared since power-on
		{0x10, 0x01, "software reset"},
		{0x10, 0x00, "watchdog"},
		{0x80, 0x00, "watchdog 3"},
		{0x100, 0, "over temperature"},
		{0x04, 0, "security violation"},
		{0x40, 0, "JTAG software reset"},
		{0x20, 0, "JTAG"},
		{0x08, 0, "reset button"},
		{0x10000, 0, "warm boot"},
		{0, 0, "unknown"},
	} {
		got := DecodeReset(c.srsr, c.wrsr)
		if got.Cause != c.want || got.SRSR != c.srsr || got.WRSR != c.wrsr {
			t.Errorf("SRSR %#x WRSR %#x: %+v, want %q", c.srsr, c.wrsr, got, c.want)
		}
	}
}
