// Connection tracking: TCP state machine and window checks, UDP and ICMP
// echo states, related ICMP errors, timeouts, the table bound with millions
// of flows, and the management reservation.

package filter

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

const (
	client = "10.0.0.5"
	server = "203.0.113.7"
)

func seg4(src, dst string, s tcpSeg) []byte {
	return ether(etIPv4, ipv4(src, dst, protoTCP, s.bytes(), ip4opt{}))
}

// tcpConv plays a TCP conversation between client:40000 and server:443.
type tcpConv struct {
	t        *testing.T
	e        *Engine
	now      int64
	cseq     uint32 // client's next seq
	sseq     uint32
	cwscale  int
	swscale  int
	lastVerd Verdict
}

func (c *tcpConv) send(fromClient bool, flags uint8, payload int) Verdict {
	s := tcpSeg{flags: flags, payload: payload, wscale: -1, win: 8192}
	src, dst, m := client, server, inLAN
	if fromClient {
		s.sport, s.dport, s.seq, s.ack = 40000, 443, c.cseq, c.sseq
		if flags&flagSYN != 0 {
			s.wscale = c.cwscale
		}
	} else {
		src, dst, m = server, client, inWAN
		s.sport, s.dport, s.seq, s.ack = 443, 40000, c.sseq, c.cseq
		if flags&flagSYN != 0 {
			s.wscale = c.swscale
		}
	}
	adv := uint32(payload)
	if flags&(flagSYN|flagFIN) != 0 {
		adv++
	}
	c.now += int64(time.Millisecond)
	v := c.e.Decide(seg4(src, dst, s), at(m, c.now))
	if v.Action == Pass {
		if fromClient {
			c.cseq += adv
		} else {
			c.sseq += adv
		}
	}
	c.lastVerd = v
	return v
}

func (c *tcpConv) expect(fromClient bool, flags uint8, payload int, want Action) {
	c.t.Helper()
	if v := c.send(fromClient, flags, payload); v.Action != want {
		c.t.Fatalf("segment flags %#x from client=%v: got %v (%v), want %v", flags, fromClient, v.Action, v.Reason, want)
	}
}

const statefulRules = "pass in on lan proto { tcp, udp } keep state\npass in on lan proto icmp icmp-type echo-request keep state\n"

func newConv(t *testing.T) *tcpConv {
	return &tcpConv{t: t, e: newEngine(t, statefulRules, Options{}), cseq: 1000, sseq: 900000, cwscale: 7, swscale: 2}
}

func TestTCPHandshakeDataClose(t *testing.T) {
	c := newConv(t)
	c.expect(true, flagSYN, 0, Pass)
	if c.lastVerd.State {
		t.Fatal("the SYN must be decided by the rule, not a state")
	}
	c.expect(false, flagSYN|flagACK, 0, Pass)
	c.expect(true, flagACK, 0, Pass)
	c.expect(true, flagACK|flagPSH, 500, Pass)
	c.expect(false, flagACK, 1200, Pass)
	if !c.lastVerd.State || c.lastVerd.Rule != 0 {
		t.Errorf("reply passed by state %v rule %d", c.lastVerd.State, c.lastVerd.Rule)
	}
	s := c.e.Snapshot()
	if s.States != 1 || s.Rules[0].Packets != 5 {
		t.Errorf("states %d, rule 0 packets %d; want 1 and 5", s.States, s.Rules[0].Packets)
	}
	en := &c.e.ct.e[c.e.ct.head]
	if !en.tcp.established() || en.expires != c.now+int64(24*time.Hour) {
		t.Errorf("not established with the established timeout: %+v", en.tcp)
	}
	c.expect(true, flagFIN|flagACK, 0, Pass)
	c.expect(false, flagFIN|flagACK, 0, Pass)
	c.expect(true, flagACK, 0, Pass)
	if !en.tcp.closed() || en.expires != c.now+int64(30*time.Second) {
		t.Errorf("not closed after both FINs acked: %+v", en.tcp)
	}
	// A new SYN on the closed 4-tuple starts a new connection.
	c.cseq += 100000
	c.expect(true, flagSYN, 0, Pass)
	if c.lastVerd.State {
		t.Error("new SYN on a closed state was decided by the old state")
	}
	// From the other end too, once that one is closed: the rules judge it
	// (and here only the LAN side may open connections).
	c.expect(false, flagRST|flagACK, 0, Pass)
	c.expect(false, flagSYN, 0, Drop)
	if c.lastVerd.Reason != ReasonDefault {
		t.Errorf("SYN from the server on a closed state: reason %v, want default-policy", c.lastVerd.Reason)
	}
}

