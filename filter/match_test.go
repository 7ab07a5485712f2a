// Table-driven tests, one group per rule feature, through Engine.Decide.

package filter

import (
	"bytes"
	"encoding/hex"
	"testing"
)

type matchCase struct {
	name   string
	frame  []byte
	meta   Meta
	action Action
	rule   int32 // -1: default policy
}

func runMatch(t *testing.T, rules string, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, rules, Options{})
			v := e.Decide(tc.frame, tc.meta)
			if v.Action != tc.action || v.Rule != tc.rule {
				t.Errorf("got %v by rule %d (reason %v), want %v by rule %d", v.Action, v.Rule, v.Reason, tc.action, tc.rule)
			}
		})
	}
}

func TestMatchPortAndDirection(t *testing.T) {
	rules := "pass in on lan\nreject out on wan\ndrop in on 1\n"
	runMatch(t, rules, []matchCase{
		{"in lan", arpFrame(), inLAN, Pass, 0},
		{"out wan", tcp4("10.0.0.1", "10.0.0.2", 1, 2, flagSYN), outWAN, Reject, 1},
		{"in wan by number", arpFrame(), inWAN, Drop, 2},
		{"out lan unmatched", arpFrame(), Meta{Port: 0, Dir: Out}, Drop, -1},
		{"port 7 unmatched", arpFrame(), Meta{Port: 7, Dir: In}, Drop, -1},
	})
}

func TestMatchEtherTypeAndMAC(t *testing.T) {
	rules := "pass ether type arp\npass ether src { 02:00:00:00:00:09, 02:00:00:00:00:0a } ether type 0x88cc\ndrop ether dst 02:00:00:00:00:0b\n"
	lldp := ether(0x88cc, make([]byte, 40))
	other := append([]byte{}, lldp...)
	other[11] = 0x0c // src MAC ...0c
	runMatch(t, rules, []matchCase{
		{"arp", arpFrame(), inLAN, Pass, 0},
		{"lldp from A", lldp, inLAN, Pass, 1},
		{"lldp from C falls to dst rule", other, inLAN, Drop, 2},
		{"802.3 length frame", ether(0x0040, make([]byte, 64)), inLAN, Drop, 2},
	})
}

func TestMatchVLAN(t *testing.T) {
	rules := "pass vlan 100 proto udp\npass vlan 200.300\npass vlan none proto tcp\ndrop vlan 5\n"
	u := udp4("10.0.0.1", "10.0.0.2", 1, 53)
	tc := tcp4("10.0.0.1", "10.0.0.2", 1, 22, flagSYN)
	runMatch(t, rules, []matchCase{
		{"802.1Q 100", tag(u, 0x8100, 100), inLAN, Pass, 0},
		{"QinQ outer 100 matches vlan 100", tag(tag(u, 0x8100, 7), 0x88a8, 100), inLAN, Pass, 0},
		{"QinQ 200.300", tag(tag(tc, 0x8100, 300), 0x88a8, 200), inLAN, Pass, 1},
		{"QinQ 200.301", tag(tag(tc, 0x8100, 301), 0x88a8, 200), inLAN, Drop, -1},
		{"untagged tcp", tc, inLAN, Pass, 2},
		{"tagged tcp does not bypass", tag(tc, 0x8100, 5), inLAN, Drop, 3},
		{"priority bits ignored", tag(tc, 0x8100, 0xe005), inLAN, Drop, 3},
		{"three tags malformed", tag(tag(tag(u, 0x8100, 1), 0x8100, 2), 0x88a8, 100), inLAN, Drop, -1},
	})
}

