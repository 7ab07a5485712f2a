// Package eventlog is the appliance's log: hits of filter rules marked
// `log`, link changes, rule reloads and errors, kept in a bounded history
// for GET /log and sent to a remote syslog collector (RFC 5424 over UDP).
//
// Rule hits happen on the poll loop, per frame. There Hit takes no lock
// and allocates nothing: a rate limit first (a flood must not drown the
// appliance or the collector; what it refuses is counted), then one
// fixed-size entry into a preallocated single-producer ring. The reader
// goroutine (Run) moves entries into the history and formats them only
// when a line is read or sent. Events from other goroutines (Event) take
// the history's lock directly: they are rare and rate-limited too.
package eventlog

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fosbury-net/fosbury/filter"
)

// Severity is a syslog severity (RFC 5424 6.2.1).
type Severity uint8

const (
	Error   Severity = 3
	Warning Severity = 4
	Notice  Severity = 5
	Info    Severity = 6
)

var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

func (s Severity) String() string { return severityNames[s&7] }

// Kind is what a record is about; its name is the syslog MSGID.
type Kind uint8

const (
	KindRule   Kind = iota // a rule with log decided a frame
	KindLink               // a port's link changed
	KindFilter             // rules installed or refused
	KindError              // an error counter moved
	KindSystem             // boot and the like
	KindLog                // the log itself: lines it dropped
	KindConfig             // the API changed rules, addresses or the token
	numKinds
)