func TestTCPInvalidSegments(t *testing.T) {
	t.Run("unsolicited from outside", func(t *testing.T) {
		c := newConv(t)
		c.expect(false, flagACK, 0, Drop)
		c.expect(false, flagSYN, 0, Drop)
	})
	t.Run("data before the SYN-ACK", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagACK, 10, Drop)
		if c.lastVerd.Reason != ReasonBadState {
			t.Errorf("reason %v", c.lastVerd.Reason)
		}
	})
	t.Run("SYN-ACK acking the wrong seq", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.cseq += 5
		c.expect(false, flagSYN|flagACK, 0, Drop)
	})
	t.Run("RST before the SYN-ACK must acknowledge the SYN", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagRST, 0, Drop)
		c.cseq += 9
		c.expect(false, flagRST|flagACK, 0, Drop)
		c.cseq -= 9
		if c.e.ct.e[c.e.ct.head].tcp.closed() {
			t.Error("a bad RST closed the state")
		}
	})
	t.Run("SYN retransmission", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.cseq-- // same ISN again
		c.expect(true, flagSYN, 0, Pass)
		c.cseq += 1000 // another ISN on the same 4-tuple while opening
		c.expect(true, flagSYN, 0, Drop)
	})
	t.Run("refused with RST", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagRST|flagACK, 0, Pass)
		if !c.e.ct.e[c.e.ct.head].tcp.closed() {
			t.Error("RST did not close the state")
		}
	})
	t.Run("out of window", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagSYN|flagACK, 0, Pass)
		c.expect(true, flagACK, 0, Pass)
		saved := c.sseq
		c.sseq += 1 << 30 // blind injection far beyond any window
		c.expect(false, flagACK|flagPSH, 100, Drop)
		c.expect(false, flagRST, 0, Drop)
		c.sseq = saved
		c.cseq += 1 << 30 // acks data the client never sent... from the server's side
		c.expect(false, flagACK, 0, Drop)
		c.cseq -= 1 << 30
		c.expect(false, flagACK, 100, Pass)
		// A retransmission (old seq within a window) is fine; a segment
		// far behind everything sent is not.
		c.sseq -= 100
		c.expect(false, flagACK, 100, Pass)
		c.sseq -= 1 << 22 // the client's window is 1 MiB (8192 << 7)
		c.expect(false, flagACK, 100, Drop)
	})
	t.Run("window scaling needs both SYNs", func(t *testing.T) {
		c := newConv(t)
		c.swscale = -1 // the server does not offer it: no scaling either way
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagSYN|flagACK, 0, Pass)
		c.expect(true, flagACK, 0, Pass) // client window 8192, unscaled
		sent := 0
		for ; sent < 600 && c.send(false, flagACK, 1400).Action == Pass; sent++ {
		}
		// 8192 + seqSlack (65535) bytes fit: 52 whole segments, not 600.
		if sent != 52 {
			t.Errorf("%d segments of 1400 passed beyond an unscaled 8192-byte window", sent)
		}
	})
	t.Run("window scaling allows large windows", func(t *testing.T) {
		c := newConv(t)
		c.expect(true, flagSYN, 0, Pass)
		c.expect(false, flagSYN|flagACK, 0, Pass)
		c.expect(true, flagACK, 0, Pass) // client window 8192<<7 = 1 MiB
		for i := 0; i < 600; i++ {       // 600 * 1400 = 840 kB in flight
			c.expect(false, flagACK, 1400, Pass)
		}
	})
}

