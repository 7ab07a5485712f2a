// health_test.go tests the monitor on a fake clock: fresh sources feed,
// a silent one stops the feeding after its deadline, an idle source that
// answers probes stays fresh, start-up is bounded, feeding resumes.
package health

import (
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Duration }

func (c *clock) now() time.Duration { return c.t }

type rig struct {
	t     *testing.T
	clk   *clock
	m     *Monitor
	feeds int
	logs  []string
}

func newRig(t *testing.T) *rig {
	g := &rig{t: t, clk: &clock{}}
	m, err := New(Options{Feed: func() { g.feeds++ }, Period: time.Second, Deadline: 3 * time.Second,
		Boot: 10 * time.Second, Now: g.clk.now, Log: func(s string) { g.logs = append(g.logs, s) }})
	if err != nil {
		t.Fatal(err)
	}
	g.m = m
	return g
}

// answer plays a source that answers every probe waiting for it.
func answer(p *Probe) {
	for {
		select {
		case f := <-p.C():
			f()
		default:
			return
		}
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("monitor without Feed accepted")
	}
	if _, err := New(Options{Feed: func() {}, Period: 2 * time.Second, Deadline: time.Second}); err == nil {
		t.Error("deadline shorter than the period accepted")
	}
}

func TestFreshSourcesFeed(t *testing.T) {
	g := newRig(t)
	a, b := g.m.Probe("poll"), g.m.Probe("mgmt")
	g.m.Ready()
	for i := range 20 {
		g.clk.t += time.Second
		if !g.m.Tick() {
			t.Fatalf("round %d: did not feed with every source answering", i)
		}
		answer(a)
		answer(b)
	}
	if g.feeds != 20 || len(g.logs) != 0 {
		t.Fatalf("%d feeds, logs %v", g.feeds, g.logs)
	}
}

func TestSilentSourceStopsFeeding(t *testing.T) {
	g := newRig(t)
	a := g.m.Probe("poll")
	g.m.Probe("mgmt")
	g.m.Ready()
	fed := 0
	for range 10 {
		g.clk.t += time.Second
		if g.m.Tick() {
			fed++
		}
		answer(a) // mgmt never answers
	}
	// Fresh for the 3 s deadline after registration, then stale.
	if fed != 3 || g.feeds != 3 {
		t.Fatalf("fed %d rounds (%d feeds), want 3", fed, g.feeds)
	}
	if len(g.logs) != 1 || !strings.Contains(g.logs[0], "mgmt (no answer for 4s)") || strings.Contains(g.logs[0], "poll") {
		t.Fatalf("logs %v", g.logs)
	}
	st := g.m.Status()
	if st.Feeding || st.Missed != 7 || len(st.Sources) != 2 || !st.Sources[0].Fresh || st.Sources[1].Fresh {
		t.Fatalf("status %+v", st)
	}
}

// TestIdleLoopStaysFresh: a loop that does no work at all, waiting for a
// wakeup that never comes, is alive: it answers probes from its select.
// The same loop blocked inside its work is not.
func TestIdleLoopStaysFresh(t *testing.T) {
	g := newRig(t)
	p := g.m.Probe("poll")
	g.m.Ready()
	wake := make(chan struct{}) // never signalled: no traffic
	stuck := make(chan struct{})
	answered := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-wake:
				<-stuck // a pass that never ends
			case f := <-p.C():
				f()
				answered <- struct{}{}
			}
		}
	}()
	for i := range 10 {
		g.clk.t += time.Second
		if !g.m.Tick() {
			t.Fatalf("round %d: an idle loop counted as stale", i)
		}
		<-answered
	}
	wake <- struct{}{} // traffic, and the pass hangs
	fed := 0
	for range 10 {
		g.clk.t += time.Second
		if g.m.Tick() {
			fed++
		}
	}
	// Its last answer was seen in the round after the last probe (11 s),
	// so the 3 s deadline feeds rounds 11 to 14.
	if fed != 4 {
		t.Fatalf("a hung loop was fed for %d more rounds, want 4", fed)
	}
}

func TestBootIsBounded(t *testing.T) {
	g := newRig(t)
	for i := 1; i <= 12; i++ {
		g.clk.t += time.Second
		if fed := g.m.Tick(); fed != (i <= 10) {
			t.Fatalf("second %d of start-up without Ready: fed %v", i, fed)
		}
	}
	if len(g.logs) != 1 || !strings.Contains(g.logs[0], "not ready 10s after start") {
		t.Fatalf("logs %v", g.logs)
	}
	g.m.Ready()
	g.clk.t += time.Second
	if !g.m.Tick() || !strings.Contains(g.logs[1], "fresh again") {
		t.Fatalf("not fed after Ready: logs %v", g.logs)
	}
}

func TestFeedingResumes(t *testing.T) {
	g := newRig(t)
	p := g.m.Probe("poll")
	g.m.Ready()
	for range 5 {
		g.clk.t += time.Second
		g.m.Tick()
	}
	if g.m.Status().Feeding {
		t.Fatal("still feeding after 5 s of silence")
	}
	answer(p) // the probe waiting since the last round
	g.clk.t += time.Second
	if !g.m.Tick() {
		t.Fatal("a source that answered again is still stale")
	}
	if len(g.logs) != 2 || !strings.Contains(g.logs[1], "fresh again") {
		t.Fatalf("logs %v", g.logs)
	}
}

// TestRunStops: Run ticks at once and returns when stop closes.
func TestRunStops(t *testing.T) {
	fed := make(chan struct{}, 1)
	m, err := New(Options{Feed: func() {
		select {
		case fed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { m.Run(stop); close(done) }()
	<-fed
	close(stop)
	<-done
}