func TestMatchAddresses(t *testing.T) {
	rules := `table <nets> { 10.0.0.0/8, 192.168.1.1, 2001:db8::/32 }
set self { 192.0.2.1 }
pass from <nets> to 172.16.0.0/12
pass inet6 from <nets>
pass to self
pass from ! { 10.0.0.0/8, 198.51.100.0/24 } to 203.0.113.9
drop from any to any
`
	runMatch(t, rules, []matchCase{
		{"table to cidr", udp4("10.9.9.9", "172.20.0.1", 1, 2), inLAN, Pass, 0},
		{"table host", udp4("192.168.1.1", "172.16.0.1", 1, 2), inLAN, Pass, 0},
		{"table host neighbour", udp4("192.168.1.2", "172.16.0.1", 1, 2), inLAN, Drop, 4},
		{"table v6", udp6("2001:db8:1::1", "2001:db9::1", 1, 2), inLAN, Pass, 1},
		{"v6 outside table", udp6("2001:db9::1", "2001:db8::1", 1, 2), inLAN, Drop, 4},
		{"self", ping4("8.8.8.8", "192.0.2.1", 8, 1), inLAN, Pass, 2},
		{"negated list", udp4("8.8.8.8", "203.0.113.9", 1, 2), inLAN, Pass, 3},
		{"negated list excludes", udp4("198.51.100.7", "203.0.113.9", 1, 2), inLAN, Drop, 4},
		{"non-IP does not match any-to-any", arpFrame(), inLAN, Drop, -1},
	})
}

func TestMatchProtoPortsICMPFlags(t *testing.T) {
	rules := `pass proto tcp to any port { 22, 8000-8080 } flags S/SA
pass proto udp from any port 53 to any port ! 1-1023
pass proto icmp icmp-type echo-request
pass icmp6-type echo-request
pass proto icmp icmp-type unreach code 4
pass proto 47
`
	runMatch(t, rules, []matchCase{
		{"syn to 22", tcp4("1.1.1.1", "2.2.2.2", 5000, 22, flagSYN), inLAN, Pass, 0},
		{"syn to range", tcp4("1.1.1.1", "2.2.2.2", 5000, 8080, flagSYN), inLAN, Pass, 0},
		{"syn out of range", tcp4("1.1.1.1", "2.2.2.2", 5000, 8081, flagSYN), inLAN, Drop, -1},
		{"syn-ack fails S/SA", tcp4("1.1.1.1", "2.2.2.2", 5000, 22, flagSYN|flagACK), inLAN, Drop, -1},
		{"v6 syn", tcp6("2001:db8::1", "2001:db8::2", 5000, 22, flagSYN|flagECE|flagCWR), inLAN, Pass, 0},
		{"dns reply to high port", udp4("1.1.1.1", "2.2.2.2", 53, 40000), inLAN, Pass, 1},
		{"dns to low port", udp4("1.1.1.1", "2.2.2.2", 53, 123), inLAN, Drop, -1},
		{"echo request", ping4("1.1.1.1", "2.2.2.2", 8, 1), inLAN, Pass, 2},
		{"echo reply", ping4("1.1.1.1", "2.2.2.2", 0, 1), inLAN, Drop, -1},
		{"icmp6 echo", ping6("2001:db8::1", "2001:db8::2", 128, 1), inLAN, Pass, 3},
		{"icmp type 8 in v6 is not echo", ping6("2001:db8::1", "2001:db8::2", 8, 1), inLAN, Drop, -1},
		{"frag needed code", ether(etIPv4, ipv4("1.1.1.1", "2.2.2.2", protoICMP, icmpMsg(3, 4, 0), ip4opt{})), inLAN, Pass, 4},
		{"gre", ether(etIPv4, ipv4("1.1.1.1", "2.2.2.2", 47, make([]byte, 4), ip4opt{})), inLAN, Pass, 5},
	})
}

func TestMatchFirstMatchWinsAndDefault(t *testing.T) {
	runMatch(t, "drop proto udp\npass proto udp\n", []matchCase{
		{"first wins", udp4("1.1.1.1", "2.2.2.2", 1, 2), inLAN, Drop, 0},
	})
	runMatch(t, "set default pass\ndrop proto udp\n", []matchCase{
		{"default pass", tcp4("1.1.1.1", "2.2.2.2", 1, 2, flagSYN), inLAN, Pass, -1},
	})
	runMatch(t, "set default reject\n", []matchCase{
		{"default reject", tcp4("1.1.1.1", "2.2.2.2", 1, 2, flagSYN), inLAN, Reject, -1},
	})
}

