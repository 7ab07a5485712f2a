// Fragments, rate limits, reject replies, and counters.

package filter

import (
	"encoding/binary"
	"testing"
	"time"
)

func TestFragmentsFollowFirst(t *testing.T) {
	e := newEngine(t, "pass in proto udp to any port 53\n", Options{})
	l4 := udpSeg(5353, 53, 64)
	first := ether(etIPv4, ipv4(client, server, protoUDP, l4[:32], ip4opt{id: 7, more: true}))
	later := ether(etIPv4, ipv4(client, server, protoUDP, l4[32:], ip4opt{id: 7, fragOff: 32}))
	other := ether(etIPv4, ipv4(client, server, protoUDP, l4[32:], ip4opt{id: 8, fragOff: 32}))
	if v := e.Decide(later, at(inLAN, 1)); v.Action != Drop || v.Reason != ReasonFragOrphan {
		t.Fatalf("later fragment before its first: %v %v", v.Action, v.Reason)
	}
	if v := e.Decide(first, at(inLAN, 2)); v.Action != Pass || v.Rule != 0 {
		t.Fatalf("first fragment: %v %v", v.Action, v.Reason)
	}
	if v := e.Decide(later, at(inLAN, 3)); v.Action != Pass || v.Rule != 0 {
		t.Fatalf("later fragment: %v %v", v.Action, v.Reason)
	}
	if v := e.Decide(other, at(inLAN, 4)); v.Action != Drop {
		t.Fatal("fragment of another datagram passed")
	}
	// The same datagram identity in another VLAN is another datagram.
	e.Decide(tag(first, 0x8100, 10), at(inLAN, 4))
	if v := e.Decide(tag(later, 0x8100, 20), at(inLAN, 4)); v.Action != Drop {
		t.Fatal("later fragment in VLAN 20 followed a first fragment in VLAN 10")
	}
	if v := e.Decide(tag(later, 0x8100, 10), at(inLAN, 4)); v.Action != Pass {
		t.Fatal("later fragment in VLAN 10 did not follow its first")
	}
	if v := e.Decide(later, at(inLAN, 5+int64(31*time.Second))); v.Action != Drop {
		t.Fatal("fragment passed after the fragment timeout")
	}
	// A first fragment the rules drop lets no later fragment through.
	blocked := ether(etIPv4, ipv4(client, server, protoUDP, udpSeg(5353, 54, 64)[:32], ip4opt{id: 9, more: true}))
	e.Decide(blocked, at(inLAN, 6))
	l9 := ether(etIPv4, ipv4(client, server, protoUDP, l4[32:], ip4opt{id: 9, fragOff: 32}))
	if v := e.Decide(l9, at(inLAN, 7)); v.Action != Drop {
		t.Fatal("later fragment of a dropped datagram passed")
	}
	// IPv6: the fragment header is found in the chain.
	seg := udpSeg(5353, 53, 64)
	f6 := ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, seg[:32], ext{typ: 60, body: make([]byte, 6)}, fragExt(0, true, 99)))
	l6 := ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, seg[32:], fragExt(32, false, 99)))
	if v := e.Decide(f6, at(inLAN, 8)); v.Action != Pass {
		t.Fatalf("v6 first fragment: %v", v.Reason)
	}
	if v := e.Decide(l6, at(inLAN, 9)); v.Action != Pass {
		t.Fatalf("v6 later fragment: %v", v.Reason)
	}
}

func TestFragmentsDropPolicy(t *testing.T) {
	e := newEngine(t, "set fragments drop\npass proto udp\n", Options{})
	first := ether(etIPv4, ipv4(client, server, protoUDP, udpSeg(1, 53, 24), ip4opt{id: 7, more: true}))
	if v := e.Decide(first, inLAN); v.Action != Drop || v.Reason != ReasonFragPolicy {
		t.Fatalf("%v %v", v.Action, v.Reason)
	}
	if v := e.Decide(udp4(client, server, 1, 53), inLAN); v.Action != Pass {
		t.Fatal("whole packet dropped")
	}
}

func TestRateLimitPerRule(t *testing.T) {
	e := newEngine(t, "pass proto icmp limit 10/s burst 3\n", Options{})
	f := ping4(client, server, 8, 1)
	passed := 0
	for i := 0; i < 10; i++ { // 10 frames at the same instant: the burst
		if e.Decide(f, at(inLAN, 1e9)).Action == Pass {
			passed++
		}
	}
	if passed != 3 {
		t.Errorf("burst: %d passed, want 3", passed)
	}
	// Over 2 s at 100 frames/s, about 10/s pass (20 tokens, no burst left).
	passed = 0
	for i := 1; i <= 200; i++ {
		if e.Decide(f, at(inLAN, 1e9+int64(i)*1e7)).Action == Pass {
			passed++
		}
	}
	if passed != 20 {
		t.Errorf("sustained: %d passed in 2 s, want 20", passed)
	}
	if s := e.Snapshot(); s.Reasons[ReasonRateLimit] != 7+180 {
		t.Errorf("rate-limit drops %d, want 187", s.Reasons[ReasonRateLimit])
	}
}