func TestUDPAndICMPStates(t *testing.T) {
	e := newEngine(t, statefulRules, Options{})
	now := int64(0)
	dec := func(f []byte, m Meta) Verdict { now += 1e6; return e.Decide(f, at(m, now)) }
	if v := dec(udp4(server, client, 53, 5353), inWAN); v.Action != Drop {
		t.Fatal("unsolicited UDP passed")
	}
	if v := dec(udp4(client, server, 5353, 53), inLAN); v.Action != Pass || v.State {
		t.Fatal("UDP out not passed by rule")
	}
	if v := dec(udp4(server, client, 53, 5353), inWAN); v.Action != Pass || !v.State {
		t.Fatal("UDP reply not passed by state")
	}
	if v := dec(udp4(server, client, 53, 5354), inWAN); v.Action != Drop {
		t.Fatal("UDP to another port passed")
	}
	if v := dec(ping4(client, server, 8, 77), inLAN); v.Action != Pass {
		t.Fatal("ping out")
	}
	if v := dec(ping4(server, client, 0, 77), inWAN); v.Action != Pass || !v.State {
		t.Fatal("echo reply not passed by state")
	}
	if v := dec(ping4(server, client, 0, 78), inWAN); v.Action != Drop {
		t.Fatal("echo reply with another id passed")
	}
	if v := dec(ping4(server, client, 8, 77), inWAN); v.Action != Drop {
		t.Fatal("echo request in the reply direction passed")
	}
	// Timeouts: the UDP state has seen a reply (3 min), ICMP 30 s.
	now += int64(31 * time.Second)
	if v := dec(ping4(server, client, 0, 77), inWAN); v.Action != Drop {
		t.Fatal("echo reply after the ICMP timeout passed")
	}
	if v := dec(udp4(server, client, 53, 5353), inWAN); v.Action != Pass {
		t.Fatal("answered UDP state expired early")
	}
	now += int64(3*time.Minute + time.Second)
	if v := dec(udp4(server, client, 53, 5353), inWAN); v.Action != Drop {
		t.Fatal("UDP state outlived its timeout")
	}
}

func TestExpiredStatesReclaimedWithoutLookups(t *testing.T) {
	e := newEngine(t, statefulRules, Options{})
	f := udp4("10.0.0.0", server, 1024, 53)
	for i := 0; i < 100; i++ {
		e.Decide(udpFlow(f, uint32(i)), at(inLAN, int64(i)))
	}
	if s := e.Snapshot(); s.States != 100 {
		t.Fatalf("%d states", s.States)
	}
	// Unrelated, stateless frames after the UDP timeout reclaim the
	// expired states a few at a time.
	later := int64(31 * time.Second)
	for i := 0; i < 60; i++ {
		e.Decide(arpFrame(), at(inLAN, later+int64(i)))
	}
	if s := e.Snapshot(); s.States != 0 {
		t.Errorf("%d expired states left after 60 frames", s.States)
	}
}

func TestRelatedICMPErrors(t *testing.T) {
	e := newEngine(t, statefulRules, Options{})
	out := udp4(client, server, 5353, 53)
	e.Decide(out, at(inLAN, 1))
	quote := out[14 : 14+28]
	icmp := append(icmpMsg(3, 3, 0), quote...)
	router := "198.51.100.1"
	if v := e.Decide(ether(etIPv4, ipv4(router, client, protoICMP, icmp, ip4opt{})), at(inWAN, 2)); v.Action != Pass || !v.State {
		t.Fatalf("port unreachable for a tracked flow: %v %v", v.Action, v.Reason)
	}
	// The same error addressed to someone else, or quoting an unknown flow.
	if v := e.Decide(ether(etIPv4, ipv4(router, "10.0.0.6", protoICMP, icmp, ip4opt{})), at(inWAN, 3)); v.Action != Drop {
		t.Fatal("error to a host that did not send the quoted packet passed")
	}
	other := udp4(client, server, 5354, 53)[14 : 14+28]
	if v := e.Decide(ether(etIPv4, ipv4(router, client, protoICMP, append(icmpMsg(3, 3, 0), other...), ip4opt{})), at(inWAN, 4)); v.Action != Drop {
		t.Fatal("error quoting an untracked flow passed")
	}
	// IPv6 packet too big for a tracked TCP flow.
	e.Decide(tcp6("2001:db8::5", "2001:db8:1::7", 40000, 443, flagSYN), at(inLAN, 5))
	q6 := tcp6("2001:db8::5", "2001:db8:1::7", 40000, 443, flagACK)[14 : 14+48]
	ptb := append(icmpMsg(2, 0, 0), q6...)
	if v := e.Decide(ether(etIPv6, ipv6("2001:db8:ff::1", "2001:db8::5", protoICMP6, ptb)), at(inWAN, 6)); v.Action != Pass {
		t.Fatalf("ICMPv6 packet too big for a tracked flow: %v", v.Reason)
	}
	if s := e.Snapshot(); s.Related != 2 {
		t.Errorf("related counter %d, want 2", s.Related)
	}
}