func TestMatchIPv4OptionsAndIPv6Extensions(t *testing.T) {
	rules := "pass proto tcp to any port 22\n"
	opts := []byte{7, 7, 4, 0, 0, 0, 0, 1} // record route + end: 8 bytes
	hop := ext{typ: 0, body: make([]byte, 6)}
	dst := ext{typ: 60, body: make([]byte, 14)}
	seg := tcpSeg{sport: 1, dport: 22, flags: flagSYN, wscale: -1}.bytes()
	runMatch(t, rules, []matchCase{
		{"ipv4 options", ether(etIPv4, ipv4("1.1.1.1", "2.2.2.2", protoTCP, seg, ip4opt{options: opts})), inLAN, Pass, 0},
		{"ipv6 hop-by-hop + dstopts", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, seg, hop, dst)), inLAN, Pass, 0},
		{"ipv6 hop-by-hop not first", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, seg, dst, hop)), inLAN, Drop, -1},
		{"ipv6 AH then dstopts", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, seg, ext{typ: 51, body: make([]byte, 22)}, dst)), inLAN, Pass, 0},
		{"ipv6 atomic fragment", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, seg, fragExt(0, false, 9))), inLAN, Pass, 0},
	})
}

func TestMalformedFrames(t *testing.T) {
	good := tcp4("1.1.1.1", "2.2.2.2", 1, 22, flagSYN)
	v6 := tcp6("2001:db8::1", "2001:db8::2", 1, 22, flagSYN)
	many := make([]ext, 9)
	for i := range many {
		many[i] = ext{typ: 60, body: make([]byte, 6)}
	}
	cases := []struct {
		name  string
		frame []byte
	}{
		{"runt", good[:13]},
		{"tag cut", tag(good, 0x8100, 1)[:16]},
		{"ipv4 header cut", good[:14+19]},
		{"ihl below 5", mut(good, func(b []byte) { b[14] = 0x44 })},
		{"ihl beyond packet", mut(good, func(b []byte) { b[14] = 0x4f })},
		{"total length beyond frame", mut(good, func(b []byte) { b[16] = 0xff })},
		{"total length below ihl", mut(good, func(b []byte) { b[16], b[17] = 0, 10 })},
		{"wrong version", mut(good, func(b []byte) { b[14] = 0x65 })},
		{"ipv4 reserved flag", mut(good, func(b []byte) { b[14+6] |= 0x80 })},
		{"tcp data offset below 5", mut(good, func(b []byte) { b[14+20+12] = 0x40 })},
		{"tcp data offset beyond segment", mut(good, func(b []byte) { b[14+20+12] = 0xf0 })},
		{"tcp header cut", good[:14+20+10]},
		{"ipv6 payload length beyond frame", mut(v6, func(b []byte) { b[18] = 0xff })},
		{"ipv6 zero payload length", mut(v6, func(b []byte) { b[18], b[19] = 0, 0 })},
		{"ipv6 too many extension headers", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, make([]byte, 20), many...))},
		{"ipv6 extension length beyond packet", mut(ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, udpSeg(1, 2, 0), ext{typ: 60, body: make([]byte, 6)})), func(b []byte) { b[14+41] = 9 })},
		{"udp length beyond packet", mut(udp4("1.1.1.1", "2.2.2.2", 1, 2), func(b []byte) { b[14+20+4] = 0xff })},
		{"tcp fragment at offset 8", ether(etIPv4, ipv4("1.1.1.1", "2.2.2.2", protoTCP, make([]byte, 16), ip4opt{fragOff: 8}))},
		{"tiny first fragment", ether(etIPv4, ipv4("1.1.1.1", "2.2.2.2", protoTCP, make([]byte, 8), ip4opt{more: true}))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, "set default pass\n", Options{})
			v := e.Decide(tc.frame, inLAN)
			if v.Action != Drop || v.Reason != ReasonMalformed {
				t.Errorf("got %v (%v), want drop (malformed)", v.Action, v.Reason)
			}
			if s := e.Snapshot(); s.Reasons[ReasonMalformed] != 1 {
				t.Errorf("malformed counter %d", s.Reasons[ReasonMalformed])
			}
		})
	}
	// Ethernet padding after a short IPv4 packet is not an error.
	e := newEngine(t, "set default pass\n", Options{})
	if v := e.Decide(append(append([]byte{}, good...), make([]byte, 10)...), inLAN); v.Action != Pass {
		t.Errorf("padded frame: %v %v", v.Action, v.Reason)
	}
}

