// poll.go owns interrupt handling and the budgeted poll loop (NAPI style):
// the ISR acknowledges EIR and masks the data interrupts, one loop drains
// every MAC's rings in budgeted passes, calls one hook when a pass over
// all of them ended (where the datapath rings the TX doorbells it owes),
// and unmasks only when the rings are drained. One goroutine polls every
// port, so the frame handlers of all ports run on it, one at a time.

package enet

import (
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ISR services the MAC's interrupt: it reads EIR, acknowledges (W1C) only
// the events the driver owns (never EIR.MII, which MDIO polls), counts
// error events, and on RXF/TXF masks those two in EIMR and wakes the poll
// loop. It does not block and allocates nothing. Call it from the IRQ
// dispatcher (see ServeInterrupts on tamago) or from a test.
func (m *MAC) ISR() {
	m.isr.interrupts.Add(1)
	ev := m.regs.Read32(regEIR) & (intData | intErrors)
	if ev == 0 {
		m.isr.spurious.Add(1)
		return
	}
	// Acknowledge before polling: a frame completing after this point sets
	// EIR.RXF again and re-raises the interrupt once unmasked.
	m.regs.Write32(regEIR, ev)
	m.isr.countErrors(ev)
	if ev&intData != 0 {
		m.regs.Write32(regEIMR, m.imask&^intData)
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
}

// poll runs one budgeted pass over this MAC's rings: TX completions first
// (they free pages for RX refills), then up to Budget RX frames through
// the handler. It reports whether the budget was used up, i.e. whether
// another pass may find work. Each pass first acknowledges RXF/TXF (frames
// this pass sees need no interrupt once unmasked; one completing later
// sets them again) and counts error events the ISR did not take. It ends
// by publishing the pass's counters for Stats (one lock per pass).
func (m *MAC) poll() (more bool) {
	if !m.started {
		return false
	}
	m.pass.Polls++
	if ev := m.regs.Read32(regEIR) & (intData | intErrors); ev != 0 {
		m.regs.Write32(regEIR, ev)
		m.isr.countErrors(ev)
	}
	m.tx.Reclaim()
	n := m.rx.Poll(m.opts.Budget, m.handle)
	more = n >= m.opts.Budget
	if more {
		m.pass.BudgetExhausted++
	}
	m.publish()
	return more
}

// unmask re-enables the data interrupts after the rings are drained.
func (m *MAC) unmask() {
	if m.started {
		m.regs.Write32(regEIMR, m.imask)
	}
}

// LoopOptions configures the poll loop.
type LoopOptions struct {
	// MACs are polled in this order in every pass; each must have been
	// created with Options.Wake = Wake and started before Run.
	MACs []*MAC
	// Wake is the channel their ISRs signal.
	Wake chan struct{}
	// EndPass runs after every pass over all MACs, on the loop's
	// goroutine: the datapath's TX doorbells (one per port per pass).
	EndPass func()
	// LinkEvery is the period of PHY link checks (0: never). A speed or
	// duplex change restarts that MAC, on the loop's goroutine.
	LinkEvery time.Duration
	// Now, if set, times each Drain (two reads per wakeup, not per pass or
	// frame) for LoopStats.BusyNS.
	Now func() int64
	// Probe delivers liveness probes (health.Probe.C): the loop calls each
	// function received on its own goroutine, while idle and between the
	// passes of a drain. Nil: never probed.
	Probe <-chan func()
}

// LoopStats count the loop's work.
type LoopStats struct {
	Drains uint64 `json:"drains"`  // wakeups served
	Passes uint64 `json:"passes"`  // passes over every MAC
	BusyNS uint64 `json:"busy_ns"` // time inside Drain, by LoopOptions.Now
}

// Loop is the one poll goroutine of a set of MACs.
type Loop struct {
	o                      LoopOptions
	drains, passes, busyNS atomic.Uint64 // once per Drain
}

// Stats returns the loop's counters; any goroutine.
func (l *Loop) Stats() LoopStats {
	return LoopStats{Drains: l.drains.Load(), Passes: l.passes.Load(), BusyNS: l.busyNS.Load()}
}

// NewLoop checks the options.
func NewLoop(o LoopOptions) (*Loop, error) {
	if len(o.MACs) == 0 || o.Wake == nil {
		return nil, errors.New("enet: NewLoop needs MACs and their Wake channel")
	}
	for _, m := range o.MACs {
		if m.notify != o.Wake {
			return nil, errors.New("enet: a MAC of the loop signals another Wake channel")
		}
	}
	if o.EndPass == nil {
		o.EndPass = func() {}
	}
	return &Loop{o: o}, nil
}

// Drain runs passes until one leaves every MAC's budget unused, yielding
// between passes, then unmasks the data interrupts. It returns the number
// of passes. Run calls it on every wakeup; tests may call it directly.
func (l *Loop) Drain() int {
	var t0 int64
	if l.o.Now != nil {
		t0 = l.o.Now()
	}
	passes := 0
	for {
		passes++
		more := false
		for _, m := range l.o.MACs {
			if m.poll() {
				more = true
			}
		}
		l.o.EndPass()
		if !more {
			break
		}
		select { // a long drain is progress: answer between passes
		case f := <-l.o.Probe:
			f()
		default:
		}
		runtime.Gosched()
	}
	for _, m := range l.o.MACs {
		m.unmask()
	}
	l.drains.Add(1)
	l.passes.Add(uint64(passes))
	if l.o.Now != nil {
		l.busyNS.Add(uint64(l.o.Now() - t0))
	}
	return passes
}

// CheckLinks polls every MAC's PHY once and restarts a MAC whose link
// came up with another speed or duplex. MDIO errors are counted by MDIO;
// the link keeps its last state.
func (l *Loop) CheckLinks() {
	for _, m := range l.o.MACs {
		if lk, _, err := m.PollLink(); errors.Is(err, ErrRestart) {
			if m.restart(lk) != nil {
				m.isr.restartFailures.Add(1) // the MAC stays stopped
			}
		}
	}
}

// Run is the poll goroutine: it waits for an ISR's wakeup (or a link
// check) and drains every MAC's rings, until stop is closed. A MAC's data
// interrupts stay masked from its ISR's wakeup until Drain emptied its
// rings.
func (l *Loop) Run(stop <-chan struct{}) {
	var tick <-chan time.Time
	if l.o.LinkEvery > 0 {
		t := time.NewTicker(l.o.LinkEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-l.o.Wake:
			l.Drain()
		case <-tick:
			l.CheckLinks()
		case f := <-l.o.Probe:
			f()
		}
	}
}
