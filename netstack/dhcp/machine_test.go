package dhcp

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

var testMAC = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}

// sent is one message the machine sent, as the server saw it.
type sent struct {
	at     time.Duration // since the simulation began
	msg    *Message
	to     netip.Addr
	noAddr bool
}

// sim runs a Machine against a fakeServer on a simulated clock: replies
// arrive at the instant of their request unless dropped.
type sim struct {
	t       *testing.T
	m       *Machine
	srv     *fakeServer
	t0, now time.Time
	sent    []sent
	applied *Lease // what the driver would have in the stack
	binds   int
	losts   int
	// drop loses that many of the server's next replies of a type;
	// dropUnicast loses every unicast request (no route to the server).
	drop        map[MessageType]int
	dropUnicast bool
}

// newSim starts a machine against srv.
func newSim(t *testing.T, srv *fakeServer) *sim { return newSimDropping(t, srv, nil) }

// newSimDropping also loses the server's next replies of some types.
func newSimDropping(t *testing.T, srv *fakeServer, drop map[MessageType]int) *sim {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := &sim{t: t, srv: srv, t0: t0, now: t0, drop: drop,
		m: New(Config{MAC: testMAC, Hostname: "fosbury", Rand: rand.New(rand.NewPCG(1, 2))})}
	h.do(h.m.Tick(h.now))
	return h
}

func (h *sim) do(out Output) {
	h.t.Helper()
	if out.Lost {
		if h.applied == nil {
			h.t.Fatal("lease lost while none was applied")
		}
		h.applied = nil
		h.losts++
	}
	if out.Bound != nil {
		h.applied = out.Bound
		h.binds++
	}
	if out.Send == nil {
		return
	}
	req, err := Parse(out.Send)
	if err != nil {
		h.t.Fatalf("the machine sent a message that does not parse: %v", err)
	}
	h.sent = append(h.sent, sent{h.now.Sub(h.t0), req, out.To, out.NoAddr})
	if out.To != broadcast && h.dropUnicast {
		return
	}
	reply := h.srv.handle(req)
	if reply == nil {
		return
	}
	if h.drop[reply.Type()] > 0 {
		h.drop[reply.Type()]--
		return
	}
	r, err := Parse(reply.Append(nil))
	if err != nil {
		h.t.Fatal(err)
	}
	h.do(h.m.Receive(h.now, r))
}

// advance runs every timer due up to t0+d.
func (h *sim) advance(d time.Duration) {
	h.t.Helper()
	end := h.t0.Add(d)
	for {
		n := h.m.Next()
		if n.IsZero() || n.After(end) {
			h.now = end
			return
		}
		h.now = n
		h.do(h.m.Tick(h.now))
	}
}

func (h *sim) last() sent { return h.sent[len(h.sent)-1] }

func (h *sim) wantState(s State) {
	h.t.Helper()
	if h.m.State() != s {
		h.t.Fatalf("at %v: state %v, want %v", h.now.Sub(h.t0), h.m.State(), s)
	}
}

func TestLease(t *testing.T) {
	h := newSim(t, newFakeServer())
	h.wantState(Bound)
	if len(h.sent) != 2 {
		t.Fatalf("%d messages sent, want DISCOVER and REQUEST", len(h.sent))
	}
	d, r := h.sent[0], h.sent[1]
	if d.msg.Type() != Discover || r.msg.Type() != Request || !d.noAddr || !r.noAddr || d.to != broadcast || r.to != broadcast {
		t.Fatalf("sent %v (noaddr %v to %v), %v (noaddr %v to %v)", d.msg.Type(), d.noAddr, d.to, r.msg.Type(), r.noAddr, r.to)
	}
	if d.msg.Flags != FlagBroadcast || d.msg.XID != r.msg.XID || string(d.msg.Options[OptClientID]) != "\x01"+string(testMAC[:]) ||
		string(d.msg.Options[OptHostname]) != "fosbury" {
		t.Errorf("DISCOVER flags %#x xid %#x/%#x client id %x", d.msg.Flags, d.msg.XID, r.msg.XID, d.msg.Options[OptClientID])
	}
	if a, _ := r.msg.Addr(OptRequestedIP); a != h.srv.Pool {
		t.Errorf("REQUEST asks for %v", a)
	}
	if a, _ := r.msg.Addr(OptServerID); a != h.srv.ID {
		t.Errorf("REQUEST names server %v", a)
	}
	l := h.applied
	if l == nil || l.Addr != netip.MustParsePrefix("10.0.2.50/24") || l.Router != h.srv.Router || len(l.NTP) != 1 || l.NTP[0] != h.srv.NTP ||
		l.Server != h.srv.ID || l.Duration != time.Hour || l.T1 != 30*time.Minute || l.T2 != 52*time.Minute+30*time.Second || !l.Start.Equal(h.t0) {
		t.Fatalf("lease %+v", l)
	}
	if h.m.Next() != h.t0.Add(30*time.Minute) {
		t.Errorf("next timer at %v, want T1", h.m.Next().Sub(h.t0))
	}
	if s := h.m.Stats(); s.Discovers != 1 || s.Offers != 1 || s.Requests != 1 || s.Acks != 1 || s.Ignored != 0 || s.Invalid != 0 {
		t.Errorf("stats %+v", s)
	}
}