var kindNames = [numKinds]string{"rule", "link", "filter", "error", "system", "log", "config"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Hit is what the poll loop records of one logged frame.
type Hit struct {
	Port   uint8
	Action filter.Action
	Reason filter.Reason
	State  bool   // an existing state decided
	Rule   int32  // index of the deciding rule; -1: the default policy
	Line   int32  // the rule's line in its file (0: unknown)
	Label  string // the rule's label (shared with the rule set: no copy)
	Len    uint16 // frame length
	Tuple  filter.Tuple
}

// Record is one log line before formatting.
type Record struct {
	Seq  uint64 // 1, 2, ... in the order lines were recorded
	Mono int64  // monotonic time in ns
	Sev  Severity
	Kind Kind
	Hit  Hit    // KindRule
	Text string // other kinds
}

// Options configures a Log. Zero fields take defaults.
type Options struct {
	// Filter names the deciding rule of a hit (its line and label).
	Filter *filter.Engine
	// Ports are the port names by index (Meta.Port).
	Ports []string
	// Now is the monotonic clock in ns, for events; required.
	Now func() int64
	// Wall converts a monotonic time to the wall clock; ok is false while
	// the wall clock is not set. Nil: never set (lines show uptime).
	Wall func(mono int64) (t time.Time, ok bool)
	// Hostname is the syslog HOSTNAME (RFC 5424 6.2.4): the appliance's
	// management address; "-" when empty.
	Hostname string

	Ring    int // rule hits the poll loop may record ahead of the reader; default 256
	History int // lines kept for GET /log; default 512
	// Rate and Burst bound the lines per second rule hits may produce
	// (default 50, burst 100); events from other goroutines have a bound
	// of their own (a fifth of it).
	Rate, Burst int
}

// Stats are the log's counters.
type Stats struct {
	Lines        uint64 `json:"lines"`         // lines recorded
	RateLimited  uint64 `json:"rate_limited"`  // lines not recorded: over the rate limit
	Overflow     uint64 `json:"overflow"`      // rule hits not recorded: the reader was behind
	SyslogSent   uint64 `json:"syslog_sent"`   // datagrams sent to the collector
	SyslogErrors uint64 `json:"syslog_errors"` // lines not sent: refused by the stack, or overwritten before sending
}

// gcra is a token bucket as a theoretical arrival time (GCRA): one
// comparison and one addition per decision.
type gcra struct {
	tat, interval, slack int64
}

func newGCRA(rate, burst int) gcra {
	iv := int64(time.Second) / int64(rate)
	return gcra{interval: iv, slack: int64(burst-1) * iv}
}

func (g *gcra) allow(now int64) bool {
	if g.tat < now {
		g.tat = now
	}
	if g.tat-now > g.slack {
		return false
	}
	g.tat += g.interval
	return true
}

// Log is the appliance's log. Hit and EndPass belong to the poll loop;
// everything else is safe from any goroutine.
type Log struct {
	o Options

	// The poll loop's side of the ring: ring[head%len] is written, then
	// head published; Run reads up to head and publishes tail.
	ring       []Record
	head, tail atomic.Uint64
	hitRate    gcra
	pending    bool // an entry was recorded since the last EndPass
	wake       chan struct{}

	rateLimited, overflow atomic.Uint64
	sent, sendErrors      atomic.Uint64

	mu        sync.Mutex
	hist      []Record // hist[(seq-1)%len], the last len lines
	seq       uint64   // of the newest line
	changed   chan struct{}
	eventRate gcra
	syslog    io.Writer
}

// New makes a Log. Start Run on a goroutine of its own.
func New(o Options) *Log {
	if o.Ring <= 0 {
		o.Ring = 256
	}
	if o.History <= 0 {
		o.History = 512
	}
	if o.Rate <= 0 {
		o.Rate = 50
	}
	if o.Burst <= 0 {
		o.Burst = 2 * o.Rate
	}
	if o.Wall == nil {
		o.Wall = func(mono int64) (time.Time, bool) { return time.Unix(0, mono).UTC(), false }
	}
	if o.Hostname == "" {
		o.Hostname = "-"
	}
	return &Log{
		o: o, ring: make([]Record, o.Ring), hist: make([]Record, o.History),
		hitRate: newGCRA(o.Rate, o.Burst), eventRate: newGCRA(max(o.Rate/5, 1), max(o.Burst/5, 1)),
		wake: make(chan struct{}, 1), changed: make(chan struct{}),
	}
}

// Hit records one frame decided by a rule with log; now is the poll
// pass's time. Poll loop only: no lock, no allocation.
func (l *Log) Hit(now int64, port int, frame []byte, v filter.Verdict) {
	if !l.hitRate.allow(now) {
		l.rateLimited.Add(1)
		return
	}
	h := l.head.Load()
	if h-l.tail.Load() >= uint64(len(l.ring)) {
		l.overflow.Add(1)
		return
	}
	r := &l.ring[h%uint64(len(l.ring))]
	r.Mono, r.Kind, r.Sev, r.Text = now, KindRule, Info, ""
	hit := &r.Hit
	hit.Port, hit.Action, hit.Reason, hit.State, hit.Rule = uint8(port), v.Action, v.Reason, v.State, v.Rule
	hit.Line, hit.Label, hit.Len = 0, "", uint16(len(frame))
	if v.Action != filter.Pass {
		r.Sev = Notice
	}
	// The program may have been replaced since Decide: a rule index past
	// its end names no rule.
	if v.Rule >= 0 && l.o.Filter != nil {
		if rules := l.o.Filter.Program().Ruleset().Rules; int(v.Rule) < len(rules) {
			hit.Line, hit.Label = int32(rules[v.Rule].Pos.Line), rules[v.Rule].Label
		}
	}
	hit.Tuple.Decode(frame)
	l.head.Store(h + 1)
	l.pending = true
}

// Pending is the number of rule hits recorded and not yet taken by Run.
func (l *Log) Pending() int { return int(l.head.Load() - l.tail.Load()) }

// EndPass wakes the reader if the pass recorded hits: one channel
// operation per pass, none per frame. Poll loop only.
func (l *Log) EndPass() {
	if l.pending {
		l.pending = false
		l.signal()
	}
}

func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Event records a line from any goroutine (not the per-frame path).
func (l *Log) Event(sev Severity, kind Kind, text string) {
	now := l.o.Now()
	l.mu.Lock()
	ok := l.eventRate.allow(now)
	if ok {
		l.appendLocked(Record{Mono: now, Sev: sev, Kind: kind, Text: text})
	}
	l.mu.Unlock()
	if !ok {
		l.rateLimited.Add(1)
		return
	}
	l.signal()
}

func (l *Log) appendLocked(r Record) {
	l.seq++
	r.Seq = l.seq
	l.hist[(r.Seq-1)%uint64(len(l.hist))] = r
	close(l.changed)
	l.changed = make(chan struct{})
}

// SetSyslog sends every line from now on to w, one Write (datagram) per
// line; nil stops. Writes happen on Run's goroutine.
func (l *Log) SetSyslog(w io.Writer) {
	l.mu.Lock()
	l.syslog = w
	l.mu.Unlock()
}

// Since copies into buf the lines after seq that are still kept, oldest
// first, and returns them with the channel that is closed when the next
// line is recorded. Lines lost to the history's bound are skipped.
func (l *Log) Since(seq uint64, buf []Record) ([]Record, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if oldest := l.seq - min(l.seq, uint64(len(l.hist))); seq < oldest {
		seq = oldest
	}
	buf = buf[:0]
	for s := seq + 1; s <= l.seq; s++ {
		buf = append(buf, l.hist[(s-1)%uint64(len(l.hist))])
	}
	return buf, l.changed
}

// Stats returns the counters.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	lines := l.seq
	l.mu.Unlock()
	return Stats{Lines: lines, RateLimited: l.rateLimited.Load(), Overflow: l.overflow.Load(),
		SyslogSent: l.sent.Load(), SyslogErrors: l.sendErrors.Load()}
}