// udpFlow returns a UDP frame of flow i (distinct source address and port).
func udpFlow(buf []byte, i uint32) []byte {
	binary.BigEndian.PutUint32(buf[14+12:], 0x0a000000|i>>8)
	binary.BigEndian.PutUint16(buf[14+20:], uint16(1024+i&0xff))
	return buf
}

func TestStateTableBoundMillionsOfFlows(t *testing.T) {
	flows := 2_000_000
	if testing.Short() {
		flows = 300_000
	}
	const limit = 4096
	e := newEngine(t, "pass in on lan proto udp keep state\n", Options{StateLimit: limit, MgmtReserve: 256})
	frame := udp4("10.0.0.0", server, 1024, 53)
	passed := 0
	for i := 0; i < flows; i++ {
		v := e.Decide(udpFlow(frame, uint32(i)), at(inLAN, int64(i)*1000))
		if v.Action == Pass {
			passed++
		}
		if e.ct.n > limit-256 || e.ct.n != int(e.ct.count.Load()) {
			t.Fatalf("flow %d: %d states, non-management share is %d", i, e.ct.n, limit-256)
		}
	}
	// Unanswered UDP states are evictable, so every new flow got a state.
	s := e.Snapshot()
	if passed != flows || s.StatesCreated != uint64(flows) || s.Reasons[ReasonStateFull] != 0 {
		t.Errorf("passed %d of %d, created %d, full drops %d", passed, flows, s.StatesCreated, s.Reasons[ReasonStateFull])
	}
	if err := checkTable(e.ct); err != nil {
		t.Fatal(err)
	}
}

// checkTable verifies the table's internal links and counts.
func checkTable(t *ctTable) error {
	used, non := 0, 0
	for i := range t.e {
		if t.e[i].used {
			used++
			if !t.e[i].mgmt {
				non++
			}
		}
	}
	lru := 0
	for i := t.head; i != nilIdx; i = t.e[i].next {
		lru++
		if lru > len(t.e) {
			return fmt.Errorf("LRU list loops")
		}
	}
	chained := 0
	for _, h := range t.heads {
		for i := h; i != nilIdx; i = t.e[i].hnext {
			chained++
			if chained > len(t.e) {
				return fmt.Errorf("hash chain loops")
			}
		}
	}
	free := 0
	for i := t.free; i != nilIdx; i = t.e[i].hnext {
		free++
		if free > len(t.e) {
			return fmt.Errorf("free list loops")
		}
	}
	if used != t.n || non != t.nNon || lru != t.n || chained != t.n || free != len(t.e)-t.n {
		return fmt.Errorf("used %d non-mgmt %d lru %d chained %d free %d; n %d nNon %d", used, non, lru, chained, free, t.n, t.nNon)
	}
	return nil
}

