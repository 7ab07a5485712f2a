// poll_test.go tests interrupt acknowledge, NAPI masking, the budgeted
// poll passes of one loop over several MACs, the Run goroutine and the hot
// path's allocations, with real rings whose device the test plays.

package enet

import (
	"testing"
	"time"
)

func startedMAC(t testing.TB, budget int) (*MAC, *fakeENET, *plainRings) {
	t.Helper()
	m, f, _ := newTestMAC(t, func(o *Options) { o.Budget = budget })
	p := newPlainRings(t, m, 16)
	if err := m.Start(p.rx, p.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	return m, f, p
}

// loopOf is the poll loop of one MAC.
func loopOf(t testing.TB, m *MAC, endPass func()) *Loop {
	t.Helper()
	l, err := NewLoop(LoopOptions{MACs: []*MAC{m}, Wake: m.notify, EndPass: endPass})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestISRAcknowledgesAndMasks(t *testing.T) {
	m, f, _ := startedMAC(t, 8)
	f.raise(IntRXF | IntMII | IntRXB)
	m.ISR()
	eir := f.reg(regEIR)
	if eir&IntRXF != 0 {
		t.Error("RXF not acknowledged")
	}
	if eir&IntMII == 0 {
		t.Error("ISR acknowledged EIR.MII, which belongs to MDIO")
	}
	if f.reg(regEIMR) != intErrors {
		t.Errorf("EIMR %#08x: want data masked, error events kept", f.reg(regEIMR))
	}
	select {
	case <-m.notify:
	default:
		t.Fatal("ISR did not wake the poll loop")
	}
	// A second interrupt while the wakeup is pending must not block.
	f.raise(IntTXF)
	m.ISR()
	m.ISR() // nothing pending now: spurious
	s := m.Stats()
	if s.Interrupts != 3 || s.Spurious != 1 {
		t.Errorf("interrupts %d spurious %d", s.Interrupts, s.Spurious)
	}
}

func TestISRCountsErrors(t *testing.T) {
	m, f, _ := startedMAC(t, 8)
	f.raise(IntEBERR | IntBABR | IntUN)
	m.ISR()
	s := m.Stats()
	if s.BusError != 1 || s.BabblingRx != 1 || s.Underrun != 1 || s.LateCollision != 0 {
		t.Errorf("%+v", s)
	}
	if f.reg(regEIR)&(IntEBERR|IntBABR|IntUN) != 0 {
		t.Error("error events not acknowledged")
	}
	if f.reg(regEIMR)&intData == 0 {
		t.Error("error-only interrupt masked the data interrupts")
	}
	// Error events that do not interrupt are picked up by Poll, which also
	// acknowledges RXF/TXF raised by frames it is about to see.
	f.raise(IntLC | IntRL | IntRXF | IntTXF | IntMII)
	m.poll()
	if s := m.Stats(); s.LateCollision != 1 || s.RetryLimit != 1 {
		t.Errorf("poll-time errors: %+v", s)
	}
	if got := f.reg(regEIR); got != IntMII {
		t.Errorf("EIR after a pass %#08x, want only MII left", got)
	}
}

func TestDrainBudget(t *testing.T) {
	m, f, p := startedMAC(t, 4)
	var ends int
	l := loopOf(t, m, func() { ends++ })
	p.arrive(10) // 4 + 4 + 2: three passes, two exhausted
	p.send(t, 3)
	p.sent(3)
	f.raise(IntRXF)
	m.ISR()
	<-m.notify
	before := f.rdar
	if passes := l.Drain(); passes != 3 || ends != 3 {
		t.Errorf("passes = %d, end-of-pass hooks %d, want 3", passes, ends)
	}
	s := m.Stats()
	if s.Polls != 3 || s.BudgetExhausted != 2 || s.RX.Frames != 10 || s.TX.Completed != 3 {
		t.Errorf("%+v", s)
	}
	if f.rdar-before != 3 || s.RX.Doorbells != 4 {
		t.Errorf("RDAR writes %d (ring counts %d), want one per pass that refilled", f.rdar-before, s.RX.Doorbells)
	}
	if f.reg(regEIMR) != intData|intErrors {
		t.Errorf("EIMR %#08x after drain: not unmasked", f.reg(regEIMR))
	}
	// Exactly budget frames: the pass is "exhausted" and a second, empty
	// pass confirms the ring is drained.
	p.arrive(4)
	if passes := l.Drain(); passes != 2 {
		t.Errorf("exact budget: passes = %d, want 2", passes)
	}
}

// One loop polls every MAC in each pass and ends the pass once.
func TestLoopPollsEveryMAC(t *testing.T) {
	wake := make(chan struct{}, 1)
	var macs []*MAC
	var rings []*plainRings
	for range 2 {
		m, _, _ := newTestMAC(t, func(o *Options) { o.Budget = 4; o.Wake = wake })
		p := newPlainRings(t, m, 16)
		if err := m.Start(p.rx, p.tx, dropAll); err != nil {
			t.Fatal(err)
		}
		macs, rings = append(macs, m), append(rings, p)
	}
	var ends int
	l, err := NewLoop(LoopOptions{MACs: macs, Wake: wake, EndPass: func() { ends++ }})
	if err != nil {
		t.Fatal(err)
	}
	rings[0].arrive(2)
	rings[1].arrive(6) // 4 + 2: the second port keeps the loop for two passes
	if passes := l.Drain(); passes != 2 || ends != 2 {
		t.Fatalf("passes %d, hooks %d", passes, ends)
	}
	if a, b := macs[0].Stats(), macs[1].Stats(); a.RX.Frames != 2 || b.RX.Frames != 6 || a.Polls != 2 || b.Polls != 2 {
		t.Fatalf("port 0 %+v\nport 1 %+v", a, b)
	}
	other, _, _ := newTestMAC(t, nil) // its own wake channel
	if _, err := NewLoop(LoopOptions{MACs: append(macs, other), Wake: wake}); err == nil {
		t.Error("a MAC waking another channel was accepted")
	}
	if _, err := NewLoop(LoopOptions{Wake: wake}); err == nil {
		t.Error("a loop without MACs was accepted")
	}
}

func TestPollBeforeStart(t *testing.T) {
	m, _, _ := newTestMAC(t, nil)
	if m.poll() {
		t.Error("poll before Start reported work")
	}
	if m.Stats().Polls != 0 {
		t.Error("poll before Start counted")
	}
}

func TestRunDrainsOnInterrupt(t *testing.T) {
	m, f, p := startedMAC(t, 4)
	passes := make(chan uint64, 16)
	l := loopOf(t, m, func() { passes <- m.Stats().RX.Frames })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { l.Run(stop); close(done) }()

	p.arrive(6)
	f.raise(IntRXF)
	m.ISR()
	// Passes of 4 then 2: the second leaves budget unused and ends Drain.
	var seen []uint64
	for len(seen) == 0 || seen[len(seen)-1] < 6 {
		select {
		case n := <-passes:
			seen = append(seen, n)
		case <-time.After(10 * time.Second): // hang guard, not a timing check
			t.Fatalf("Run did not drain: frames after each pass %v", seen)
		}
	}
	close(stop)
	<-done
	if f.reg(regEIMR)&intData != intData {
		t.Error("Run left the data interrupts masked")
	}
	if len(seen) != 2 || seen[0] != 4 || seen[1] != 6 {
		t.Errorf("frames after each pass %v, want [4 6]", seen)
	}
	if s := m.Stats(); s.BudgetExhausted != 1 {
		t.Errorf("%+v", s)
	}
}

func TestHotPathAllocatesNothing(t *testing.T) {
	m, f, p := startedMAC(t, 8)
	l := loopOf(t, m, func() { p.tx.Flush() })
	allocs := testing.AllocsPerRun(1000, func() {
		p.arrive(3)
		p.send(t, 2)
		p.sent(2)
		f.raise(IntRXF)
		m.ISR()
		<-m.notify
		l.Drain()
	})
	if allocs != 0 {
		t.Errorf("ISR + Drain + TX allocate %.1f per run", allocs)
	}
}

// FuzzISR feeds arbitrary EIR words to the interrupt handler: it must
// acknowledge exactly the events it owns, never EIR.MII, and count.
func FuzzISR(f *testing.F) {
	f.Add(uint32(IntRXF))
	f.Add(uint32(IntMII | IntTXF | IntEBERR))
	f.Add(uint32(0xFFFFFFFF))
	f.Add(uint32(0))
	f.Fuzz(func(t *testing.T, eir uint32) {
		m, fk, _ := newTestMAC(t, nil)
		p := newPlainRings(t, m, 2)
		if err := m.Start(p.rx, p.tx, dropAll); err != nil {
			t.Fatal(err)
		}
		fk.raise(eir)
		m.ISR()
		owned := eir & (intData | intErrors)
		if got := fk.reg(regEIR); got != eir&^owned {
			t.Fatalf("EIR %#08x -> %#08x, want %#08x", eir, got, eir&^owned)
		}
		s := m.Stats()
		if (owned == 0) != (s.Spurious == 1) {
			t.Fatalf("EIR %#08x: spurious %d", eir, s.Spurious)
		}
		woke := len(m.notify) == 1
		if woke != (owned&intData != 0) {
			t.Fatalf("EIR %#08x: woke %v", eir, woke)
		}
		if masked := fk.reg(regEIMR)&intData == 0; masked != woke {
			t.Fatalf("EIR %#08x: data masked %v, woke %v", eir, masked, woke)
		}
	})
}

// TestRunAnswersProbes: an idle loop answers a liveness probe from its
// select; a long drain answers between its passes, not only at the end.
func TestRunAnswersProbes(t *testing.T) {
	m, f, p := startedMAC(t, 1)
	passes := make(chan uint64) // each pass waits until the test takes its count
	probe := make(chan func(), 1)
	l, err := NewLoop(LoopOptions{MACs: []*MAC{m}, Wake: m.notify, Probe: probe,
		EndPass: func() { passes <- m.Stats().RX.Frames }})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { l.Run(stop); close(done) }()
	answered := make(chan uint64, 1)
	ask := func() { probe <- func() { answered <- m.Stats().RX.Frames } }
	ask()
	select {
	case <-answered:
	case <-time.After(10 * time.Second): // hang guard, not a timing check
		t.Fatal("an idle loop did not answer the probe")
	}

	// Ten frames at a budget of one: eleven passes. The probe sent after
	// the first meets a drain with ten passes to go.
	p.arrive(10)
	f.raise(IntRXF)
	m.ISR()
	<-passes
	ask()
	for range 10 {
		<-passes
	}
	at := <-answered
	close(stop)
	<-done
	if at >= 10 {
		t.Fatalf("probe answered after %d of 10 frames: only at the end of the drain", at)
	}
}