func TestSourceRoutingDropped(t *testing.T) {
	seg := udpSeg(1, 53, 4)
	lsrr := []byte{131, 7, 4, 1, 2, 3, 4, 0} // loose source route via 1.2.3.4
	rr := []byte{7, 7, 4, 0, 0, 0, 0, 0}     // record route: harmless
	rh0 := ext{typ: 43, body: []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	rh0done := ext{typ: 43, body: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}
	badLen := []byte{131, 9, 4, 1, 2, 3, 4, 0}
	cases := []struct {
		name   string
		frame  []byte
		action Action
		reason Reason
	}{
		{"ipv4 lsrr", ether(etIPv4, ipv4(client, server, protoUDP, seg, ip4opt{options: lsrr})), Drop, ReasonSourceRoute},
		{"ipv4 record route", ether(etIPv4, ipv4(client, server, protoUDP, seg, ip4opt{options: rr})), Pass, ReasonNone},
		{"ipv4 option beyond header", ether(etIPv4, ipv4(client, server, protoUDP, seg, ip4opt{options: badLen})), Drop, ReasonMalformed},
		{"ipv6 type 0 routing header", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, seg, rh0)), Drop, ReasonSourceRoute},
		{"ipv6 type 0, no segments left", ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, seg, rh0done)), Pass, ReasonNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, "set default pass\n", Options{})
			if v := e.Decide(tc.frame, inLAN); v.Action != tc.action || v.Reason != tc.reason {
				t.Errorf("got %v (%v), want %v (%v)", v.Action, v.Reason, tc.action, tc.reason)
			}
		})
	}
}

func TestOptionsPortNamesAndSelf(t *testing.T) {
	e := NewEngine(Options{
		PortNames: map[string]uint8{"inside": 0, "outside": 1},
		Self:      mustPrefixes("192.0.2.1/32"),
		HashSeed:  1,
	})
	if err := e.Load("o.rules", []byte("pass in on outside to self\n")); err != nil {
		t.Fatal(err)
	}
	if v := e.Decide(ping4(server, "192.0.2.1", 8, 1), inWAN); v.Action != Pass {
		t.Error("to self on outside not passed")
	}
	if v := e.Decide(ping4(server, "192.0.2.2", 8, 1), inWAN); v.Action != Drop {
		t.Error("another address passed as self")
	}
	if err := e.Load("o.rules", []byte("pass on lan\n")); err == nil || err.Error() != `o.rules:1:9: unknown port "lan"; known ports are inside, outside, or a number 0-3` {
		t.Errorf("default names still known: %v", err)
	}
}

// ether type is the type after the tags; tagged frames are matched with
// vlan (the frame from the issue: 802.1Q VID 10, IPv4 TCP).
func TestMatchEtherTypeBehindTags(t *testing.T) {
	f, err := hex.DecodeString("02000000000a0200000000018100000a08004500002800010000400600000a0102030a0100010400000800000001000000005002ffff000000000000")
	if err != nil {
		t.Fatal(err)
	}
	runMatch(t, "pass ether type ipv6\npass ether type ipv4 vlan *\n", []matchCase{
		{"tagged ipv4 by inner type and vlan *", f, inLAN, Pass, 1},
		{"untagged ipv4 not vlan *", tcp4(client, server, 1, 2, flagSYN), inLAN, Drop, -1},
	})
	if msg := loadError("t.rules", []byte("set default drop\npass ether type vlan\n")); msg == "" {
		t.Error("ether type vlan loads, but can never match")
	}
}

// A tag with VID 0 carries only a priority (802.1Q null VLAN ID): the
// frame counts as untagged for vlan and for states, and as carrying the
// other tag if there is one. It still counts towards the two-tag limit.
func TestMatchPriorityTagged(t *testing.T) {
	u := udp4(client, server, 1, 53)
	runMatch(t, "pass vlan none proto udp\npass vlan 20\n", []matchCase{
		{"priority tag is untagged", tag(u, 0x8100, 0xa000), inLAN, Pass, 0},
		{"untagged", u, inLAN, Pass, 0},
		{"VID 10", tag(u, 0x8100, 10), inLAN, Drop, -1},
		{"outer VID 0, inner 20", tag(tag(u, 0x8100, 20), 0x88a8, 0), inLAN, Pass, 1},
		{"outer 20, inner VID 0", tag(tag(u, 0x8100, 0x2000), 0x88a8, 20), inLAN, Pass, 1},
		{"third tag header malformed", tag(tag(tag(u, 0x8100, 0), 0x8100, 0), 0x88a8, 20), inLAN, Drop, -1},
	})
	// One flow: the reply comes back priority-tagged and meets the state.
	e := newEngine(t, "pass out proto udp keep state\n", Options{})
	if v := e.Decide(u, Meta{Dir: Out, Now: 1}); v.Action != Pass {
		t.Fatalf("first packet %v", v)
	}
	if v := e.Decide(tag(udp4(server, client, 53, 1), 0x8100, 0x6000), Meta{Dir: In, Now: 2}); v.Action != Pass || !v.State {
		t.Errorf("priority-tagged reply %v, want passed by the state", v)
	}
}

