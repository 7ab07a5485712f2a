// Package capture is packet capture by reference: the frames the datapath
// sees on chosen ports, optionally only those a match expression selects
// or only dropped ones, streamed to a client as a pcap or pcapng file.
//
// The poll loop never copies a frame for a capture: Offer takes a
// reference to the received buffer (rxring.Frame.Ref, as forwarding
// does) into a single-producer, single-consumer ring of pagepool.Bufs,
// with atomics and no lock. The ring's size bounds the references a
// capture holds, so a slow or stalled reader loses frames (counted),
// never stalls the datapath and never starves the RX refill. The reader
// (Session.Stream, on the HTTP goroutine) copies each frame from its page
// into the response and releases the reference. With no capture running,
// the datapath's cost is one predictable branch per frame (its session
// pointer, read once per pass, is nil) and two atomic adds per pass.
package capture

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

// Limits of one capture.
const (
	DefaultRefs = 256     // references a capture may hold at once
	MaxCount    = 1 << 20 // frames
	MaxDuration = time.Hour
	DefaultSnap = 65535 // whole frames
	MinSnap     = 14    // an Ethernet header
	maxPorts    = 8
	// DefaultFlushDelay is the longest a captured frame waits in the
	// response's buffer for more to come.
	DefaultFlushDelay = 20 * time.Millisecond
)

// Verdicts selects frames by the filter's verdict.
type Verdicts uint8

const (
	AnyVerdict Verdicts = iota
	Dropped             // drop and reject verdicts: "why is my traffic dropped?"
	Passed
)

// Format is the file format streamed.
type Format uint8

const (
	PCAP   Format = iota // libpcap, nanosecond timestamps
	PCAPNG               // one interface per port, the verdict as each frame's comment
)

// Config is one capture's selection.
type Config struct {
	Ports    uint8         // bit i: port i; 0 means every port
	Count    int           // frames to capture, 1..MaxCount
	Duration time.Duration // longest capture, up to MaxDuration
	Match    *filter.Match // nil: every frame
	Verdicts Verdicts
	Snap     int // bytes kept of each frame, MinSnap..DefaultSnap; 0: DefaultSnap
	Format   Format
}

// Options configures a Tap.
type Options struct {
	Pool *pagepool.Pool // the pool the received buffers belong to; required
	// Refs is the most references one capture holds; default DefaultRefs.
	Refs int
	// Ports are the port names by index, for pcapng interfaces.
	Ports []string
	// Wall converts the poll pass's monotonic time to wall time; nil, or
	// ok false (the wall clock is not set), gives time since boot.
	Wall func(mono int64) (t time.Time, ok bool)
	// FlushDelay: 0 means DefaultFlushDelay.
	FlushDelay time.Duration
}

// Stats are the counters of every capture since boot.
type Stats struct {
	Sessions uint64 `json:"sessions"`  // captures started
	Refused  uint64 `json:"refused"`   // captures refused: another was running
	Frames   uint64 `json:"frames"`    // frames written to clients
	Bytes    uint64 `json:"bytes"`     // frame bytes written
	Lost     uint64 `json:"lost"`      // selected frames not taken: the reference budget was full
	Held     int    `json:"refs_held"` // references held now
	Active   bool   `json:"active"`    // a capture is running
}

// record is one captured frame: a reference and what the pcap needs.
type record struct {
	buf     pagepool.Buf
	mono    int64
	origLen uint16
	port    uint8
	v       filter.Verdict
}

// Tap is where captures attach to the datapath. Begin, End and Offer
// belong to the poll loop; Start, Session.Stream and Stats to any other
// goroutine.
type Tap struct {
	o      Options
	active atomic.Pointer[Session] // the session the poll loop feeds, or nil
	pass   atomic.Uint64           // odd while the poll loop is inside a pass
	busy   atomic.Bool             // a session exists, from Start to its end
	sess   Session                 // the one session, reused

	sessions, refused, frames, bytes, lost atomic.Uint64
}

// ErrBusy refuses a second capture while one is running.
var ErrBusy = errors.New("capture: a capture is already running")