// At T1 the client renews with a unicast REQUEST from its address; the
// ACK restarts the lease from the time of that REQUEST.
func TestRenew(t *testing.T) {
	h := newSim(t, newFakeServer())
	h.advance(30*time.Minute - time.Second)
	if len(h.sent) != 2 {
		t.Fatal("sent something before T1")
	}
	h.advance(30 * time.Minute)
	h.wantState(Bound)
	r := h.last()
	if r.msg.Type() != Request || r.noAddr || r.to != h.srv.ID || r.msg.CIAddr != h.srv.Pool || r.msg.Flags != 0 ||
		r.msg.Options[OptRequestedIP] != nil || r.msg.Options[OptServerID] != nil || r.at != 30*time.Minute {
		t.Fatalf("renewal: %v to %v noaddr %v ciaddr %v flags %#x at %v", r.msg.Type(), r.to, r.noAddr, r.msg.CIAddr, r.msg.Flags, r.at)
	}
	if r.msg.XID == h.sent[0].msg.XID {
		t.Error("renewal reuses the acquisition's xid")
	}
	if !h.applied.Start.Equal(h.t0.Add(30*time.Minute)) || h.binds != 2 || h.m.Stats().Renewals != 1 {
		t.Fatalf("lease start %v binds %d stats %+v", h.applied.Start.Sub(h.t0), h.binds, h.m.Stats())
	}
	if h.m.Next() != h.t0.Add(60*time.Minute) {
		t.Errorf("next T1 at %v", h.m.Next().Sub(h.t0))
	}
}

// A server that cannot be reached by unicast: renewals are retransmitted
// at half the time left to T2 (at least 60 s), then at T2 the client
// rebinds by broadcast and any server may answer.
func TestRebind(t *testing.T) {
	h := newSim(t, newFakeServer())
	h.dropUnicast = true
	h.advance(52*time.Minute + 30*time.Second)
	h.wantState(Bound)
	var at []time.Duration
	for _, s := range h.sent[2:] {
		at = append(at, s.at)
	}
	// T1 = 30 min, T2 = 52.5 min: 30:00, then half of the rest each time
	// (41:15, 46:52.5, 49:41.25, 51:05.6), 60 s apart at the end, T2.
	want := []time.Duration{30 * time.Minute, 41*time.Minute + 15*time.Second, 46*time.Minute + 52500*time.Millisecond,
		49*time.Minute + 41250*time.Millisecond, 51*time.Minute + 5625*time.Millisecond, 52*time.Minute + 5625*time.Millisecond,
		52*time.Minute + 30*time.Second}
	if len(at) != len(want) {
		t.Fatalf("renewals at %v, want %v", at, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("renewals at %v, want %v", at, want)
		}
	}
	last := h.last()
	if last.to != broadcast || last.noAddr || last.msg.CIAddr != h.srv.Pool {
		t.Fatalf("at T2: to %v noaddr %v ciaddr %v, want a broadcast from the leased address", last.to, last.noAddr, last.msg.CIAddr)
	}
	if s := h.m.Stats(); s.Rebinds != 1 || s.Renewals != 0 || h.losts != 0 {
		t.Errorf("stats %+v, losts %d", s, h.losts)
	}
	if !h.applied.Start.Equal(h.t0.Add(52*time.Minute + 30*time.Second)) {
		t.Errorf("rebound lease starts at %v", h.applied.Start.Sub(h.t0))
	}
}

