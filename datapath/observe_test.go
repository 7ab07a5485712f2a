// The datapath's side of packet capture and of logged rules: what they
// cost the frames (no allocation, no copy) and what they see.

package datapath

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/capture"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/gopacket/gopacket/pcapgo"
)

const logRules = `
set default pass
reject proto tcp to any port 23
drop log proto udp to any port 9 label "discard"
`

func newObservedRig(t testing.TB, seed uint64) (*rig, *capture.Tap, *eventlog.Log) {
	var tap *capture.Tap
	var lg *eventlog.Log
	r := newRigWith(t, seed, logRules, func(o *Options, pool *pagepool.Pool, eng *filter.Engine) {
		var err error
		// The rig's pool has 64 pages: the capture may hold 32 of them.
		if tap, err = capture.New(capture.Options{Pool: pool, Refs: 32, Ports: []string{"lan", "wan"}}); err != nil {
			t.Fatal(err)
		}
		lg = eventlog.New(eventlog.Options{Filter: eng, Ports: []string{"lan", "wan"}, Now: func() int64 { return 0 }, Rate: 1e6, Burst: 1e6})
		o.Tap, o.Log = tap, lg
	})
	return r, tap, lg
}

// stream ends a capture, releasing what it holds, and returns its file.
func stream(t testing.TB, s *capture.Session, stopAfterReady bool) []byte {
	var out bytes.Buffer
	var flush func() error
	if stopAfterReady {
		flush = func() error { return errors.New("enough") }
	}
	s.Stream(context.Background(), &out, flush)
	return out.Bytes()
}

func TestCaptureSeesForwardedAndDroppedFrames(t *testing.T) {
	r, tap, _ := newObservedRig(t, 31)
	defer r.close(t)
	s, err := tap.Start(capture.Config{Count: 10, Duration: time.Minute, Verdicts: capture.Dropped})
	if err != nil {
		t.Fatal(err)
	}
	fwd, drop := ipv4(hostR, hostL, 17, 53, 100), ipv4(hostR, hostL, 17, 9, 100)
	r.receive(t, 0, fwd, drop, fwd)
	if len(r.sides[1].sent) != 2 || !bytes.Equal(r.sides[1].sent[0], fwd) {
		t.Fatal("the capture changed forwarding")
	}
	rd, err := pcapgo.NewReader(bytes.NewReader(stream(t, s, true)))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{drop} {
		if data, _, err := rd.ReadPacketData(); err != nil || !bytes.Equal(data, want) {
			t.Fatalf("frame %d: %x, %v", i, data, err)
		}
	}
	if _, _, err := rd.ReadPacketData(); err != io.EOF {
		t.Fatalf("more than the dropped frames: %v", err)
	}
}

// The capture's RX-side cost: a reference per frame, no allocation; a
// logged rule's cost: one fixed-size entry, no allocation.
func TestCaptureAndLogAllocateNothingPerFrame(t *testing.T) {
	r, tap, lg := newObservedRig(t, 32)
	defer r.close(t)
	s, err := tap.Start(capture.Config{Count: capture.MaxCount, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	fwd, logged := ipv4(hostR, hostL, 17, 53, 200), ipv4(hostR, hostL, 17, 9, 20)
	r.receive(t, 0, fwd, logged) // warm up
	side := r.sides[0]
	handler := r.dp.Handler(0)
	r.sides[1].dev.OnTransmit(func([]byte) {})
	const runs = 14 // two frames each: within the capture's 32 references
	allocs := testing.AllocsPerRun(runs, func() { r.pass(side, handler, r.sides[1], fwd, logged) })
	if allocs != 0 {
		t.Fatalf("%v allocations per pass of a forwarded and a logged frame, captured", allocs)
	}
	if st := tap.Stats(); st.Held != 2*(runs+1)+2 || st.Lost != 0 {
		t.Fatalf("capture %+v, want every frame held", st)
	}
	if st := lg.Stats(); st.Overflow != 0 || lg.Pending() != runs+2 {
		t.Fatalf("log %+v, %d hits recorded, want %d", st, lg.Pending(), runs+2)
	}
	stream(t, s, true)
	if st := tap.Stats(); st.Held != 0 || st.Frames != 2*(runs+1)+2 {
		t.Fatalf("after the stream: %+v", st)
	}
}

func TestLoggedRuleReachesTheLog(t *testing.T) {
	r, _, lg := newObservedRig(t, 33)
	defer r.close(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { lg.Run(stop); close(done) }()
	defer func() { close(stop); <-done }()
	_, changed := lg.Since(0, nil)
	r.receive(t, 0, ipv4(hostR, hostL, 17, 9, 20), ipv4(hostR, hostL, 17, 53, 20))
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no line recorded")
	}
	recs, _ := lg.Since(0, nil)
	if len(recs) != 1 {
		t.Fatalf("%d lines for one logged frame", len(recs))
	}
	line := string(lg.AppendText(nil, &recs[0]))
	if want := "drop udp 10.0.0.1:40000 -> 10.0.0.2:9 on lan len 62 (rule 1, line 4, \"discard\")\n"; !bytes.HasSuffix([]byte(line), []byte(want)) {
		t.Fatalf("line %q, want suffix %q", line, want)
	}
}

// Side by side: forwarding with no capture, and with a capture taking a
// reference to every frame (its reader not counted: it runs elsewhere).
func BenchmarkForward(b *testing.B) {
	for _, capturing := range []bool{false, true} {
		name := "no-capture"
		if capturing {
			name = "capture"
		}
		b.Run(name, func(b *testing.B) {
			r, tap, _ := newObservedRig(b, 34)
			defer r.close(b)
			var s *capture.Session
			if capturing {
				s, _ = tap.Start(capture.Config{Count: capture.MaxCount, Duration: time.Hour})
			}
			f := ipv4(hostR, hostL, 17, 53, 200)
			side, handler := r.sides[0], r.dp.Handler(0)
			r.sides[1].dev.OnTransmit(func([]byte) {})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.pass(side, handler, r.sides[1], f)
				if s != nil && tap.Stats().Held > 24 {
					b.StopTimer()
					s.Stream(context.Background(), io.Discard, func() error { return errors.New("drained") })
					s, _ = tap.Start(capture.Config{Count: capture.MaxCount, Duration: time.Hour})
					b.StartTimer()
				}
			}
			b.StopTimer()
			if s != nil {
				s.Stream(context.Background(), io.Discard, func() error { return errors.New("drained") })
			}
			// What holding references costs the ring: refills with the
			// other half or a fresh page (a whole half cleaned) instead of
			// the same half (only the frame's lines).
			rs := side.rx.Stats()
			b.ReportMetric(float64(rs.DevLines)/float64(rs.Frames), "lines-cleaned/frame")
			b.ReportMetric(float64(rs.FreshPages)/float64(rs.Frames), "fresh-pages/frame")
		})
	}
}
