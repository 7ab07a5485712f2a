package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/internal/rxrig"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/gopacket/gopacket/pcapgo"
)

// rig feeds a Tap from one RX ring as the datapath does: Begin per pass,
// Offer per frame (with the filter's verdict), End per pass.
type rig struct {
	*rxrig.Rig
	pool *pagepool.Pool
	tap  *Tap
	eng  *filter.Engine
	now  int64
	idle int // pages in flight with no capture holding any
}

func newRig(t *testing.T, refs int) *rig {
	t.Helper()
	rr := rxrig.New(t, 64)
	tap, err := New(Options{Pool: rr.Pool, Refs: refs, Ports: []string{"lan", "wan"},
		Wall: func(mono int64) (time.Time, bool) { return time.Unix(1700000000, mono), true }})
	if err != nil {
		t.Fatal(err)
	}
	eng := filter.NewEngine(filter.Options{HashSeed: 1})
	if err := eng.Load("t.rules", []byte("drop proto udp to any port 9\nset default pass\n")); err != nil {
		t.Fatal(err)
	}
	return &rig{Rig: rr, pool: rr.Pool, tap: tap, eng: eng, now: 1000, idle: rr.InFlight()}
}

// receive puts frames through the ring on port, one pass per ring's worth.
func (r *rig) receive(t *testing.T, port int, frames ...[]byte) {
	t.Helper()
	var s *Session
	begun := false
	r.Receive(t, func() func(*rxring.Frame) {
		if begun {
			r.tap.End(s) // the previous pass's
		}
		s, begun = r.tap.Begin(), true
		r.now += 1000
		return func(f *rxring.Frame) {
			v := r.eng.Decide(f.Bytes(), filter.Meta{Port: uint8(port), Now: r.now})
			if s != nil {
				s.Offer(port, f, v, r.now)
			}
		}
	}, frames...)
	r.tap.End(s)
}

var udp = rxrig.UDP4

func (r *rig) inFlight() int { return r.InFlight() }

// released says whether the pages in flight are back to what the ring
// holds: its slots, and a spare page it may have taken ahead. (Closing
// the ring, at cleanup, checks that no reference at all is left.)
func (r *rig) released() bool { return r.inFlight() <= r.idle+1 }