func TestRateLimitPerSource(t *testing.T) {
	e := newEngine(t, "pass proto udp limit 1/s burst 2 per-source\n", Options{SourceLimitEntries: 64})
	a, b := udp4("10.0.0.1", server, 1, 2), udp4("10.0.0.2", server, 1, 2)
	got := []Action{}
	for _, f := range [][]byte{a, a, a, b, b, b} {
		got = append(got, e.Decide(f, at(inLAN, 5e9)).Action)
	}
	want := []Action{Pass, Pass, Drop, Pass, Pass, Drop}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Many sources cannot grow the table: it has a fixed number of slots.
	f := udp4("10.0.0.0", server, 1, 2)
	for i := 0; i < 100000; i++ {
		binary.BigEndian.PutUint32(f[14+12:], 0x0b000000+uint32(i))
		e.Decide(f, at(inLAN, 6e9))
	}
	if n := len(e.Program().sources.e); n != 64 {
		t.Errorf("source table has %d slots, want 64", n)
	}
}

func TestRejectReplies(t *testing.T) {
	e := newEngine(t, "reject proto { tcp, udp, icmp, 47 }\nreject inet6\n", Options{RejectRate: 5, RejectBurst: 2})
	buf := make([]byte, MaxReplyLen)
	syn := seg4(client, server, tcpSeg{sport: 4000, dport: 23, flags: flagSYN, seq: 1000, wscale: -1})
	v := e.Decide(syn, at(inWAN, 1))
	if v.Action != Reject || v.Reply != ReplyTCPReset {
		t.Fatalf("verdict %+v", v)
	}
	n, err := BuildReply(syn, v, buf)
	if err != nil {
		t.Fatal(err)
	}
	var p pkt
	if !decode(buf[:n], &p) || p.proto != protoTCP || p.tcpFlags != flagRST|flagACK || p.ack != 1001 ||
		p.sport != 23 || p.dport != 4000 || uint32(p.src.lo) != 0xcb007107 || p.dstMAC != macA {
		t.Fatalf("RST: %+v", p)
	}
	if sum := fold(csum(0, buf[14:34])); sum != 0 {
		t.Errorf("IPv4 header checksum does not verify: %#x", sum)
	}
	tcpLen := n - 34
	ps := csum(0, buf[14+12:14+20]) + protoTCP + uint32(tcpLen)
	if sum := fold(csum(ps, buf[34:n])); sum != 0 {
		t.Errorf("TCP checksum does not verify: %#x", sum)
	}

	// UDP gets ICMP port unreachable quoting header + 8 bytes, tags kept.
	u := tag(udp4(client, server, 4000, 69), 0x8100, 12)
	v = e.Decide(u, at(inWAN, 2))
	n, err = BuildReply(u, v, buf)
	if err != nil || v.Reply != ReplyICMPUnreach {
		t.Fatalf("%v %v", v, err)
	}
	if p = (pkt{}); !decode(buf[:n], &p) || p.ntags != 1 || p.vlan[0] != 12 || !p.hasICMP || p.icmpType != 3 || p.icmpCode != 3 || n != 18+20+8+28 {
		t.Fatalf("ICMP: n=%d %+v", n, p)
	}
	if sum := fold(csum(0, buf[18+20:n])); sum != 0 {
		t.Errorf("ICMP checksum does not verify")
	}

	// The reply budget is 2 at once, then 5/s.
	v = e.Decide(syn, at(inWAN, 3))
	if v.Action != Reject || v.Reply != ReplyNone {
		t.Errorf("third reply in the same instant: %v", v.Reply)
	}
	if _, err := BuildReply(syn, v, buf); err != ErrNoReply {
		t.Errorf("BuildReply without a reply: %v", err)
	}
	v = e.Decide(udp6("2001:db8::1", "2001:db8::2", 5, 6), at(inWAN, 1e9))
	n, err = BuildReply(udp6("2001:db8::1", "2001:db8::2", 5, 6), v, buf)
	if err != nil || v.Reply != ReplyICMP6Unreach {
		t.Fatalf("v6: %v %v", v, err)
	}
	if p = (pkt{}); !decode(buf[:n], &p) || p.icmpType != 1 || p.icmpCode != 4 {
		t.Fatalf("ICMPv6: %+v", p)
	}
	ps6 := csum(0, buf[14+8:14+40]) + protoICMP6 + uint32(n-54)
	if sum := fold(csum(ps6, buf[54:n])); sum != 0 {
		t.Errorf("ICMPv6 checksum does not verify")
	}
	if _, err := BuildReply(syn, Verdict{Action: Reject, Reply: ReplyTCPReset}, buf[:40]); err != ErrShortReply {
		t.Errorf("short buffer: %v", err)
	}

	// Never answer broadcasts, RSTs or ICMP errors.
	bcast := append([]byte{}, syn...)
	copy(bcast, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	rst := seg4(client, server, tcpSeg{sport: 4000, dport: 23, flags: flagRST, wscale: -1})
	unreach := ether(etIPv4, ipv4(client, server, protoICMP, icmpMsg(3, 1, 0), ip4opt{}))
	zeroSrc := tcp4("0.0.0.0", server, 68, 23, flagSYN)
	mcastSrc := udp6("ff02::1", "2001:db8::2", 5, 6)
	for _, f := range [][]byte{bcast, rst, unreach, zeroSrc, mcastSrc} {
		if v := e.Decide(f, at(inWAN, 5e9)); v.Action != Reject || v.Reply != ReplyNone {
			t.Errorf("reply %v to a frame that must get none", v.Reply)
		}
	}
	s := e.Snapshot()
	if s.Replies != 3 || s.RepliesLimited != 1 || s.Verdicts[Reject] != 9 {
		t.Errorf("replies %d limited %d rejects %d", s.Replies, s.RepliesLimited, s.Verdicts[Reject])
	}
}

func TestCounters(t *testing.T) {
	e := newEngine(t, "pass proto udp log\ndrop proto tcp\n", Options{})
	u := udp4(client, server, 1, 2)
	tc := tcp4(client, server, 1, 2, flagSYN)
	for i := 0; i < 3; i++ {
		if v := e.Decide(u, inLAN); !v.Log {
			t.Fatal("log flag lost")
		}
	}
	e.Decide(tc, inLAN)
	e.Decide(arpFrame(), inLAN)
	e.Decide(u[:20], inLAN)
	s := e.Snapshot()
	if s.Rules[0].Packets != 3 || s.Rules[0].Bytes != uint64(3*len(u)) || s.Rules[1].Packets != 1 || s.Rules[1].Line != 2 {
		t.Errorf("rule counters %+v", s.Rules)
	}
	if s.Verdicts[Pass] != 3 || s.Verdicts[Drop] != 3 || s.Reasons[ReasonRule] != 1 || s.Reasons[ReasonDefault] != 1 || s.Reasons[ReasonMalformed] != 1 {
		t.Errorf("verdicts %v reasons %v", s.Verdicts, s.Reasons)
	}
}

func TestVerdictString(t *testing.T) {
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{Verdict{Action: Pass, Rule: 3, State: true}, "pass rule 3 state"},
		{Verdict{Action: Drop, Reason: ReasonDefault, Rule: -1}, "drop default-policy"},
		{Verdict{Action: Reject, Reason: ReasonRule, Rule: 0, Reply: ReplyTCPReset}, "reject rule 0 reply tcp-reset"},
		{Verdict{Action: Drop, Reason: ReasonRateLimit, Rule: 2}, "drop rule 2 rate-limit"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.v, got, tc.want)
		}
	}
}