// A server gone silent: at expiry the lease is removed and discovery
// starts over, 4 s doubling to 64 s, each ±1 s.
func TestExpiry(t *testing.T) {
	h := newSim(t, newFakeServer())
	h.srv.Silent = true
	h.advance(time.Hour - time.Millisecond)
	h.wantState(Rebinding)
	if h.losts != 0 {
		t.Fatal("lease lost before expiry")
	}
	n := len(h.sent)
	h.advance(time.Hour)
	h.wantState(Selecting)
	if h.losts != 1 || h.applied != nil || h.m.Lease() != nil || h.m.Stats().Expired != 1 {
		t.Fatalf("at expiry: losts %d applied %v stats %+v", h.losts, h.applied, h.m.Stats())
	}
	if d := h.sent[n]; d.msg.Type() != Discover || !d.noAddr || d.at != time.Hour {
		t.Fatalf("after expiry: %v at %v noaddr %v", d.msg.Type(), d.at, d.noAddr)
	}
	h.advance(time.Hour + 5*time.Minute)
	base := []time.Duration{4, 8, 16, 32, 64, 64, 64}
	for i, w := range base {
		gap := h.sent[n+i+1].at - h.sent[n+i].at
		if w *= time.Second; gap < w-time.Second || gap > w+time.Second {
			t.Errorf("retransmission %d after %v, want %v ±1s", i+1, gap, w)
		}
		if h.sent[n+i+1].msg.XID != h.sent[n].msg.XID {
			t.Errorf("retransmission %d changed the xid", i+1)
		}
	}
}

func TestNakWhileRequesting(t *testing.T) {
	srv := newFakeServer()
	srv.Nak = true
	h := newSim(t, srv)
	h.wantState(Init)
	if h.applied != nil || h.m.Stats().Naks != 1 || h.losts != 0 {
		t.Fatalf("after NAK: applied %v stats %+v", h.applied, h.m.Stats())
	}
	if w := h.m.Next().Sub(h.now); w < nakWait-time.Second || w > nakWait+time.Second {
		t.Errorf("restart after %v, want %v ±1s", w, nakWait)
	}
	srv.Nak = false
	h.advance(10 * time.Second)
	h.wantState(Bound)
	if d := h.sent[2]; d.msg.Type() != Discover || d.msg.XID == h.sent[0].msg.XID {
		t.Errorf("after the NAK: %v with xid %#x (first %#x)", d.msg.Type(), d.msg.XID, h.sent[0].msg.XID)
	}
}

func TestNakWhileRenewing(t *testing.T) {
	h := newSim(t, newFakeServer())
	h.srv.Nak = true
	h.advance(30 * time.Minute)
	h.wantState(Init)
	if h.losts != 1 || h.applied != nil {
		t.Fatalf("NAK at renewal: losts %d applied %v", h.losts, h.applied)
	}
	h.srv.Nak = false
	h.advance(31 * time.Minute)
	h.wantState(Bound)
	if h.binds != 2 {
		t.Errorf("binds %d, want 2", h.binds)
	}
}

// Lost replies: the first OFFER and the first ACK never arrive; each
// request is retransmitted after 4 s ±1 s and the client binds.
func TestLostReplies(t *testing.T) {
	h := newSimDropping(t, newFakeServer(), map[MessageType]int{Offer: 1, Ack: 1})
	h.advance(20 * time.Second)
	h.wantState(Bound)
	var types []MessageType
	for _, s := range h.sent {
		types = append(types, s.msg.Type())
	}
	if len(types) != 4 || types[0] != Discover || types[1] != Discover || types[2] != Request || types[3] != Request {
		t.Fatalf("sent %v, want DISCOVER twice, REQUEST twice", types)
	}
	for _, i := range []int{1, 3} {
		if gap := h.sent[i].at - h.sent[i-1].at; gap < 3*time.Second || gap > 5*time.Second {
			t.Errorf("%v retransmitted after %v, want 4s ±1s", types[i], gap)
		}
	}
	if !h.applied.Start.Equal(h.t0.Add(h.sent[2].at)) {
		t.Errorf("lease starts at %v, want at the first REQUEST (%v)", h.applied.Start.Sub(h.t0), h.sent[2].at)
	}
}

