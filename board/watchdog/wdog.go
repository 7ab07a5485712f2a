// Package watchdog is the register side of the i.MX6UL/ULL watchdog: arming
// WDOG1 so that it resets the SoC unless it is serviced in time, servicing
// it, and decoding why the SoC last reset (SRC_SRSR with WDOGx_WRSR). What
// decides whether to service it is package health; this package only
// touches registers, through Regs (MMIO on tamago/arm, a fake on the host).
//
// wdog.go owns the WDOG registers and the arm/feed sequence.
package watchdog

import (
	"fmt"
	"time"
)

// WDOG register offsets, all 16 bits wide (IMX6ULRM / IMX6ULLRM chapter 59,
// "Watchdog Timer (WDOG)", register map).
const (
	regWCR  = 0x00 // control
	regWSR  = 0x02 // service
	regWRSR = 0x04 // reset status
)

// WDOGx_WCR bits. WDZST, WDBG, WDE and WDT can be set once only and then
// hold until reset, so Arm writes WCR exactly once with all of them.
const (
	wcrWDZST = 1 << 0 // suspend in low-power modes: left 0, a hang in WAIT must still reset
	wcrWDBG  = 1 << 1 // suspend while the core is halted by a debugger
	wcrWDE   = 1 << 2 // enable
	wcrWDT   = 1 << 3 // also assert the external WDOG_B pin on time-out: left 0
	wcrSRS   = 1 << 4 // software reset signal, active low: must stay 1
	wcrWDA   = 1 << 5 // WDOG_B assertion, active low: must stay 1
	wcrWT    = 0xff << 8
)

// Service sequence: these two values written to WSR in this order reload
// the counter with WCR.WT.
const (
	wsrSeq1 = 0x5555
	wsrSeq2 = 0xaaaa
)

// Time-out range: WCR.WT selects (WT+1) half seconds, 0.5 s to 128 s.
const (
	Resolution = 500 * time.Millisecond
	MaxTimeout = 256 * Resolution
)

// Regs is one WDOG instance's register file. Implementations perform
// every access, in program order, as one 16-bit access.
type Regs interface {
	Read16(off uint32) uint16
	Write16(off uint32, v uint16)
}

// WDOG is one watchdog instance.
type WDOG struct {
	r       Regs
	timeout time.Duration
}

// New returns the watchdog behind r, not armed.
func New(r Regs) *WDOG { return &WDOG{r: r} }

// Arm enables the watchdog with the given time-out (a multiple of
// Resolution, at most MaxTimeout): from now on the SoC resets unless Feed
// is called at least once per time-out. It cannot be disarmed until reset.
// On time-out only the SoC's internal reset is asserted (WDT = 0), so the
// next boot can read the cause in SRC_SRSR and WDOGx_WRSR; a board whose
// power logic listens to WDOG_B would power cycle and lose it.
func (w *WDOG) Arm(timeout time.Duration) error {
	if timeout < Resolution || timeout > MaxTimeout || timeout%Resolution != 0 {
		return fmt.Errorf("watchdog: time-out %v is not a multiple of %v in %v..%v", timeout, Resolution, Resolution, MaxTimeout)
	}
	wt := uint16(timeout/Resolution - 1)
	v := w.r.Read16(regWCR)
	v &^= wcrWT | wcrWDZST | wcrWDT
	v |= wt<<8 | wcrWDBG | wcrWDE | wcrSRS | wcrWDA
	w.r.Write16(regWCR, v)
	w.timeout = timeout
	w.Feed()
	return nil
}

// Feed services the watchdog: the counter starts again from the time-out.
func (w *WDOG) Feed() {
	w.r.Write16(regWSR, wsrSeq1)
	w.r.Write16(regWSR, wsrSeq2)
}

// Timeout is the armed time-out, 0 if not armed.
func (w *WDOG) Timeout() time.Duration { return w.timeout }
