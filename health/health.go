// Package health decides whether the appliance is alive enough to keep its
// hardware watchdog fed. Named sources (the poll loop, the management
// plane) must each answer a probe within a deadline; the monitor feeds
// the watchdog once per period only while every source is fresh, so a
// source that blocks (a deadlock, a hung datapath) stops the feeding and
// the watchdog resets the SoC. A goroutine that computes without yielding
// starves the monitor itself (tamago does not preempt): the watchdog's
// own time-out catches that.
//
// A source proves liveness by answering from its own goroutine, not by a
// heartbeat: an idle poll loop waiting for an interrupt does no passes
// but is alive, and answers as soon as it is asked (Probe.C, selected on
// next to its wakeup). It imports nothing of fosbury.
//
// health.go owns the monitor and the probes.
package health

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultPeriod   = time.Second
	DefaultDeadline = 10 * time.Second
	DefaultBoot     = 60 * time.Second
)

// Options configures a monitor.
type Options struct {
	// Feed services the watchdog; called from Run's goroutine. Required.
	Feed func()
	// Period is how often sources are probed and the watchdog may be fed.
	Period time.Duration
	// Deadline is how long a source may go without answering before it
	// is stale. A hang is noticed within Deadline+Period, and the SoC
	// resets one watchdog time-out after the last feed.
	Deadline time.Duration
	// Boot bounds the start-up: until Ready, the monitor feeds while the
	// sources registered so far are fresh, but not past Boot.
	Boot time.Duration
	// Now is a monotonic clock; the time since New when nil.
	Now func() time.Duration
	// Log reports when feeding stops or resumes, with the stale sources;
	// nil is silent.
	Log func(msg string)
}

// Probe is one liveness source. Its goroutine must receive from C next to
// whatever it waits on, and call each function it receives.
type Probe struct {
	name     string
	c        chan func()
	answer   func()
	asked    atomic.Uint64
	answered atomic.Uint64

	seen   uint64        // answered as of the monitor's last look
	lastOK time.Duration // when the monitor last saw an answer
}

// Name is the source's name.
func (p *Probe) Name() string { return p.name }

// C delivers probes: call each function received, from the source's own
// goroutine. It never closes.
func (p *Probe) C() <-chan func() { return p.c }

// Monitor feeds the watchdog while every source is fresh.
type Monitor struct {
	o Options

	mu      sync.Mutex
	sources []*Probe
	start   time.Duration
	ready   bool
	feeding bool
	feeds   uint64
	missed  uint64
}

// New checks the options; the monitor does nothing until Run (or Tick).
func New(o Options) (*Monitor, error) {
	if o.Feed == nil {
		return nil, errors.New("health: Options.Feed is required")
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.Boot <= 0 {
		o.Boot = DefaultBoot
	}
	if o.Deadline < o.Period {
		return nil, fmt.Errorf("health: deadline %v shorter than the period %v", o.Deadline, o.Period)
	}
	if o.Now == nil {
		t0 := time.Now()
		o.Now = func() time.Duration { return time.Since(t0) }
	}
	return &Monitor{o: o, start: o.Now(), feeding: true}, nil
}

// Probe registers a source; it is fresh from now for one Deadline.
func (m *Monitor) Probe(name string) *Probe {
	p := &Probe{name: name, c: make(chan func(), 1)}
	p.answer = func() { p.answered.Store(p.asked.Load()) }
	m.mu.Lock()
	p.lastOK = m.o.Now()
	m.sources = append(m.sources, p)
	m.mu.Unlock()
	return p
}

// Ready ends the start-up: from now on every source must stay fresh.
func (m *Monitor) Ready() {
	m.mu.Lock()
	m.ready = true
	m.mu.Unlock()
}

// Tick is one round: it notes which sources answered since the last
// round, feeds the watchdog if all are fresh, and probes them again. It
// reports whether it fed.
func (m *Monitor) Tick() bool {
	m.mu.Lock()
	now := m.o.Now()
	healthy := m.ready || now-m.start <= m.o.Boot
	for _, p := range m.sources {
		if a := p.answered.Load(); a != p.seen {
			p.seen, p.lastOK = a, now
		}
		if now-p.lastOK > m.o.Deadline {
			healthy = false
		}
	}
	for _, p := range m.sources {
		p.asked.Add(1)
		select {
		case p.c <- p.answer:
		default: // the last probe is still waiting: the source is busy or stuck
		}
	}
	var msg string
	if healthy != m.feeding {
		m.feeding = healthy
		msg = m.transition(now)
	}
	if healthy {
		m.feeds++
	} else {
		m.missed++
	}
	m.mu.Unlock()
	if msg != "" && m.o.Log != nil {
		m.o.Log(msg)
	}
	if healthy {
		m.o.Feed()
	}
	return healthy
}

// transition words a change of feeding; m.mu is held.
func (m *Monitor) transition(now time.Duration) string {
	if m.feeding {
		return "health: all sources fresh again: feeding the watchdog"
	}
	var stale []string
	for _, p := range m.sources {
		if age := now - p.lastOK; age > m.o.Deadline {
			stale = append(stale, fmt.Sprintf("%s (no answer for %v)", p.name, age.Round(time.Millisecond)))
		}
	}
	if len(stale) == 0 {
		return fmt.Sprintf("health: not ready %v after start: no longer feeding the watchdog", m.o.Boot)
	}
	return "health: stale: " + strings.Join(stale, ", ") + ": no longer feeding the watchdog"
}

// Run ticks every Period until stop is closed.
func (m *Monitor) Run(stop <-chan struct{}) {
	t := time.NewTicker(m.o.Period)
	defer t.Stop()
	for {
		m.Tick()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// SourceStatus is one source as of the last round.
type SourceStatus struct {
	Name string `json:"name"`
	// AnsweredAgo is the time since the monitor last saw it answer (or
	// since it was registered).
	AnsweredAgo float64 `json:"answered_seconds_ago"`
	Fresh       bool    `json:"fresh"`
}

// Status is the monitor's state for /status.
type Status struct {
	Ready    bool           `json:"ready"`
	Feeding  bool           `json:"feeding"`
	Feeds    uint64         `json:"feeds"`
	Missed   uint64         `json:"missed"`
	Deadline float64        `json:"deadline_seconds"`
	Sources  []SourceStatus `json:"sources"`
}

// Status reports the monitor's state.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now()
	st := Status{Ready: m.ready, Feeding: m.feeding, Feeds: m.feeds, Missed: m.missed,
		Deadline: m.o.Deadline.Seconds()}
	for _, p := range m.sources {
		age := now - p.lastOK
		st.Sources = append(st.Sources, SourceStatus{Name: p.name, AnsweredAgo: age.Seconds(), Fresh: age <= m.o.Deadline})
	}
	return st
}
