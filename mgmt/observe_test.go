// GET /log and GET /capture over a real loopback HTTP server.

package mgmt

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/capture"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/internal/rxrig"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/gopacket/gopacket/pcapgo"
)

type server struct {
	url  string
	rig  *rxrig.Rig
	tap  *capture.Tap
	eng  *filter.Engine
	log  *eventlog.Log
	idle int
}

func newServer(t *testing.T) *server {
	rr := rxrig.New(t, 64)
	tap, err := capture.New(capture.Options{Pool: rr.Pool, Refs: 16, Ports: []string{"lan", "wan"}})
	if err != nil {
		t.Fatal(err)
	}
	eng := filter.NewEngine(filter.Options{HashSeed: 1})
	if err := eng.Load("t.rules", []byte("set default pass\n")); err != nil {
		t.Fatal(err)
	}
	lg := eventlog.New(eventlog.Options{Now: func() int64 { return time.Now().UnixNano() }, Rate: 1000, Burst: 1000})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go Serve(ln, Options{Version: "v", Log: lg, Capture: tap, Filter: eng, Ports: []string{"lan", "wan"}})
	return &server{url: "http://" + ln.Addr().String(), rig: rr, tap: tap, eng: eng, log: lg, idle: rr.InFlight()}
}

// feed receives frames on port as the datapath would, for a capture.
func (s *server) feed(t *testing.T, port int, frames ...[]byte) {
	t.Helper()
	var sess *capture.Session
	begun := false
	s.rig.Receive(t, func() func(*rxring.Frame) {
		if begun {
			s.tap.End(sess)
		}
		sess, begun = s.tap.Begin(), true
		return func(f *rxring.Frame) {
			if sess != nil {
				sess.Offer(port, f, s.eng.Decide(f.Bytes(), filter.Meta{Port: uint8(port)}), 1)
			}
		}
	}, frames...)
	s.tap.End(sess)
}

// waitActive waits until a capture runs (the request reached Start).
func (s *server) waitActive(t *testing.T, active bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.tap.Stats().Active != active; {
		if time.Now().After(deadline) {
			t.Fatalf("capture active is not %v", active)
		}
		time.Sleep(time.Millisecond)
	}
}

func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestCaptureEndpoint(t *testing.T) {
	s := newServer(t)
	type result struct {
		code    int
		body    []byte
		trailer http.Header
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.url + "/capture?port=wan&count=2&match=" + url.QueryEscape("proto udp to any port 53"))
		if err != nil {
			done <- result{code: -1}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, b, resp.Trailer}
	}()
	s.waitActive(t, true)

	// While it runs: a second capture is refused; bad input is a 400.
	if code, body := get(t, s.url+"/capture"); code != http.StatusConflict {
		t.Fatalf("second capture: %d %s", code, body)
	}
	for q, want := range map[string]string{
		"match=" + url.QueryEscape("proto tcp frm any"): "match:1:11: unknown word \"frm\"",
		"port=dmz":      "unknown port \"dmz\"; ports are lan, wan",
		"count=0":       "count must be 1..",
		"seconds=99999": "seconds must be 1..3600",
		"snap=5":        "snap must be 14..65535",
		"verdict=maybe": "verdict must be any, drop or pass",
		"format=json":   "format must be pcap or pcapng",
		"prot=lan":      "unknown parameter \"prot\"",
	} {
		if code, body := get(t, s.url+"/capture?"+q); code != http.StatusBadRequest || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q, want 400 with %q", q, code, body, want)
		}
	}

	want := rxrig.UDP4(53, 64, 9)
	s.feed(t, 0, rxrig.UDP4(53, 64, 1)) // lan: not selected
	s.feed(t, 1, rxrig.UDP4(54, 64, 2), want, want)
	r := <-done
	if r.code != 200 {
		t.Fatalf("capture: %d %s", r.code, r.body)
	}
	rd, err := pcapgo.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if data, _, err := rd.ReadPacketData(); err != nil || !bytes.Equal(data, want) {
			t.Fatalf("frame %d: %x %v", i, data, err)
		}
	}
	if r.trailer.Get(lostTrailer) != "0" {
		t.Errorf("trailer %v", r.trailer)
	}
	s.waitActive(t, false)
}

// A client that goes away mid-stream: every reference the capture held is
// released, and the pages in flight return to their idle value.
func TestCaptureClientDisconnects(t *testing.T) {
	s := newServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET /capture?count=1000&seconds=600 HTTP/1.1\r\nHost: x\r\n\r\n"))
	s.waitActive(t, true)
	for i := range 4 { // more than the client reads
		s.feed(t, 0, rxrig.UDP4(53, 1400, byte(i)), rxrig.UDP4(53, 1400, byte(i)))
	}
	br := bufio.NewReader(conn)
	if line, _ := br.ReadString('\n'); !strings.Contains(line, "200") {
		t.Fatalf("status line %q", line)
	}
	conn.Close()
	for i := range 20 { // the stream notices at its next write, or the server at its read
		s.feed(t, 0, rxrig.UDP4(53, 1400, byte(i)))
		if !s.tap.Stats().Active {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.waitActive(t, false)
	if st := s.tap.Stats(); st.Held != 0 || s.rig.InFlight() > s.idle+1 {
		t.Fatalf("after the disconnect: %+v, pages in flight %d (idle %d)", st, s.rig.InFlight(), s.idle)
	}
}

func TestLogEndpoint(t *testing.T) {
	s := newServer(t)
	stop := make(chan struct{})
	defer close(stop)
	go s.log.Run(stop)
	s.log.Event(eventlog.Notice, eventlog.KindLink, "lan: link up")
	s.log.Event(eventlog.Error, eventlog.KindError, "lan: rx crc errors +1 (1 in all)")
	code, body := get(t, s.url+"/log")
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if code != 200 || len(lines) != 2 || !strings.HasSuffix(lines[0], " notice link: lan: link up") ||
		!strings.HasSuffix(lines[1], " err error: lan: rx crc errors +1 (1 in all)") {
		t.Fatalf("%d %q", code, body)
	}
	if _, body := get(t, s.url+"/log?lines=1"); strings.Count(string(body), "\n") != 1 || !strings.Contains(string(body), "crc") {
		t.Fatalf("lines=1: %q", body)
	}
	if code, _ := get(t, s.url+"/log?lines=x"); code != 400 {
		t.Fatalf("lines=x: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/log?follow=1&lines=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s.log.Event(eventlog.Warning, eventlog.KindLink, "lan: link down")
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasSuffix(line, " warning link: lan: link down\n") {
		t.Fatalf("followed %q, %v", line, err)
	}
}
