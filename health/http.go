// http.go owns the management plane's probe: a listener wrapper that, on
// each probe, hands the HTTP server one in-memory connection carrying a
// GET request. The probe is answered only when a 200 response has been
// read in full, which takes the server's accept loop, a connection
// goroutine and the handler, with whatever locks the handler takes.
package health

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// ProbeListener wraps ln, the listener an http.Server serves, so that p
// probes that server with GET path; each round trip must complete within
// timeout. Serve the returned listener instead of ln; closing it closes ln.
func ProbeListener(ln net.Listener, p *Probe, path string, timeout time.Duration) net.Listener {
	l := &probeListener{Listener: ln, conns: make(chan net.Conn), accepted: make(chan accepted),
		done: make(chan struct{})}
	l.req = []byte("GET " + path + " HTTP/1.1\r\nHost: health-probe\r\nConnection: close\r\n\r\n")
	go l.pump()
	go l.probe(p, timeout)
	return l
}

type accepted struct {
	c   net.Conn
	err error
}

type probeListener struct {
	net.Listener
	req      []byte
	conns    chan net.Conn // probe connections waiting for Accept
	accepted chan accepted // the real listener's accepts
	done     chan struct{}
	once     sync.Once
}

// pump forwards the real listener's accepts, so Accept can also wait for
// a probe connection.
func (l *probeListener) pump() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- accepted{c, err}:
		case <-l.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// Accept returns the next real or probe connection.
func (l *probeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case a := <-l.accepted:
		return a.c, a.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the real listener and stops probing.
func (l *probeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *probeListener) probe(p *Probe, timeout time.Duration) {
	for {
		select {
		case answer := <-p.C():
			if l.roundTrip(timeout) == nil {
				answer()
			}
		case <-l.done:
			return
		}
	}
}

var errProbeTimeout = errors.New("health: the server did not accept the probe connection in time")

// roundTrip sends one request through the server and reads the response.
func (l *probeListener) roundTrip(timeout time.Duration) error {
	client, server := net.Pipe()
	defer client.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l.conns <- server:
	case <-t.C:
		server.Close()
		return errProbeTimeout
	case <-l.done:
		server.Close()
		return net.ErrClosed
	}
	client.SetDeadline(time.Now().Add(timeout))
	if _, err := client.Write(l.req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: probe answered %s", resp.Status)
	}
	return nil
}
