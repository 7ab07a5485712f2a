// poll_test.go tests interrupt acknowledge, NAPI masking, the budgeted
// poll passes, the Run goroutine and the hot path's allocations.

package enet

import (
	"testing"
	"time"
)

func startedMAC(t testing.TB, budget int) (*MAC, *fakeENET, *fakeRX, *fakeTX) {
	t.Helper()
	m, f, _ := newTestMAC(t, func(o *Options) { o.Budget = budget })
	rx := &fakeRX{base: 0x1000, n: 16, buf: 2048}
	tx := &fakeTX{base: 0x2000, n: 16}
	rx.doorbell = m.RXDoorbell
	if err := m.Start(rx, tx); err != nil {
		t.Fatal(err)
	}
	return m, f, rx, tx
}

func TestISRAcknowledgesAndMasks(t *testing.T) {
	m, f, _, _ := startedMAC(t, 8)
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
	case <-m.Wakeups():
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
	m, f, _, _ := startedMAC(t, 8)
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
	m.Poll()
	if s := m.Stats(); s.LateCollision != 1 || s.RetryLimit != 1 {
		t.Errorf("poll-time errors: %+v", s)
	}
	if got := f.reg(regEIR); got != IntMII {
		t.Errorf("EIR after a pass %#08x, want only MII left", got)
	}
}

func TestDrainBudget(t *testing.T) {
	m, f, rx, tx := startedMAC(t, 4)
	rx.add(10) // 4 + 4 + 2: three passes, two exhausted
	tx.done = 3
	f.raise(IntRXF)
	m.ISR()
	<-m.Wakeups()
	before := f.rdar
	if passes := m.Drain(); passes != 3 {
		t.Errorf("passes = %d, want 3", passes)
	}
	s := m.Stats()
	if s.Polls != 3 || s.BudgetExhausted != 2 || s.RxPolled != 10 || s.TxReclaimed != 3 {
		t.Errorf("%+v", s)
	}
	if f.rdar-before != 3 {
		t.Errorf("RDAR writes %d, want one per pass that refilled", f.rdar-before)
	}
	if f.reg(regEIMR) != intData|intErrors {
		t.Errorf("EIMR %#08x after drain: not unmasked", f.reg(regEIMR))
	}
	// Exactly budget frames: the pass is "exhausted" and a second, empty
	// pass confirms the ring is drained.
	rx.add(4)
	if passes := m.Drain(); passes != 2 {
		t.Errorf("exact budget: passes = %d, want 2", passes)
	}
}

func TestPollBeforeStart(t *testing.T) {
	m, _, _ := newTestMAC(t, nil)
	if m.Poll() {
		t.Error("Poll before Start reported work")
	}
	if m.Stats().Polls != 0 {
		t.Error("Poll before Start counted")
	}
}

func TestRunDrainsOnInterrupt(t *testing.T) {
	m, f, rx, _ := startedMAC(t, 4)
	rx.polled = make(chan int, 16)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(stop, 0); close(done) }()

	rx.add(6)
	f.raise(IntRXF)
	m.ISR()
	// Passes of 4 then 2: the second leaves budget unused and ends Drain.
	var passes []int
	for sum := 0; sum < 6; {
		select {
		case n := <-rx.polled:
			passes = append(passes, n)
			sum += n
		case <-time.After(10 * time.Second): // hang guard, not a timing check
			t.Fatalf("Run did not drain: passes %v", passes)
		}
	}
	close(stop)
	<-done
	if f.reg(regEIMR)&intData != intData {
		t.Error("Run left the data interrupts masked")
	}
	if len(passes) != 2 || passes[0] != 4 || passes[1] != 2 {
		t.Errorf("passes %v, want [4 2]", passes)
	}
	if s := m.Stats(); s.RxPolled != 6 || s.BudgetExhausted != 1 {
		t.Errorf("%+v", s)
	}
}

func TestHotPathAllocatesNothing(t *testing.T) {
	m, f, rx, tx := startedMAC(t, 8)
	allocs := testing.AllocsPerRun(1000, func() {
		rx.add(3)
		tx.done = 2
		f.raise(IntRXF)
		m.ISR()
		<-m.Wakeups()
		m.Drain()
		m.TXDoorbell()
	})
	if allocs != 0 {
		t.Errorf("ISR + Drain + doorbell allocate %.1f per run", allocs)
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
		if err := m.Start(&fakeRX{base: 8, n: 2, buf: 2048}, &fakeTX{base: 16, n: 2}); err != nil {
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
		woke := len(m.Wakeups()) == 1
		if woke != (owned&intData != 0) {
			t.Fatalf("EIR %#08x: woke %v", eir, woke)
		}
		if masked := fk.reg(regEIMR)&intData == 0; masked != woke {
			t.Fatalf("EIR %#08x: data masked %v, woke %v", eir, masked, woke)
		}
	})
}

func TestRunPolledDrainsWithoutInterrupts(t *testing.T) {
	m, _, rx, _ := startedMAC(t, 4)
	rx.polled = make(chan int, 64)
	rx.add(5)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { m.RunPolled(stop, time.Millisecond, time.Millisecond); close(done) }()
	for sum := 0; sum < 5; {
		select {
		case n := <-rx.polled:
			sum += n
		case <-time.After(10 * time.Second): // hang guard
			t.Fatal("RunPolled did not drain")
		}
	}
	close(stop)
	<-done
	if s := m.Stats(); s.Interrupts != 0 || s.RxPolled != 5 {
		t.Errorf("%+v", s)
	}
}

// TestRunAnswersProbes: an idle loop answers a liveness probe from its
// select; a long drain answers between its passes, not only at the end.
func TestRunAnswersProbes(t *testing.T) {
	probe := make(chan func(), 1)
	m, f, _ := newTestMAC(t, func(o *Options) { o.Budget = 1; o.Probe = probe })
	rx := &fakeRX{base: 0x1000, n: 16, buf: 2048, polled: make(chan int)}
	if err := m.Start(rx, &fakeTX{base: 0x2000, n: 16}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(stop, 0); close(done) }()
	answered := make(chan uint64, 1)
	ask := func() { probe <- func() { answered <- rx.RXCounters().Frames } }
	ask()
	select {
	case <-answered:
	case <-time.After(10 * time.Second): // hang guard, not a timing check
		t.Fatal("an idle loop did not answer the probe")
	}

	// Ten frames at a budget of one: each pass waits for the test to take
	// its count, so the probe sent after the first pass meets a drain
	// that has nine passes to go.
	rx.add(10)
	f.raise(IntRXF)
	m.ISR()
	<-rx.polled
	ask()
	for range 10 {
		<-rx.polled
	}
	at := <-answered
	close(stop)
	<-done
	if at >= 10 {
		t.Fatalf("probe answered after %d of 10 frames: only at the end of the drain", at)
	}
}