// New makes a Tap over the pool's buffers.
func New(o Options) (*Tap, error) {
	if o.Pool == nil {
		return nil, errors.New("capture: Options.Pool is required")
	}
	if o.Refs <= 0 {
		o.Refs = DefaultRefs
	}
	if o.FlushDelay <= 0 {
		o.FlushDelay = DefaultFlushDelay
	}
	if o.Wall == nil {
		o.Wall = func(mono int64) (time.Time, bool) { return time.Unix(0, mono), false }
	}
	t := &Tap{o: o}
	t.sess = Session{t: t, ring: make([]record, o.Refs), wake: make(chan struct{}, 1)}
	return t, nil
}

// Begin is the poll loop's start of a pass with frames: it returns the
// session to Offer frames to this pass, or nil. A nil Tap has none.
func (t *Tap) Begin() *Session {
	if t == nil {
		return nil
	}
	t.pass.Add(1)
	return t.active.Load()
}

// End closes the pass Begin opened, waking the session's reader if the
// pass gave it frames.
func (t *Tap) End(s *Session) {
	if t == nil {
		return
	}
	if s != nil && s.pushed {
		s.pushed = false
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	t.pass.Add(1)
}

// Session is one running capture.
type Session struct {
	t    *Tap
	cfg  Config
	ring []record
	// head is written by the poll loop only, tail by the reader only.
	head, tail atomic.Uint64
	taken      int  // frames taken, poll loop's
	pushed     bool // this pass took a frame, poll loop's
	lost       atomic.Uint64
	wake       chan struct{}
}

// Offer takes a reference to frame f received on port, if the capture
// selects it and the budget allows; v is the filter's verdict and now
// the pass's time. Poll loop only: no lock, no allocation.
func (s *Session) Offer(port int, f *rxring.Frame, v filter.Verdict, now int64) {
	c := &s.cfg
	switch {
	case port >= maxPorts || c.Ports&(1<<port) == 0:
		return
	case c.Verdicts == Dropped && v.Action == filter.Pass, c.Verdicts == Passed && v.Action != filter.Pass:
		return
	case s.taken >= c.Count:
		return
	case !c.Match.Matches(f.Bytes(), uint8(port)):
		return
	}
	h := s.head.Load()
	if h-s.tail.Load() >= uint64(len(s.ring)) {
		s.lost.Add(1)
		return
	}
	b := f.Ref()
	if b.Page == pagepool.NoPage {
		return
	}
	r := &s.ring[h%uint64(len(s.ring))]
	r.buf, r.mono, r.origLen, r.port, r.v = b, now, b.Len, uint8(port), v
	if int(b.Len) > c.Snap {
		r.buf.Len = uint16(c.Snap)
	}
	s.head.Store(h + 1)
	s.taken++
	s.pushed = true
}

// Start begins a capture with cfg, or returns ErrBusy. The caller must
// run Stream, which ends it.
func (t *Tap) Start(cfg Config) (*Session, error) {
	if cfg.Count < 1 || cfg.Count > MaxCount || cfg.Duration <= 0 || cfg.Duration > MaxDuration ||
		cfg.Snap != 0 && (cfg.Snap < MinSnap || cfg.Snap > DefaultSnap) {
		return nil, errors.New("capture: count, duration or snap length out of range")
	}
	if cfg.Ports == 0 { // every named port
		cfg.Ports = uint8(1<<min(max(len(t.o.Ports), 1), maxPorts) - 1)
	}
	if cfg.Snap == 0 {
		cfg.Snap = DefaultSnap
	}
	if !t.busy.CompareAndSwap(false, true) {
		t.refused.Add(1)
		return nil, ErrBusy
	}
	s := &t.sess
	s.cfg = cfg
	s.head.Store(0)
	s.tail.Store(0)
	s.taken, s.pushed = 0, false
	s.lost.Store(0)
	select {
	case <-s.wake:
	default:
	}
	t.sessions.Add(1)
	t.active.Store(s) // from here the poll loop may Offer
	return s, nil
}

// Result is what one capture did.
type Result struct {
	Frames int    // frames written
	Lost   uint64 // frames selected but not taken: the reference budget was full
}

// Stream writes the capture file to w until Count frames, Duration, ctx's
// end or a write error, whichever comes first; then it detaches from the
// poll loop and releases every reference it still holds. flush is called
// once no frame has come for FlushDelay, and at the end (nil: never).
func (s *Session) Stream(ctx context.Context, w io.Writer, flush func() error) (Result, error) {
	written, err := s.stream(ctx, w, flush)
	return Result{Frames: written, Lost: s.finish()}, err
}

func (s *Session) stream(ctx context.Context, w io.Writer, flush func() error) (written int, err error) {
	if flush == nil {
		flush = func() error { return nil }
	}
	fw := newFileWriter(w, s.cfg.Format, s.cfg.Snap, s.t.o.Ports, s.cfg.Ports, s.t.o.Wall)
	if err := fw.header(); err != nil {
		return 0, err
	}
	end := time.NewTimer(s.cfg.Duration)
	defer end.Stop()
	coalesce := time.NewTimer(time.Hour)
	coalesce.Stop()
	defer coalesce.Stop()
	dirty := true // written since the last flush: the file header, so the client sees the response start
	for written < s.cfg.Count {
		n, err := s.writeReady(fw, s.cfg.Count-written)
		written += n
		if err != nil {
			return written, err
		}
		if n > 0 {
			dirty = true
			continue
		}
		// Nothing waiting. Flush only when no more frames come within
		// FlushDelay: under a flood the client then gets full segments,
		// not one per poll pass (each of which the poll loop would also
		// have to take an ACK for).
		if dirty {
			coalesce.Reset(s.t.o.FlushDelay)
			select {
			case <-s.wake:
				if !coalesce.Stop() {
					<-coalesce.C
				}
				continue
			case <-coalesce.C:
			case <-end.C:
				return written, flush()
			case <-ctx.Done():
				return written, ctx.Err()
			}
			if err := flush(); err != nil {
				return written, err
			}
			dirty = false
			continue
		}
		select {
		case <-s.wake:
		case <-end.C:
			return written, flush()
		case <-ctx.Done():
			return written, ctx.Err()
		}
	}
	return written, flush()
}

// writeReady writes up to max frames the poll loop has published,
// releasing each as soon as it is copied out.
func (s *Session) writeReady(fw *fileWriter, max int) (int, error) {
	t, h := s.tail.Load(), s.head.Load()
	if t != h {
		fw.clock()
	}
	n := 0
	for ; t != h && n < max; t++ {
		r := &s.ring[t%uint64(len(s.ring))]
		err := fw.frame(r, s.t.o.Pool.BufBytes(r.buf))
		s.t.o.Pool.Release(r.buf)
		s.tail.Store(t + 1)
		if err != nil {
			return n, err
		}
		n++
		s.t.frames.Add(1)
		s.t.bytes.Add(uint64(r.buf.Len))
	}
	return n, nil
}

// finish detaches the session and releases what it holds. The poll loop
// may be inside a pass that read the session before the detach: wait for
// that pass to end, after which no Offer can run.
func (s *Session) finish() (lost uint64) {
	t := s.t
	t.active.Store(nil)
	if p := t.pass.Load(); p%2 == 1 {
		for t.pass.Load() == p {
			runtime.Gosched()
			time.Sleep(100 * time.Microsecond)
		}
	}
	for tail, head := s.tail.Load(), s.head.Load(); tail != head; tail++ {
		t.o.Pool.Release(s.ring[tail%uint64(len(s.ring))].buf)
	}
	s.tail.Store(s.head.Load())
	lost = s.lost.Load()
	t.lost.Add(lost)
	t.busy.Store(false)
	return lost
}

// Stats returns the counters.
func (t *Tap) Stats() Stats {
	st := Stats{Sessions: t.sessions.Load(), Refused: t.refused.Load(), Frames: t.frames.Load(),
		Bytes: t.bytes.Load(), Lost: t.lost.Load(), Active: t.active.Load() != nil}
	if st.Active {
		st.Held = int(t.sess.head.Load() - t.sess.tail.Load())
		st.Lost += t.sess.lost.Load()
	}
	return st
}