// AH is walked the same way in IPv4 and IPv6 (RFC 4302 2.2): rules see
// the protocol behind it, within the same bounds.
func TestMatchAH(t *testing.T) {
	seg := tcpSeg{sport: 1, dport: 22, flags: flagSYN, wscale: -1}.bytes()
	v4 := func(l4 ...[]byte) []byte {
		return ether(etIPv4, ipv4(client, server, protoAH, bytes.Join(l4, nil), ip4opt{}))
	}
	v6 := func(l4 []byte, exts ...ext) []byte {
		return ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoTCP, l4, exts...))
	}
	ah6 := func(n int) ext { return ext{typ: protoAH, body: make([]byte, n-2)} }
	runMatch(t, "pass proto tcp to any port 22\n", []matchCase{
		{"ipv4 AH then tcp", v4(ahHeader(protoTCP, 24), seg), inLAN, Pass, 0},
		{"ipv4 AH of 20 bytes", v4(ahHeader(protoTCP, 20), seg), inLAN, Pass, 0},
		{"ipv4 two AH", v4(ahHeader(protoAH, 12), ahHeader(protoTCP, 16), seg), inLAN, Pass, 0},
		{"ipv6 AH then tcp", v6(seg, ah6(24)), inLAN, Pass, 0},
		{"ipv6 two AH", v6(seg, ah6(16), ah6(24)), inLAN, Pass, 0},
	})
	nine4 := [][]byte{}
	for i := 0; i < 9; i++ {
		nine4 = append(nine4, ahHeader(protoAH, 12))
	}
	nine4[8][0] = protoTCP
	nine6 := make([]ext, 9)
	for i := range nine6 {
		nine6[i] = ah6(16)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"ipv4 AH shorter than its fixed fields", v4(ahHeader(protoTCP, 8), seg)},
		{"ipv6 AH shorter than its fixed fields", v6(seg, ah6(8))},
		{"ipv4 AH beyond the packet", mut(v4(ahHeader(protoTCP, 24), seg), func(b []byte) { b[14+21] = 200 })},
		{"ipv6 AH beyond the packet", mut(v6(seg, ah6(24)), func(b []byte) { b[14+41] = 200 })},
		{"ipv6 AH not a multiple of 8 octets", v6(seg, ah6(20))},
		{"ipv4 nine AH", v4(append(nine4, seg)...)},
		{"ipv6 nine AH", v6(seg, nine6...)},
		{"ipv4 AH then a cut tcp header", v4(ahHeader(protoTCP, 24), seg[:16])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, "set default pass\n", Options{})
			if v := e.Decide(tc.frame, inLAN); v.Action != Drop || v.Reason != ReasonMalformed {
				t.Errorf("got %v (%v), want drop (malformed)", v.Action, v.Reason)
			}
		})
	}
}