// REQUESTs that stay unanswered: after 4 the client discovers again,
// with a new xid.
func TestRequestTimeout(t *testing.T) {
	h := newSimDropping(t, newFakeServer(), map[MessageType]int{Ack: 4})
	h.advance(2 * time.Minute)
	h.wantState(Bound)
	var types []MessageType
	for _, s := range h.sent {
		types = append(types, s.msg.Type())
	}
	if len(types) != 7 || types[5] != Discover || types[4] != Request || h.sent[5].msg.XID == h.sent[0].msg.XID {
		t.Fatalf("sent %v; xids %#x %#x", types, h.sent[0].msg.XID, h.sent[len(h.sent)-1].msg.XID)
	}
}

// Replies that are not for this exchange are ignored; offers and ACKs
// that give no usable lease are refused; both are counted.
func TestBadReplies(t *testing.T) {
	srv := newFakeServer()
	srv.Silent = true
	h := newSimDropping(t, srv, nil)
	disc := h.last().msg
	srv.Silent = false
	offer := func(edit func(r *Message)) {
		r := srv.handle(disc)
		edit(r)
		p, err := Parse(r.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		h.do(h.m.Receive(h.now, p))
		h.wantState(Selecting)
	}
	offer(func(r *Message) { r.XID++ })
	offer(func(r *Message) { r.CHAddr[5]++ })
	offer(func(r *Message) { r.Op = BootRequest })
	offer(func(r *Message) { r.Options[OptMessageType] = []byte{byte(Ack)} })
	if s := h.m.Stats(); s.Ignored != 4 || s.Invalid != 0 {
		t.Fatalf("stats %+v, want 4 ignored", s)
	}
	for _, a := range []string{"0.0.0.0", "255.255.255.255", "10.0.2.0", "10.0.2.255", "127.0.0.1", "224.0.0.1", "169.254.1.1"} {
		offer(func(r *Message) { r.YIAddr = netip.MustParseAddr(a) })
	}
	offer(func(r *Message) { delete(r.Options, OptServerID) })
	if s := h.m.Stats(); s.Invalid != 8 || s.Offers != 0 {
		t.Fatalf("stats %+v, want 8 invalid", s)
	}
	// An ACK without a lease time is refused; so is one from another
	// server than the one whose offer was taken.
	srv.NoLeaseTime = true
	h.advance(10 * time.Second)
	h.wantState(Requesting)
	if s := h.m.Stats(); s.Invalid < 9 || s.Acks != 0 {
		t.Fatalf("stats %+v, want the ACK without lease time refused", s)
	}
	srv.NoLeaseTime = false
	req := h.last().msg
	ack := srv.handle(req)
	ack.SetAddr(OptServerID, netip.MustParseAddr("10.0.2.3"))
	p, _ := Parse(ack.Append(nil))
	h.do(h.m.Receive(h.now, p))
	h.wantState(Requesting)
	if s := h.m.Stats(); s.Ignored != 5 || s.Acks != 0 {
		t.Fatalf("stats %+v, want the other server's ACK ignored", s)
	}
}

// T1 and T2 from the server are used when they make sense; an infinite
// lease is never renewed.
func TestTimers(t *testing.T) {
	for _, c := range []struct {
		lease, t1, t2, wantT1, wantT2 time.Duration
	}{
		{time.Hour, 10 * time.Minute, 20 * time.Minute, 10 * time.Minute, 20 * time.Minute},
		{time.Hour, 40 * time.Minute, 20 * time.Minute, 10 * time.Minute, 20 * time.Minute}, // T1 after T2
		{time.Hour, 0, 2 * time.Hour, 30 * time.Minute, 52*time.Minute + 30*time.Second},    // T2 after expiry
		{time.Second, 0, 0, 5 * time.Second, 8750 * time.Millisecond},                       // clamped to minLease
		{Infinite, time.Minute, 2 * time.Minute, Infinite, Infinite},
	} {
		srv := newFakeServer()
		srv.Lease, srv.T1, srv.T2 = c.lease, c.t1, c.t2
		h := newSim(t, srv)
		if l := h.applied; l == nil || l.T1 != c.wantT1 || l.T2 != c.wantT2 {
			t.Errorf("lease %v T1 %v T2 %v: got %+v, want T1 %v T2 %v", c.lease, c.t1, c.t2, l, c.wantT1, c.wantT2)
		}
		if c.lease == Infinite {
			if !h.m.Next().IsZero() {
				t.Errorf("infinite lease: a timer at %v", h.m.Next())
			}
			h.advance(1000 * time.Hour)
			if len(h.sent) != 2 {
				t.Errorf("infinite lease renewed")
			}
		}
	}
}