func TestManagementReserve(t *testing.T) {
	rules := `set self { 192.0.2.1 }
pass in on lan proto tcp to self port 22 keep state
pass in on lan proto tcp to any port 8443 keep state mgmt
pass in on lan proto tcp keep state
`
	const limit, reserve = 64, 8
	e := newEngine(t, rules, Options{StateLimit: limit, MgmtReserve: reserve})
	now := int64(0)
	// Fill the non-management share with established connections, which
	// are never evicted while alive.
	for i := 0; i < limit; i++ {
		src := fmt.Sprintf("10.1.0.%d", i)
		syn := tcpSeg{sport: 5000, dport: 80, flags: flagSYN, seq: 1, wscale: -1}
		synack := tcpSeg{sport: 80, dport: 5000, flags: flagSYN | flagACK, seq: 7, ack: 2, wscale: -1}
		ack := tcpSeg{sport: 5000, dport: 80, flags: flagACK, seq: 2, ack: 8, wscale: -1}
		now++
		v := e.Decide(seg4(src, server, syn), at(inLAN, now))
		if i >= limit-reserve {
			if v.Action != Drop || v.Reason != ReasonStateFull {
				t.Fatalf("flow %d beyond the share: %v %v", i, v.Action, v.Reason)
			}
			continue
		}
		e.Decide(seg4(server, src, synack), at(inWAN, now))
		if v := e.Decide(seg4(src, server, ack), at(inLAN, now)); v.Action != Pass {
			t.Fatalf("flow %d handshake: %v", i, v.Reason)
		}
	}
	// The admin still gets in, by address (self) and by the mgmt mark.
	for i := 0; i < reserve; i++ {
		now++
		dport, dst := uint16(22), "192.0.2.1"
		if i%2 == 1 {
			dport, dst = 8443, server
		}
		syn := tcpSeg{sport: uint16(6000 + i), dport: dport, flags: flagSYN, seq: 1, wscale: -1}
		if v := e.Decide(seg4("10.9.0.1", dst, syn), at(inLAN, now)); v.Action != Pass {
			t.Fatalf("admin connection %d locked out: %v", i, v.Reason)
		}
	}
	s := e.Snapshot()
	if s.States != limit || s.MgmtStates != reserve {
		t.Errorf("states %d (mgmt %d), want %d (%d)", s.States, s.MgmtStates, limit, reserve)
	}
	// With the reserve used up, a further admin connection evicts the
	// least recently used ordinary state rather than failing.
	syn := tcpSeg{sport: 7000, dport: 22, flags: flagSYN, seq: 1, wscale: -1}
	if v := e.Decide(seg4("10.9.0.2", "192.0.2.1", syn), at(inLAN, now+1)); v.Action != Pass {
		t.Fatalf("admin beyond the reserve: %v", v.Reason)
	}
	if err := checkTable(e.ct); err != nil {
		t.Fatal(err)
	}
	// Once ordinary states expire they make room again.
	later := now + int64(25*time.Hour)
	syn = tcpSeg{sport: 5000, dport: 80, flags: flagSYN, seq: 1, wscale: -1}
	if v := e.Decide(seg4("10.2.0.1", server, syn), at(inLAN, later)); v.Action != Pass {
		t.Fatalf("after expiry: %v", v.Reason)
	}
}

func TestStatesAreKeptPerVLAN(t *testing.T) {
	e := newEngine(t, "pass in on lan proto udp keep state\n", Options{})
	e.Decide(tag(udp4(client, server, 5353, 53), 0x8100, 10), at(inLAN, 1))
	if v := e.Decide(tag(udp4(server, client, 53, 5353), 0x8100, 20), at(inWAN, 2)); v.Action != Drop {
		t.Error("reply in VLAN 20 passed by a VLAN 10 state")
	}
	if v := e.Decide(udp4(server, client, 53, 5353), at(inWAN, 3)); v.Action != Drop {
		t.Error("untagged reply passed by a VLAN 10 state")
	}
	if v := e.Decide(tag(udp4(server, client, 53, 5353), 0x8100, 10), at(inWAN, 4)); v.Action != Pass || !v.State {
		t.Error("reply in VLAN 10 not passed by its state")
	}
}

// States are bound to the port their flow was opened on: a spoofed
// originator from the far side, or a "reply" from the near side, does not
// pass by the state (found with a real host on each side of the bridge).
func TestStatesAreBoundToTheirPort(t *testing.T) {
	e := newEngine(t, statefulRules, Options{})
	if v := e.Decide(udp4(client, server, 5353, 53), at(inLAN, 1)); v.Action != Pass {
		t.Fatal("UDP out not passed by rule")
	}
	if v := e.Decide(udp4(client, server, 5353, 53), at(inWAN, 2)); v.Action != Drop {
		t.Errorf("the originator's direction from wan passed: %v", v)
	}
	if v := e.Decide(udp4(server, client, 53, 5353), at(inLAN, 3)); v.Action == Pass && v.State {
		t.Errorf("the responder's direction from lan passed by the state: %v", v)
	}
	if v := e.Decide(udp4(server, client, 53, 5353), at(inWAN, 4)); v.Action != Pass || !v.State {
		t.Errorf("the reply from wan not passed by its state: %v", v)
	}
	if v := e.Decide(udp4(client, server, 5353, 53), at(inLAN, 5)); v.Action != Pass || !v.State {
		t.Errorf("the originator from lan not passed by its state: %v", v)
	}
}
