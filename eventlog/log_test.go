package eventlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/internal/rfc5424"
)

// tcpSYN is an IPv4 TCP SYN from 10.0.2.2:sport to 10.0.2.15:dport.
func tcpSYN(sport, dport uint16) []byte {
	f := make([]byte, 14+20+20)
	copy(f, []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56, 2, 0, 0, 0, 0, 2, 0x08, 0})
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	copy(ip[12:], []byte{10, 0, 2, 2, 10, 0, 2, 15})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	tcp[12], tcp[13] = 5<<4, 0x02
	return f
}

const rules = "pass proto tcp to 10.0.2.15 port 80\n" +
	"reject log proto tcp to 10.0.2.15 flags S/SA label \"closed ] port\"\n" +
	"set default drop log\n"

type fakeClock struct {
	mu  sync.Mutex
	now int64
}

func (c *fakeClock) Now() int64          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.now += int64(d); c.mu.Unlock() }

// datagrams collects what the log sends to syslog.
type datagrams struct {
	mu  sync.Mutex
	got [][]byte
}

func (d *datagrams) Write(b []byte) (int, error) {
	d.mu.Lock()
	d.got = append(d.got, append([]byte(nil), b...))
	d.mu.Unlock()
	return len(b), nil
}

func (d *datagrams) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		d.mu.Lock()
		got := append([][]byte(nil), d.got...)
		d.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d datagrams, want %d", len(got), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func newLog(t *testing.T, o Options) (*Log, *filter.Engine, *fakeClock) {
	e := filter.NewEngine(filter.Options{HashSeed: 1})
	if err := e.Load("test.rules", []byte(rules)); err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{now: 5e9}
	o.Filter, o.Now, o.Ports = e, c.Now, []string{"lan", "wan"}
	return New(o), e, c
}

func run(t *testing.T, l *Log) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { l.Run(stop); close(done) }()
	t.Cleanup(func() { close(stop); <-done })
}

func TestRuleHitToSyslogAndText(t *testing.T) {
	l, e, c := newLog(t, Options{Hostname: "10.0.2.15"})
	sink := &datagrams{}
	l.SetSyslog(sink)
	run(t, l)
	f := tcpSYN(40000, 23)
	v := e.Decide(f, filter.Meta{Port: 0, Now: c.Now()})
	if !v.Log || v.Action != filter.Reject {
		t.Fatalf("verdict %v", v)
	}
	l.Hit(c.Now(), 0, f, v)
	l.EndPass()
	sink.wait(t, 1)
	l.Event(Warning, KindLink, "lan: link down")
	got := sink.wait(t, 2)

	m, err := rfc5424.Parse(got[0])
	if err != nil {
		t.Fatalf("%s: %v", got[0], err)
	}
	if m.Facility != facility || m.Severity != int(Notice) || !m.Timestamp.IsZero() || m.Hostname != "10.0.2.15" ||
		m.AppName != "fosbury" || m.MsgID != "rule" || m.SD["meta"]["sequenceId"] != "1" || m.SD["meta"]["sysUpTime"] != "500" {
		t.Fatalf("header %+v of %s", m, got[0])
	}
	want := map[string]string{"action": "reject", "port": "lan", "rule": "1", "line": "2", "label": `closed ] port`}
	for k, v := range want {
		if m.SD[sdRule][k] != v {
			t.Errorf("%s %s=%q, want %q (%s)", sdRule, k, m.SD[sdRule][k], v, got[0])
		}
	}
	for k, v := range map[string]string{"proto": "tcp", "src": "10.0.2.2", "dst": "10.0.2.15", "sport": "40000", "dport": "23", "len": "54"} {
		if m.SD[sdFlow][k] != v {
			t.Errorf("%s %s=%q, want %q (%s)", sdFlow, k, m.SD[sdFlow][k], v, got[0])
		}
	}
	msg := `reject tcp 10.0.2.2:40000 -> 10.0.2.15:23 on lan len 54 (rule 1, line 2, "closed ] port")`
	if m.Msg != msg {
		t.Errorf("MSG %q, want %q", m.Msg, msg)
	}
	m2, err := rfc5424.Parse(got[1])
	if err != nil || m2.MsgID != "link" || m2.Severity != int(Warning) || m2.Msg != "lan: link down" || m2.SD["meta"]["sequenceId"] != "2" {
		t.Fatalf("%s: %+v %v", got[1], m2, err)
	}

	recs, _ := l.Since(0, nil)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	if line := string(l.AppendText(nil, &recs[0])); line != "+5.000000s notice rule: "+msg+"\n" {
		t.Errorf("text line %q", line)
	}
	if st := l.Stats(); st.Lines != 2 || st.SyslogSent != 2 || st.RateLimited != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWallClockTimestamp(t *testing.T) {
	l, _, _ := newLog(t, Options{Wall: func(mono int64) (time.Time, bool) {
		return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(mono)), true
	}})
	r := Record{Seq: 1, Mono: 1500, Sev: Info, Kind: KindSystem, Text: "boot"}
	m, err := rfc5424.Parse(l.AppendSyslog(nil, &r))
	if err != nil || !m.Timestamp.Equal(time.Date(2026, 1, 2, 3, 4, 5, 1000, time.UTC)) || m.Hostname != "-" {
		t.Fatalf("%+v %v", m, err)
	}
	if line := string(l.AppendText(nil, &r)); line != "2026-01-02T03:04:05.000001Z info system: boot\n" {
		t.Fatalf("%q", line)
	}
}