// A negated address, list or table applies within the address families
// of its entries: ! 10.0.0.0/8 is every other IPv4 address and no IPv6
// one. A set with no entries excludes nothing, in both families.
func TestMatchNegationFamily(t *testing.T) {
	rules := `set self { 192.0.2.1, 2001:db8::1 }
table <mixed> { 10.0.0.0/8, 2001:db8:bad::/48 }
table <v6> { 2001:db8:bad::/48 }
table <empty> { }
pass proto udp to ! 10.0.0.0/8 port 1
pass proto udp to ! { 10.0.0.0/8, 192.168.0.0/16 } port 2
pass proto udp to ! <mixed> port 3
pass proto udp to ! self port 4
pass proto udp to ! <v6> port 5
pass proto udp to ! <empty> port 6
pass inet6 proto udp to ! <mixed> port 7
pass proto udp from ! { 10.0.0.0/8, 2001:db8::/32 } port 8
`
	v4 := func(dst string, port uint16) []byte { return udp4(client, dst, 9, port) }
	v6 := func(dst string, port uint16) []byte { return udp6("2001:db8::9", dst, 9, port) }
	runMatch(t, rules, []matchCase{
		{"single: other v4", v4("8.8.8.8", 1), inLAN, Pass, 0},
		{"single: excluded v4", v4("10.1.1.1", 1), inLAN, Drop, -1},
		{"single: v6 is not its family", v6("2001:db8::5", 1), inLAN, Drop, -1},
		{"list: other v4", v4("8.8.8.8", 2), inLAN, Pass, 1},
		{"list: excluded v4", v4("192.168.1.1", 2), inLAN, Drop, -1},
		{"list: v6 is not its family", v6("2001:db8::5", 2), inLAN, Drop, -1},
		{"mixed table: other v4", v4("8.8.8.8", 3), inLAN, Pass, 2},
		{"mixed table: excluded v4", v4("10.2.3.4", 3), inLAN, Drop, -1},
		{"mixed table: other v6", v6("2001:db9::1", 3), inLAN, Pass, 2},
		{"mixed table: excluded v6", v6("2001:db8:bad::1", 3), inLAN, Drop, -1},
		{"self: other v4", v4("192.0.2.2", 4), inLAN, Pass, 3},
		{"self: v4 self", v4("192.0.2.1", 4), inLAN, Drop, -1},
		{"self: other v6", v6("2001:db8::2", 4), inLAN, Pass, 3},
		{"self: v6 self", v6("2001:db8::1", 4), inLAN, Drop, -1},
		{"v6 table: v4 is not its family", v4("8.8.8.8", 5), inLAN, Drop, -1},
		{"v6 table: other v6", v6("2001:db8::5", 5), inLAN, Pass, 4},
		{"empty table: v4", v4("8.8.8.8", 6), inLAN, Pass, 5},
		{"empty table: v6", v6("2001:db8::5", 6), inLAN, Pass, 5},
		{"inet6 with mixed table: other v6", v6("2001:db9::1", 7), inLAN, Pass, 6},
		{"inet6 with mixed table: v4", v4("8.8.8.8", 7), inLAN, Drop, -1},
		{"from list of both: other v4", udp4("8.8.8.8", server, 8, 8), inLAN, Pass, 7},
		{"from list of both: excluded v6", udp6("2001:db8::9", "2001:db8::5", 8, 8), inLAN, Drop, -1},
		{"from list of both: other v6", udp6("2001:db9::9", "2001:db8::5", 8, 8), inLAN, Pass, 7},
	})
	// self with IPv4 addresses only: ! self says nothing about IPv6.
	runMatch(t, "set self { 192.0.2.1 }\npass proto udp to ! self\n", []matchCase{
		{"v4-only self: other v4", v4("192.0.2.2", 1), inLAN, Pass, 0},
		{"v4-only self: v6", v6("2001:db8::2", 1), inLAN, Drop, -1},
	})
}

// Rules that a family rule makes partial still load, and the ones that
// stay possible are not refused.
func TestNegationFamilyLoads(t *testing.T) {
	for _, src := range []string{
		"pass to ! { 10.0.0.0/8, 2001:db8::/32 }",
		"table <m> { 10.0.0.0/8, 2001:db8::/32 }\npass inet from ! <m>",
		"table <e> { }\npass from ! <e>",
		"table <e> { }\npass from <e> to 2001:db8::1", // an empty table is a placeholder
		"pass inet6 to ! self",                        // self depends on Options.Self
		"pass ether type { arp, ipv4 } from 10.0.0.1",
		"pass from ! { 0.0.0.0/0, 2001:db8::/32 }",
		"pass proto { icmp, icmp6 } to 2001:db8::1",
		"pass from 10.0.0.0/8 to { 192.0.2.1, 2001:db8::1 }",
	} {
		if msg := loadError("ok.rules", []byte(src+"\n")); msg != "" {
			t.Errorf("%q: %s", src, msg)
		}
	}
}