func TestPCAPByteForByte(t *testing.T) {
	r := newRig(t, 0)
	s, err := r.tap.Start(Config{Count: 5, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	for i := range 5 {
		sent = append(sent, udp(53, 10+i*300, byte(i)))
	}
	r.receive(t, 0, sent...)
	if held := r.tap.Stats().Held; held != 5 {
		t.Fatalf("%d references held, want 5", held)
	}
	var out bytes.Buffer
	res, err := s.Stream(context.Background(), &out, nil)
	if err != nil || res.Frames != 5 {
		t.Fatalf("stream: %d frames, %v", res.Frames, err)
	}
	rd, err := pcapgo.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	if rd.LinkType() != 1 || rd.Resolution().ToDuration() != time.Nanosecond {
		t.Fatalf("link type %v, resolution %v", rd.LinkType(), rd.Resolution())
	}
	for i, want := range sent {
		data, ci, err := rd.ReadPacketData()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(data, want) || ci.Length != len(want) {
			t.Fatalf("frame %d differs: %d bytes of %d", i, len(data), ci.Length)
		}
		if want := time.Unix(1700000000, 2000); !ci.Timestamp.Equal(want) { // the pass's time
			t.Fatalf("frame %d at %v, want %v", i, ci.Timestamp, want)
		}
	}
	if _, _, err := rd.ReadPacketData(); err != io.EOF {
		t.Fatalf("after the frames: %v", err)
	}
	if !r.released() || r.tap.Stats().Held != 0 || r.tap.Stats().Frames != 5 {
		t.Fatalf("in flight %d (idle %d), stats %+v", r.inFlight(), r.idle, r.tap.Stats())
	}
}

func TestPCAPNGPortsVerdictsSnap(t *testing.T) {
	r := newRig(t, 0)
	s, err := r.tap.Start(Config{Count: 3, Duration: 100 * time.Millisecond, Format: PCAPNG, Snap: 50, Ports: 1 << 1})
	if err != nil {
		t.Fatal(err)
	}
	drop, pass := udp(9, 100, 1), udp(53, 4, 2)
	r.receive(t, 0, udp(9, 100, 0)) // port 0: not captured
	r.receive(t, 1, drop, pass)
	var out bytes.Buffer
	res, err := s.Stream(context.Background(), &out, nil) // ends at its duration
	if err != nil || res.Frames != 2 {
		t.Fatalf("stream: %d frames, %v", res.Frames, err)
	}
	rd, err := pcapgo.NewNgReader(&out, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	if ifc, err := rd.Interface(0); err != nil || rd.NInterfaces() != 1 || ifc.Name != "wan" || ifc.SnapLength != 50 {
		t.Fatalf("interfaces: %d, %+v, %v", rd.NInterfaces(), ifc, err)
	}
	for i, c := range []struct {
		frame   []byte
		comment string
	}{{drop, "drop rule 0"}, {pass, "pass"}} {
		data, ci, opts, err := rd.ReadPacketDataWithOptions()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		want := c.frame[:min(50, len(c.frame))]
		if !bytes.Equal(data, want) || ci.Length != len(c.frame) || ci.InterfaceIndex != 0 {
			t.Fatalf("frame %d: %d of %d bytes, interface %d", i, len(data), ci.Length, ci.InterfaceIndex)
		}
		if len(opts.Comments) != 1 || opts.Comments[0] != c.comment || opts.Flags == nil || opts.Flags.Direction != pcapgo.NgEpbFlagDirectionInbound {
			t.Fatalf("frame %d options %+v, want comment %q", i, opts, c.comment)
		}
		if !ci.Timestamp.Equal(time.Unix(1700000000, 3000)) {
			t.Fatalf("frame %d at %v", i, ci.Timestamp)
		}
	}
}

func TestSelection(t *testing.T) {
	r := newRig(t, 0)
	m, err := r.eng.CompileMatch("proto udp to any port 53")
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.tap.Start(Config{Count: 10, Duration: 50 * time.Millisecond, Match: m, Verdicts: Passed})
	if err != nil {
		t.Fatal(err)
	}
	want := udp(53, 20, 3)
	r.receive(t, 0, udp(9, 20, 1), udp(54, 20, 2), want)
	r.receive(t, 1, udp(53, 30, 4)) // other port: both are captured by default
	var out bytes.Buffer
	if res, err := s.Stream(context.Background(), &out, nil); res.Frames != 2 || err != nil {
		t.Fatalf("%d frames, %v", res.Frames, err)
	}
	rd, _ := pcapgo.NewReader(&out)
	if data, _, err := rd.ReadPacketData(); err != nil || !bytes.Equal(data, want) {
		t.Fatalf("first frame %x, %v", data, err)
	}
	// Only dropped frames.
	s, _ = r.tap.Start(Config{Count: 10, Duration: 50 * time.Millisecond, Verdicts: Dropped})
	r.receive(t, 0, udp(9, 20, 1), udp(53, 20, 2))
	if res, err := s.Stream(context.Background(), io.Discard, nil); res.Frames != 1 || err != nil {
		t.Fatalf("dropped only: %d frames, %v", res.Frames, err)
	}
}

// The reference budget: a reader that does not read loses frames, counted;
// the ring keeps receiving (fresh pages replace held ones) and nothing leaks.
func TestBudgetBoundsReferences(t *testing.T) {
	r := newRig(t, 4)
	s, err := r.tap.Start(Config{Count: 100, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		r.receive(t, 0, udp(53, 100, byte(i)))
	}
	st := r.tap.Stats()
	if st.Held != 4 || st.Lost != 16 || r.inFlight() > r.idle+5 {
		t.Fatalf("held %d, lost %d, pages in flight %d (idle %d)", st.Held, st.Lost, r.inFlight(), r.idle)
	}
	if ex := r.pool.Stats().Exhausted; ex != 0 {
		t.Fatalf("the pool ran out %d times", ex)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := s.Stream(ctx, io.Discard, nil); res.Frames != 4 || !errors.Is(err, context.Canceled) {
		t.Fatalf("%d frames, %v", res.Frames, err)
	}
	if st := r.tap.Stats(); st.Lost != 16 || st.Held != 0 || st.Active || !r.released() {
		t.Fatalf("after the capture: %+v, in flight %d", st, r.inFlight())
	}
}

// failingWriter is a client that disconnects after limit bytes.
type failingWriter struct{ n, limit int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.n+len(b) > w.limit {
		return 0, errors.New("connection reset")
	}
	w.n += len(b)
	return len(b), nil
}

func TestDisconnectReleasesEveryReference(t *testing.T) {
	r := newRig(t, 0)
	s, err := r.tap.Start(Config{Count: 100, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		r.receive(t, 0, udp(53, 500, byte(i)))
	}
	if r.tap.Stats().Held != 6 {
		t.Fatalf("the capture holds %d references", r.tap.Stats().Held)
	}
	res, err := s.Stream(context.Background(), &failingWriter{limit: 1000}, nil)
	if err == nil || res.Frames != 1 {
		t.Fatalf("%d frames before the disconnect, %v", res.Frames, err)
	}
	if st := r.tap.Stats(); st.Held != 0 || st.Active || !r.released() {
		t.Fatalf("after the disconnect: %+v, in flight %d, idle %d", st, r.inFlight(), r.idle)
	}
	r.receive(t, 0, udp(53, 10, 0)) // detached: nothing is taken any more
	if r.tap.Stats().Held != 0 || !r.released() {
		t.Fatal("a detached capture took a reference")
	}
}

func TestOneCaptureAtATime(t *testing.T) {
	r := newRig(t, 0)
	s, err := r.tap.Start(Config{Count: 1, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.tap.Start(Config{Count: 1, Duration: time.Second}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second capture: %v", err)
	}
	r.receive(t, 0, udp(53, 1, 0))
	if res, err := s.Stream(context.Background(), io.Discard, nil); res.Frames != 1 || err != nil {
		t.Fatal(res, err)
	}
	if _, err := r.tap.Start(Config{Count: 0, Duration: time.Second}); err == nil {
		t.Fatal("count 0 accepted")
	}
	s, err = r.tap.Start(Config{Count: 1, Duration: time.Millisecond})
	if err != nil {
		t.Fatalf("after the first ended: %v", err)
	}
	s.Stream(context.Background(), io.Discard, nil)
	if st := r.tap.Stats(); st.Sessions != 2 || st.Refused != 1 {
		t.Fatalf("%+v", st)
	}
}

// A capture that ends while the poll loop is inside a pass waits for the
// pass: an Offer after the release would leak its reference.
func TestEndWaitsForThePass(t *testing.T) {
	r := newRig(t, 0)
	s, _ := r.tap.Start(Config{Count: 1, Duration: time.Second})
	in := r.tap.Begin() // the poll loop starts a pass and sees the session
	done := make(chan struct{})
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.Stream(ctx, io.Discard, nil)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the capture ended inside the poll loop's pass")
	case <-time.After(20 * time.Millisecond):
	}
	if in != s {
		t.Fatal("Begin did not return the session")
	}
	r.tap.End(in)
	<-done
	if r.tap.Begin() != nil {
		t.Fatal("the ended session is still offered frames")
	}
	r.tap.End(nil)
}

// With no capture: nothing per frame. With one: a reference, no copy, no
// allocation.
func TestOfferAllocatesNothing(t *testing.T) {
	r := newRig(t, 0)
	f := udp(53, 200, 0)
	s, _ := r.tap.Start(Config{Count: MaxCount, Duration: time.Minute})
	allocs := testing.AllocsPerRun(100, func() {
		r.Dev.Inject(f, 0)
		r.Sys.Quiesce()
		sess := r.tap.Begin()
		r.RX.Poll(64, func(fr *rxring.Frame) rxring.Verdict {
			sess.Offer(0, fr, filter.Verdict{Action: filter.Pass}, 1)
			return rxring.Drop
		})
		r.tap.End(sess)
		s.tail.Store(s.head.Load()) // (the reference is released below)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per captured frame", allocs)
	}
	s.tail.Store(0) // hand the references back to the stream to release
	s.Stream(context.Background(), io.Discard, func() error { return errors.New("stop") })
	if !r.released() {
		t.Fatalf("in flight %d, idle %d", r.inFlight(), r.idle)
	}
}

// Frames that come close together leave in one flush, not one per pass.
func TestFlushesCoalesce(t *testing.T) {
	r := newRig(t, 0)
	const delay = 300 * time.Millisecond // far longer than five passes take
	r.tap.o.FlushDelay = delay
	s, _ := r.tap.Start(Config{Count: 100, Duration: time.Minute})
	var mu sync.Mutex
	flushes := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Stream(ctx, io.Discard, func() error { mu.Lock(); flushes++; mu.Unlock(); return nil })
		close(done)
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return flushes }
	for count() == 0 { // the file header goes out first
		time.Sleep(time.Millisecond)
	}
	for i := range 5 { // five passes close together
		r.receive(t, 0, udp(53, 10, byte(i)))
	}
	for r.tap.Stats().Frames < 5 || count() < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(2 * delay)
	if n := count(); n != 2 {
		t.Fatalf("%d flushes after the header and five passes in a burst", n)
	}
	r.receive(t, 0, udp(53, 10, 9))
	for count() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := count(); n != 3 || r.tap.Stats().Frames != 6 {
		t.Fatalf("%d flushes, %d frames", n, r.tap.Stats().Frames)
	}
}
