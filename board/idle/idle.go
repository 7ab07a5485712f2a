// Package idle owns what the CPU does when no goroutine can run, and the
// clock it keeps meanwhile, on the ARM generic timer:
//
//   - the governor the runtime calls as goos.Idle: it sets the timer's
//     alarm for the runtime's next deadline, halts the core with WFI until
//     that or any other interrupt, and counts the time halted;
//   - the runtime's clock, described to our toolchain (goos.Clock) as a
//     multiply and shift of the counter (scale.go);
//   - Read, the CPU's idle time and uptime for /status.
//
// The core halts with IRQs masked (cpsid i; wfi): a pending interrupt
// still ends WFI ("regardless of the value of the CPSR.I bit", ARMv7 ARM
// DDI 0406B B1.6.9), and the governor unmasks only after it has stopped
// the alarm. The alarm's level-sensitive PPI then drops before the core
// can take it, so a timer deadline wakes the runtime without an
// exception, while an ENET interrupt is taken as soon as the governor
// returns, through tamago's IRQ handler (os/signal.Relay) to
// ServiceInterrupts as before.
//
//go:build tamago && arm

package idle

import (
	"errors"
	"fmt"
	"math"
	"runtime/goos"
	_ "unsafe" // go:linkname

	"github.com/usbarmory/tamago/arm"
	"github.com/usbarmory/tamago/arm/gic"
)

// nonSecureTimerIRQ is the PPI of the Non-secure physical timer, the one
// CNTP_* reaches from the Normal world; tamago's arm.TIMER_IRQ (29) is
// the Secure one; both are level-sensitive (Cortex-A7 MPCore TRM 8.2.2).
const nonSecureTimerIRQ = 30

var (
	cpu    *arm.CPU
	clock  scale
	offset *int64 // tamago's CPU.TimerOffset: SetTime moves the clock

	// idleCounts is the counts spent halted. Only the governor writes
	// it, when no goroutine runs; one hardware thread and no preemption
	// keep a goroutine's read of it whole.
	idleCounts uint64
)

// runtimeClock is goos.Clock of our toolchain (toolchain/overlay/src/
// runtime/goos): with it the runtime scales the counter itself instead of
// calling tamago's float GetTime. The layout must match. Upstream TamaGo
// has no such variable, and this is then a symbol nothing reads.
//
//go:linkname runtimeClock runtime/goos.Clock
var runtimeClock struct {
	mult, shift uint32
	offset      *int64
}

// Start makes the runtime idle in the governor and keep time with the
// fixed-point clock. The generic timer must run at its final frequency
// (tamago's imx6ul.Init sets CNTFRQ) and g must be initialised (g.Init
// disables every interrupt, the alarm's too: do not call it again).
func Start(c *arm.CPU, g *gic.GIC) error {
	if c.Mode() == arm.USR_MODE {
		return errors.New("idle: the generic timer needs PL1, the CPU is in USR mode")
	}
	s, err := newScale(cntfrq())
	if err != nil {
		return fmt.Errorf("idle: CNTFRQ %d: %w", cntfrq(), err)
	}
	irq := arm.TIMER_IRQ
	if c.NonSecure() {
		irq = nonSecureTimerIRQ
	}
	alarmOff()
	g.EnableInterrupt(irq)
	cpu, clock, offset = c, s, &c.TimerOffset
	runtimeClock.offset, runtimeClock.shift = offset, s.shift
	runtimeClock.mult = s.mult // last: a non-zero mult turns it on
	goos.Idle = governor
	return nil
}

// Read returns how long the CPU has been halted in the governor and how
// long the counter has run (since reset, unmoved by SetTime); zero
// before Start.
func Read() Stats {
	if cpu == nil {
		return Stats{}
	}
	return Stats{UptimeNS: clock.ns(cpu.Counter()), IdleNS: clock.ns(idleCounts)}
}

// governor halts the core until an interrupt or until the nanotime until
// (math.MaxInt64: none), as goos.Idle. It runs in the scheduler and must
// not allocate. It may return early: the runtime then calls it again.
func governor(until int64) {
	cpsr := irqMask()
	start := cpu.Counter()
	if until != math.MaxInt64 {
		now := int64(clock.ns(start)) + *offset
		if until <= now {
			irqRestore(cpsr)
			return
		}
		d := uint64(until - now) // exact even where the int64 difference wraps
		alarm(start + clock.ticks(uint32(min(d, math.MaxUint32))))
	}
	wfi()
	alarmOff()
	idleCounts += cpu.Counter() - start
	irqRestore(cpsr)
}

// Defined in idle_arm.s.
func cntfrq() uint32
func alarm(cval uint64)
func alarmOff()
func irqMask() (cpsr uint32)
func irqRestore(cpsr uint32)
func wfi()
