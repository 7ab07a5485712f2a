// Match expressions, the 5-tuple a log line shows, and the state table's
// counts by protocol.

package filter

import (
	"strings"
	"testing"
)

func TestCompileMatch(t *testing.T) {
	e := newEngine(t, "set self { 192.0.2.1 }\npass\n", Options{})
	tcp := tcp4("10.0.0.1", "192.0.2.1", 40000, 23, flagSYN)
	udp := udp4("10.0.0.1", "192.0.2.9", 5353, 53)
	for _, c := range []struct {
		expr  string
		frame []byte
		port  uint8
		want  bool
	}{
		{"", tcp, 0, true},
		{"  ", arpFrame(), 1, true},
		{"inet proto tcp to self port telnet", tcp, 0, true},
		{"inet proto tcp to self port telnet", udp, 0, false},
		{"proto udp to any port 53 on lan", udp, 0, true},
		{"proto udp to any port 53 on lan", udp, 1, false},
		{"ether type arp", arpFrame(), 0, true},
		{"ether type arp", tcp, 0, false},
		{"proto tcp from 10.0.0.0/8 flags S/SA", tcp, 0, true},
		{"inet6", tcp, 0, false},
	} {
		m, err := e.CompileMatch(c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		if got := m.Matches(c.frame, c.port); got != c.want {
			t.Errorf("%q on port %d: %v, want %v", c.expr, c.port, got, c.want)
		}
	}
	// A malformed frame matches no clause.
	m, _ := e.CompileMatch("ether type ipv4")
	if m.Matches(tcp[:20], 0) {
		t.Error("a truncated frame matched")
	}
}

func TestCompileMatchErrorsArePositionedInTheExpression(t *testing.T) {
	e := newEngine(t, "pass\n", Options{})
	for _, c := range []struct{ expr, want string }{
		{"proto tcp frm any", "match:1:11: unknown word \"frm\""},
		{"proto tcp to any port 99999", "match:1:23:"},
		{"on dmz", "match:1:4: unknown port \"dmz\""},
		{"proto tcp keep state", "match:1:11: keep state does not select frames"},
		{"log proto tcp", "match:1:1: log does not select"},
		{"drop proto tcp", "match:1:1: action drop must come first"},
		{"proto tcp\npass all", "match:1:10: a match expression is one line"},
		{"to <nope>", "match:1:"},
	} {
		_, err := e.CompileMatch(c.expr)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want prefix %q", c.expr, err, c.want)
		}
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	e := newEngine(t, "pass\n", Options{})
	m, err := e.CompileMatch("inet proto tcp from 10.0.0.0/8 to any port { 22, 23 }")
	if err != nil {
		t.Fatal(err)
	}
	f := tcp4("10.0.0.1", "192.0.2.1", 40000, 23, flagSYN)
	var tu Tuple
	if n := testing.AllocsPerRun(100, func() {
		if !m.Matches(f, 0) || !tu.Decode(f) {
			t.Fatal("no match")
		}
	}); n != 0 {
		t.Fatalf("%v allocations per match and decode", n)
	}
}

func TestTupleDecode(t *testing.T) {
	var tu Tuple
	if !tu.Decode(tcp4("10.0.0.1", "192.0.2.1", 40000, 23, flagSYN)) {
		t.Fatal("tcp4 did not decode")
	}
	if tu.Family != 4 || tu.Proto != protoTCP || !tu.HasPorts || tu.SrcPort != 40000 || tu.DstPort != 23 ||
		tu.Src().String() != "10.0.0.1" || tu.Dst().String() != "192.0.2.1" || tu.TCPFlags != flagSYN || ProtoName(tu.Proto) != "tcp" {
		t.Fatalf("tcp4: %+v src %v dst %v", tu, tu.Src(), tu.Dst())
	}
	if !tu.Decode(ping6("2001:db8::1", "2001:db8::2", 128, 7)) || tu.Family != 6 || !tu.HasICMP || tu.ICMPType != 128 ||
		tu.Src().String() != "2001:db8::1" || tu.Dst().String() != "2001:db8::2" || ProtoName(tu.Proto) != "icmp6" {
		t.Fatalf("ping6: %+v", tu)
	}
	if !tu.Decode(tag(arpFrame(), 0x8100, 42)) || tu.Family != 0 || tu.EtherType != etARP || tu.VLAN != 42 || tu.Src().IsValid() {
		t.Fatalf("tagged ARP: %+v", tu)
	}
	if tu.Decode(tcp4("10.0.0.1", "192.0.2.1", 1, 2, 0)[:30]) {
		t.Fatal("a truncated frame decoded")
	}
	if ProtoName(99) != "99" {
		t.Fatal(ProtoName(99))
	}
}

func TestStatesByProto(t *testing.T) {
	e := newEngine(t, "pass on lan keep state\n", Options{})
	for i, f := range [][]byte{
		tcp4("10.0.0.1", "10.0.0.2", 1000, 80, flagSYN),
		udp4("10.0.0.1", "10.0.0.2", 1000, 53),
		udp6("2001:db8::1", "2001:db8::2", 1000, 53),
		ping4("10.0.0.1", "10.0.0.2", 8, 1),
		ping6("2001:db8::1", "2001:db8::2", 128, 1),
	} {
		if v := e.Decide(f, at(inLAN, int64(i))); v.Action != Pass {
			t.Fatalf("frame %d: %v", i, v)
		}
	}
	s := e.Snapshot()
	want := StateProtoCounts{StateTCP: 1, StateUDP: 2, StateICMP: 1, StateICMP6: 1}
	if s.StatesByProto != want || s.States != 5 {
		t.Fatalf("states %d by proto %v, want 5 and %v", s.States, s.StatesByProto, want)
	}
	// Expiry removes them from their class.
	e.Decide(arpFrame(), at(inWAN, int64(1e15)))
	e.Decide(arpFrame(), at(inWAN, int64(1e15)))
	e.Decide(arpFrame(), at(inWAN, int64(1e15)))
	if s := e.Snapshot(); s.StatesByProto != (StateProtoCounts{}) || s.States != 0 {
		t.Fatalf("after expiry: %d, %v", s.States, s.StatesByProto)
	}
}

// FuzzCompileMatch: the capture's match= comes from any HTTP client.
func FuzzCompileMatch(f *testing.F) {
	for _, s := range []string{"", "inet proto tcp to self port 22", "ether type { arp, lldp } on wan",
		"vlan 5 proto udp from ! 10.0.0.0/8 port 1-1024", "keep state", "to <t>", "proto tcp\nx"} {
		f.Add(s)
	}
	e := NewEngine(Options{HashSeed: 1})
	frames := [][]byte{tcp4("10.0.0.1", "192.0.2.1", 1, 22, flagSYN), ping6("2001:db8::1", "2001:db8::2", 128, 1), arpFrame()}
	f.Fuzz(func(t *testing.T, expr string) {
		m, err := e.CompileMatch(expr)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("error %T %v is not an ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.File != "match" || e.Pos.Line != 1 || e.Pos.Col < 1 || e.Pos.Col > len(expr)+1 {
					t.Fatalf("error %v outside the expression (%d bytes)", e, len(expr))
				}
			}
			return
		}
		for _, fr := range frames {
			m.Matches(fr, 0)
		}
	})
}
