// poll.go owns interrupt handling and the budgeted poll loop (NAPI style):
// the ISR acknowledges EIR and masks the data interrupts, the loop drains
// the rings in budgeted passes and unmasks only when they are drained.

package enet

import (
	"runtime"
	"time"
)

// ISR services the MAC's interrupt: it reads EIR, acknowledges (W1C) only
// the events the driver owns (never EIR.MII, which MDIO polls), counts
// error events, and on RXF/TXF masks those two in EIMR and wakes the poll
// loop. It does not block and allocates nothing. Call it from the IRQ
// dispatcher (see ServeInterrupts on tamago) or from a test.
func (m *MAC) ISR() {
	m.st.interrupts.Add(1)
	ev := m.regs.Read32(regEIR) & (intData | intErrors)
	if ev == 0 {
		m.st.spurious.Add(1)
		return
	}
	// Acknowledge before polling: a frame completing after this point sets
	// EIR.RXF again and re-raises the interrupt once unmasked.
	m.regs.Write32(regEIR, ev)
	m.st.countErrors(ev)
	if ev&intData != 0 {
		m.regs.Write32(regEIMR, m.imask&^intData)
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
}

// Poll runs one budgeted pass: TX completions first (they free pages for
// RX refills), then up to Budget RX frames. It reports whether the budget
// was used up, i.e. whether another pass may find work. Each pass first
// acknowledges RXF/TXF (frames this pass will see need no interrupt once
// unmasked; one completing later sets them again) and counts EIR error
// events not yet taken by the ISR (all of them under RunPolled).
func (m *MAC) Poll() (more bool) {
	m.mu.Lock()
	rx, tx, started := m.rx, m.tx, m.started
	m.mu.Unlock()
	if !started {
		return false
	}
	m.st.polls.Add(1)
	if ev := m.regs.Read32(regEIR) & (intData | intErrors); ev != 0 {
		m.regs.Write32(regEIR, ev)
		m.st.countErrors(ev)
	}
	if n := tx.Reclaim(); n > 0 {
		m.st.txReclaimed.Add(uint64(n))
	}
	n := rx.Poll(m.opts.Budget)
	if n > 0 {
		m.st.rxPolled.Add(uint64(n))
	}
	if n >= m.opts.Budget {
		m.st.budgetExhausted.Add(1)
		return true
	}
	return false
}

// unmask re-enables the data interrupts after the rings are drained.
func (m *MAC) unmask() { m.regs.Write32(regEIMR, m.imask) }

// Wakeups is the channel the ISR signals; a custom loop may select on it.
func (m *MAC) Wakeups() <-chan struct{} { return m.notify }

// Drain runs poll passes until one leaves budget unused, yielding between
// passes, then unmasks the data interrupts. It returns the number of passes.
func (m *MAC) Drain() int {
	passes := 1
	for m.Poll() {
		passes++
		select { // a long drain is progress: answer between passes
		case f := <-m.opts.Probe:
			f()
		default:
		}
		runtime.Gosched()
	}
	m.unmask()
	return passes
}

// Run is the poll goroutine: it waits for the ISR's wakeup (or, with a
// non-zero linkEvery, a link check) and drains the rings, until stop is
// closed. Interrupts stay masked from the ISR's wakeup until Drain has
// emptied the rings.
func (m *MAC) Run(stop <-chan struct{}, linkEvery time.Duration) {
	var tick <-chan time.Time
	if linkEvery > 0 {
		t := time.NewTicker(linkEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-m.notify:
			m.Drain()
		case <-tick:
			m.PollLink() // errors are counted by MDIO; the link keeps its last state
		case f := <-m.opts.Probe:
			f()
		}
	}
}

// RunPolled is the poll goroutine for a MAC whose interrupt is not wired
// (early bring-up, or a board without GIC routing): it drains the rings
// every interval until stop is closed, and checks the link every linkEvery
// (0: never).
func (m *MAC) RunPolled(stop <-chan struct{}, every, linkEvery time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var link <-chan time.Time
	if linkEvery > 0 {
		lt := time.NewTicker(linkEvery)
		defer lt.Stop()
		link = lt.C
	}
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.Drain()
		case <-link:
			m.PollLink()
		case f := <-m.opts.Probe:
			f()
		}
	}
}