func TestNonIPHitAndDefaultPolicy(t *testing.T) {
	l, e, c := newLog(t, Options{})
	f := make([]byte, 60)
	f[12], f[13] = 0x88, 0xcc
	v := e.Decide(f, filter.Meta{Port: 1, Now: c.Now()})
	if !v.Log || v.Rule != -1 {
		t.Fatalf("verdict %v", v)
	}
	l.Hit(c.Now(), 1, f, v)
	l.drain()
	recs, _ := l.Since(0, nil)
	if len(recs) != 1 {
		t.Fatal(len(recs))
	}
	if got := string(l.appendMessage(nil, &recs[0])); got != "drop ethertype 0x88cc on wan len 60 (default policy)" {
		t.Errorf("%q", got)
	}
	m, err := rfc5424.Parse(l.AppendSyslog(nil, &recs[0]))
	if err != nil || m.SD[sdRule]["rule"] != "default" || m.SD[sdFlow]["ethertype"] != "0x88cc" {
		t.Fatalf("%s: %+v %v", l.AppendSyslog(nil, &recs[0]), m, err)
	}
}

// A flood of logged drops: the rate limit keeps the burst, then the rate;
// the rest is counted, and a line says so.
func TestRateLimitUnderFlood(t *testing.T) {
	l, e, c := newLog(t, Options{Rate: 10, Burst: 20, Ring: 1024})
	sink := &datagrams{}
	l.SetSyslog(sink)
	run(t, l)
	f := tcpSYN(1, 23)
	v := e.Decide(f, filter.Meta{Now: c.Now()})
	for i := 0; i < 1000; i++ { // one second of a 1000 frames/s flood
		l.Hit(c.Now(), 0, f, v)
		c.add(time.Millisecond)
	}
	l.EndPass()
	// 20 (burst) + 10 more for the second that passed, give or take one.
	st := l.Stats()
	kept := 1000 - st.RateLimited
	if kept < 28 || kept > 31 || st.Overflow != 0 {
		t.Fatalf("%d hits kept of 1000 (stats %+v)", kept, st)
	}
	got := sink.wait(t, int(kept)+1)
	last, err := rfc5424.Parse(got[len(got)-1])
	if err != nil || last.MsgID != "log" || !strings.Contains(last.Msg, "lines dropped") {
		t.Fatalf("no drop report: %s %v", got[len(got)-1], err)
	}
}

func TestRingOverflowWithoutReader(t *testing.T) {
	l, e, c := newLog(t, Options{Ring: 4, Rate: 1000, Burst: 1000})
	f := tcpSYN(1, 23)
	v := e.Decide(f, filter.Meta{Now: c.Now()})
	for i := 0; i < 10; i++ {
		l.Hit(c.Now(), 0, f, v)
	}
	if st := l.Stats(); st.Overflow != 6 {
		t.Fatalf("overflow %d, want 6", st.Overflow)
	}
	l.drain()
	recs, _ := l.Since(0, nil)
	if len(recs) != 4 {
		t.Fatalf("%d records after drain", len(recs))
	}
	l.Hit(c.Now(), 0, f, v) // room again
	if st := l.Stats(); st.Overflow != 6 || l.head.Load() != 5 {
		t.Fatalf("after drain: %+v head %d", st, l.head.Load())
	}
}

func TestHistoryIsBounded(t *testing.T) {
	l, _, c := newLog(t, Options{History: 8, Rate: 1000, Burst: 1000})
	for i := 0; i < 20; i++ {
		l.Event(Info, KindSystem, "event")
		c.add(time.Second)
	}
	recs, changed := l.Since(0, nil)
	if len(recs) != 8 || recs[0].Seq != 13 || recs[7].Seq != 20 {
		t.Fatalf("%d records from %d", len(recs), recs[0].Seq)
	}
	if more, _ := l.Since(20, nil); len(more) != 0 {
		t.Fatal("lines after the newest")
	}
	select {
	case <-changed:
		t.Fatal("changed closed without a new line")
	default:
	}
	l.Event(Info, KindSystem, "one more")
	<-changed
	if recs, _ := l.Since(20, recs); len(recs) != 1 || recs[0].Text != "one more" {
		t.Fatalf("%+v", recs)
	}
}

func TestHitAllocatesNothing(t *testing.T) {
	l, e, c := newLog(t, Options{})
	f := tcpSYN(40000, 23)
	v := e.Decide(f, filter.Meta{Now: c.Now()})
	now := c.Now()
	if n := testing.AllocsPerRun(1000, func() {
		now += int64(time.Second)
		l.Hit(now, 0, f, v)
		l.tail.Store(l.head.Load()) // a reader keeping up
	}); n != 0 {
		t.Fatalf("%v allocations per hit", n)
	}
	if n := testing.AllocsPerRun(1000, func() { l.Hit(now, 0, f, v) }); n != 0 { // rate-limited
		t.Fatalf("%v allocations per refused hit", n)
	}
}

func TestSDParamEscapes(t *testing.T) {
	if got := string(sdParam(nil, "label", `a"b\c]d`)); got != ` label="a\"b\\c\]d"` {
		t.Fatalf("%s", got)
	}
}

// failOnce is a connected UDP socket that reports an earlier datagram's
// ICMP error on the next write.
type failOnce struct {
	datagrams
	failed bool
}

func (f *failOnce) Write(b []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errors.New("connection was refused")
	}
	return f.datagrams.Write(b)
}

func TestSyslogRetriesAnEarlierDatagramsError(t *testing.T) {
	l, _, _ := newLog(t, Options{})
	sink := &failOnce{}
	l.SetSyslog(sink)
	run(t, l)
	l.Event(Notice, KindSystem, "up")
	if got := sink.wait(t, 1); !bytes.Contains(got[0], []byte(" up")) {
		t.Fatalf("%q", got[0])
	}
	if st := l.Stats(); st.SyslogErrors != 0 || st.SyslogSent != 1 {
		t.Fatalf("%+v", st)
	}
}