// A later fragment that starts inside the headers its first fragment was
// judged on (AH and the transport header) could rewrite them (RFC 1858
// 3.2, RFC 5722): it is dropped, in IPv4 and IPv6 alike.
func TestFragmentsOverlappingHeaders(t *testing.T) {
	e := newEngine(t, "pass in proto tcp to any port 22\n", Options{})
	seg := tcpSeg{sport: 1, dport: 22, flags: flagSYN, wscale: -1, payload: 44}.bytes()
	dg := append(ahHeader(protoTCP, 24), seg...) // headers end at 24+20
	first4 := ether(etIPv4, ipv4(client, server, protoAH, dg[:48], ip4opt{id: 5, more: true}))
	at4 := func(off int) []byte {
		return ether(etIPv4, ipv4(client, server, protoAH, dg[off:], ip4opt{id: 5, fragOff: off}))
	}
	first6 := ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoAH, dg[:48], fragExt(0, true, 5)))
	at6 := func(off int) []byte {
		return ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoAH, dg[off:], fragExt(off, false, 5)))
	}
	for _, f := range []struct {
		name  string
		first []byte
		later func(int) []byte
	}{{"ipv4", first4, at4}, {"ipv6", first6, at6}} {
		t.Run(f.name, func(t *testing.T) {
			if v := e.Decide(f.first, at(inLAN, 1)); v.Action != Pass || v.Rule != 0 {
				t.Fatalf("first fragment: %v %v", v.Action, v.Reason)
			}
			if v := e.Decide(f.later(40), at(inLAN, 2)); v.Action != Drop || v.Reason != ReasonMalformed {
				t.Errorf("fragment at 40, inside the TCP header: %v %v", v.Action, v.Reason)
			}
			if v := e.Decide(f.later(48), at(inLAN, 3)); v.Action != Pass {
				t.Errorf("fragment at 48: %v %v", v.Action, v.Reason)
			}
		})
	}
}