// summaryEvery bounds how often the log reports the lines it dropped.
const summaryEvery = time.Second

// Run is the reader: it moves rule hits into the history, sends new lines
// to the syslog collector, and says once a second at most how many lines
// the limits dropped. It returns when stop is closed.
func (l *Log) Run(stop <-chan struct{}) {
	var (
		sentSeq     uint64 // newest line sent to syslog (or skipped)
		lastSendErr int64  // when a send error was last logged
		lastDropped uint64
		lastSummary int64
		timer       = time.NewTimer(time.Hour)
		buf         []Record
		out         []byte
	)
	timer.Stop()
	for {
		select {
		case <-stop:
			return
		case <-l.wake:
		case <-timer.C:
		}
		l.drain()
		if d := l.rateLimited.Load() + l.overflow.Load(); d != lastDropped {
			if now := l.o.Now(); now-lastSummary >= int64(summaryEvery) {
				l.mu.Lock()
				l.appendLocked(Record{Mono: now, Sev: Warning, Kind: KindLog, Text: dropText(d-lastDropped, l.rateLimited.Load(), l.overflow.Load())})
				l.mu.Unlock()
				lastDropped, lastSummary = d, now
			} else {
				timer.Reset(time.Duration(lastSummary + int64(summaryEvery) - now))
			}
		}
		l.mu.Lock()
		w := l.syslog
		l.mu.Unlock()
		if w == nil { // nothing to send: skip to the newest line
			l.mu.Lock()
			sentSeq = l.seq
			l.mu.Unlock()
			continue
		}
		buf, _ = l.Since(sentSeq, buf)
		if len(buf) > 0 && buf[0].Seq > sentSeq+1 {
			l.sendErrors.Add(buf[0].Seq - sentSeq - 1)
		}
		for i := range buf {
			out = l.AppendSyslog(out[:0], &buf[i])
			_, err := w.Write(out)
			if err != nil {
				// A connected UDP socket reports an ICMP error about an
				// earlier datagram (port unreachable: the collector was
				// not up yet) on the next write, which it then drops:
				// once more.
				_, err = w.Write(out)
			}
			if err != nil {
				// Say why in /log, once a minute at most (Event is
				// rate-limited too); the collector cannot hear it.
				if now := l.o.Now(); l.sendErrors.Add(1) == 1 || now-lastSendErr >= int64(time.Minute) {
					lastSendErr = now
					l.Event(Error, KindLog, "syslog: "+err.Error())
				}
			} else {
				l.sent.Add(1)
			}
			sentSeq = buf[i].Seq
		}
	}
}

// drain moves the ring's entries into the history.
func (l *Log) drain() {
	t, h := l.tail.Load(), l.head.Load()
	if t == h {
		return
	}
	l.mu.Lock()
	for ; t != h; t++ {
		l.appendLocked(l.ring[t%uint64(len(l.ring))])
	}
	l.mu.Unlock()
	l.tail.Store(t)
}
