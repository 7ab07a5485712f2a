// http_test.go tests the management probe against a real http.Server on
// loopback: answered through the server, not answered while the handler
// is stuck or fails, real clients unaffected, Close closes both.
package health

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

type httpRig struct {
	ln     net.Listener
	p      *Probe
	srv    *http.Server
	served chan error
}

func newHTTPRig(t *testing.T, h http.HandlerFunc) *httpRig {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(Options{Feed: func() {}})
	g := &httpRig{p: m.Probe("mgmt"), srv: &http.Server{Handler: h}, served: make(chan error, 1)}
	g.ln = ProbeListener(inner, g.p, "/status", 200*time.Millisecond)
	go func() { g.served <- g.srv.Serve(g.ln) }()
	t.Cleanup(func() { g.ln.Close() })
	return g
}

// ask probes once, as Monitor.Tick does.
func (g *httpRig) ask() {
	g.p.asked.Add(1)
	g.p.c <- g.p.answer
}

func (g *httpRig) waitAnswered(t *testing.T, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); g.p.answered.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("probe %d not answered", n)
		}
	}
}

func TestHTTPProbeAnsweredThroughServer(t *testing.T) {
	hits := make(chan string, 10)
	g := newHTTPRig(t, func(w http.ResponseWriter, r *http.Request) {
		hits <- r.URL.Path
		io.WriteString(w, "{}")
	})
	g.ask()
	g.waitAnswered(t, 1)
	if got := <-hits; got != "/status" {
		t.Fatalf("probe asked for %q", got)
	}
	// A real client still gets through the wrapper.
	resp, err := http.Get("http://" + g.ln.Addr().String() + "/x")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("real client: %v %v", resp, err)
	}
	resp.Body.Close()
	if got := <-hits; got != "/x" {
		t.Fatalf("real client reached %q", got)
	}
	g.ln.Close()
	if err := <-g.served; err == nil {
		t.Fatal("Serve returned nil after Close")
	}
}

// TestHTTPProbeStuckHandler: while the handler is stuck (a deadlock in the
// management plane) no probe is answered; once it is free they are again.
func TestHTTPProbeStuckHandler(t *testing.T) {
	free := make(chan struct{})
	g := newHTTPRig(t, func(w http.ResponseWriter, r *http.Request) { <-free })
	g.ask()
	time.Sleep(time.Second) // five probe time-outs: the round trip has given up
	if n := g.p.answered.Load(); n != 0 {
		t.Fatalf("a stuck handler answered %d probes", n)
	}
	close(free)
	g.ask()
	g.waitAnswered(t, 2)
}

func TestHTTPProbeNeeds200(t *testing.T) {
	ok := make(chan bool, 2)
	g := newHTTPRig(t, func(w http.ResponseWriter, r *http.Request) {
		if !<-ok {
			http.Error(w, "no", http.StatusInternalServerError)
		}
	})
	ok <- false
	g.ask()
	time.Sleep(500 * time.Millisecond)
	if n := g.p.answered.Load(); n != 0 {
		t.Fatalf("a 500 answered the probe (%d)", n)
	}
	ok <- true
	g.ask()
	g.waitAnswered(t, 2)
}
