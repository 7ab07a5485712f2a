// The compiled matcher (prefilter + per-rule check) must pick the same rule
// as the naive interpreter, on random rule sets and random frames.

package filter

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

var (
	rAddrs = []string{"10.0.0.0/8", "10.1.2.3", "192.168.0.0/16", "192.168.7.0/24", "2001:db8::/32", "2001:db8::1", "any", "self", "<t1>", "<t2>",
		"<t3>", "<t0>", "0.0.0.0/1", "{ 10.0.0.0/8, 2001:db8:1::/48 }", "{ 192.168.7.0/24, <t2> }", "{ 0.0.0.0/0, 2001:db8::/32 }", "{ self, 10.1.2.3 }"}
	rPorts = []string{"22", "53", "80", "0x50", "443", "1000-2000", "{ 22, 80-90 }", "! 53"}
)

// Tables of both families (t1), one (t2 IPv4, t3 IPv6) and none (t0).
const randTables = "set self { 192.168.7.1, 2001:db8::7 }\ntable <t1> { 10.1.0.0/16, 192.168.7.7, 2001:db8:1::/48 }\n" +
	"table <t2> { 172.16.0.0/12 }\ntable <t3> { 2001:db8::/33 }\ntable <t0> { }\n"

func pick(r *rand.Rand, s []string) string { return s[r.Intn(len(s))] }

// randRule writes a random rule line; some come out invalid and are skipped
// by the caller.
func randRule(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(pick(r, []string{"pass", "drop", "reject", "pass"}))
	maybe := func(p float64, s string) {
		if r.Float64() < p {
			b.WriteString(" " + s)
		}
	}
	maybe(0.3, pick(r, []string{"in", "out"}))
	maybe(0.3, "on "+pick(r, []string{"lan", "wan", "2"}))
	maybe(0.15, "vlan "+pick(r, []string{"none", "10", "10.20", "{ 10, 30 }", "*.20", "*", "{ none, 20 }"}))
	maybe(0.1, "ether src "+pick(r, []string{"02:00:00:00:00:0a", "{ 02:00:00:00:00:0c, 02:00:00:00:00:0b }"}))
	maybe(0.1, "ether type "+pick(r, []string{"arp", "ipv4", "ipv6", "{ arp, ipv4 }"}))
	maybe(0.2, pick(r, []string{"inet", "inet6"}))
	proto := ""
	if r.Float64() < 0.7 {
		proto = pick(r, []string{"tcp", "udp", "icmp", "icmp6", "{ tcp, udp }", "47"})
		b.WriteString(" proto " + proto)
	}
	ports := proto == "tcp" || proto == "udp" || proto == "{ tcp, udp }"
	if r.Float64() < 0.5 {
		b.WriteString(" from " + maybeNot(r) + pick(r, rAddrs))
		if ports && r.Float64() < 0.3 {
			b.WriteString(" port " + pick(r, rPorts))
		}
	}
	if r.Float64() < 0.5 {
		b.WriteString(" to " + maybeNot(r) + pick(r, rAddrs))
		if ports && r.Float64() < 0.6 {
			b.WriteString(" port " + pick(r, rPorts))
		}
	}
	if proto == "icmp" {
		maybe(0.5, "icmp-type "+pick(r, []string{"echo-request", "unreach code 3", "0"}))
	}
	if proto == "icmp6" {
		maybe(0.5, "icmp6-type "+pick(r, []string{"echo-request", "neighbor-solicit"}))
	}
	if proto == "tcp" {
		maybe(0.3, "flags "+pick(r, []string{"S/SA", "A/A", "any", "R"}))
	}
	maybe(0.3, "keep state")
	return b.String()
}

func maybeNot(r *rand.Rand) string {
	if r.Intn(3) == 0 {
		return "! "
	}
	return ""
}

func randRuleset(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString(randTables)
	for i := 0; i < n; {
		line := randRule(r)
		if _, err := Parse("x", []byte(randTables+line)); err != nil {
			continue
		}
		b.WriteString(line + "\n")
		i++
	}
	return b.String()
}

var (
	fAddrs4 = []string{"10.1.2.3", "10.9.9.9", "192.168.7.1", "192.168.7.7", "172.16.5.5", "8.8.8.8", "10.1.200.1"}
	fAddrs6 = []string{"2001:db8::1", "2001:db8::7", "2001:db8:1::5", "2001:db9::1", "fe80::1"}
	fPorts  = []uint16{22, 53, 80, 85, 443, 1500, 3000}
)

// randFrame builds a random frame from values the rules mention; some IP
// ones carry AH (either family), some tags are priority-only (VID 0).
func randFrame(r *rand.Rand) []byte {
	v6 := r.Intn(2) == 0
	src, dst := pick(r, fAddrs4), pick(r, fAddrs4)
	if v6 {
		src, dst = pick(r, fAddrs6), pick(r, fAddrs6)
	}
	sp, dp := fPorts[r.Intn(len(fPorts))], fPorts[r.Intn(len(fPorts))]
	flags := []uint8{flagSYN, flagSYN | flagACK, flagACK, flagRST, flagACK | flagPSH}[r.Intn(5)]
	var proto uint8
	var l4 []byte
	switch r.Intn(5) {
	case 0:
		proto, l4 = protoTCP, tcpSeg{sport: sp, dport: dp, flags: flags, wscale: -1}.bytes()
	case 1:
		proto, l4 = protoUDP, udpSeg(sp, dp, 4)
	case 2:
		if v6 {
			proto, l4 = protoICMP6, icmpMsg([]uint8{128, 129, 135}[r.Intn(3)], 0, 1)
		} else {
			proto, l4 = protoICMP, icmpMsg([]uint8{8, 0, 3}[r.Intn(3)], uint8(r.Intn(4)), 1)
		}
	case 3:
		v6, src, dst, proto, l4 = false, src4(v6, src), "10.1.2.3", 47, make([]byte, 8)
	}
	var f []byte
	ah := r.Intn(4) == 0
	switch {
	case l4 == nil:
		f = arpFrame()
	case v6 && ah:
		f = ether(etIPv6, ipv6(src, dst, proto, l4, ext{typ: protoAH, body: make([]byte, 8*(2+r.Intn(2))-2)}))
	case v6:
		f = ether(etIPv6, ipv6(src, dst, proto, l4))
	case ah:
		f = ether(etIPv4, ipv4(src, dst, protoAH, append(ahHeader(proto, 12+4*r.Intn(3)), l4...), ip4opt{}))
	default:
		f = ether(etIPv4, ipv4(src, dst, proto, l4, ip4opt{}))
	}
	if r.Intn(3) == 0 {
		f = tag(f, 0x8100, []uint16{0, 10, 20, 30}[r.Intn(4)])
		if r.Intn(2) == 0 {
			f = tag(f, 0x88a8, []uint16{0, 10, 30}[r.Intn(3)])
		}
	}
	if r.Intn(4) == 0 {
		f[11] = 0x0c // another source MAC
	}
	return f
}

func src4(v6 bool, s string) string {
	if v6 {
		return "10.9.9.9"
	}
	return s
}

func TestCompiledMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	sets, frames := 300, 300
	if testing.Short() {
		sets = 60
	}
	for s := 0; s < sets; s++ {
		src := randRuleset(r, 1+r.Intn(80))
		rs, err := Parse("rand", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		prog, err := Compile(rs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		nv := newNaive(rs, Options{})
		for i := 0; i < frames; i++ {
			f := randFrame(r)
			var p pkt
			p.port, p.dir = uint8(r.Intn(3)), Dir(1+r.Intn(2))
			if !decode(f, &p) {
				t.Fatalf("test frame does not decode: %x", f)
			}
			got, want := prog.match(&p), nv.match(&p)
			if got != want {
				line := func(i int) string {
					if i < 0 {
						return "(none)"
					}
					return rs.Rules[i].Text
				}
				t.Fatalf("compiled picked %d %q, naive %d %q\nframe %x\nrules:\n%s", got, line(got), want, line(want), f, src)
			}
		}
	}
}

func ExampleParse() {
	rs, err := Parse("example.rules", []byte("set default drop\npass in on lan proto tcp to any port ssh keep state\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(rs.Rules), rs.Rules[0].Action, rs.Rules[0].DstPort.Ranges[0].Lo)
	_, err = Parse("bad.rules", []byte("pass in proto tcp to any port 99999\n"))
	fmt.Println(err)
	// Output:
	// 1 pass 22
	// bad.rules:1:31: port 99999 out of range (0-65535)
}

// TestLargeRulesetFallback: with thousands of distinct port ranges the
// port dimension would exceed maxDimWords and is replaced by all-ones; the
// result must still equal the naive matcher's.
func TestLargeRulesetFallback(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "pass in proto tcp from 10.%d.%d.0/24 to any port %d-%d\n", i/256, i%256, 2*i, 2*i+1)
	}
	rs, err := Parse("big", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.pre.dport.starts) != 1 {
		t.Fatalf("port dimension has %d intervals; expected the all-ones fallback", len(prog.pre.dport.starts))
	}
	if len(prog.pre.dst4.starts) != 1 || prog.pre.dst4.bits[0] != ^uint64(0) {
		// No rule constrains the destination: one interval with every rule.
		t.Fatalf("dst dimension: %d intervals", len(prog.pre.dst4.starts))
	}
	nv := newNaive(rs, Options{})
	for i := 0; i < 3000; i += 7 {
		for _, port := range []uint16{uint16(2 * i), uint16(2*i + 1), uint16(2*i + 2)} {
			f := tcp4(fmt.Sprintf("10.%d.%d.1", i/256, i%256), server, 1, port, flagSYN)
			var p pkt
			p.dir = In
			decode(f, &p)
			if got, want := prog.match(&p), nv.match(&p); got != want {
				t.Fatalf("rule %d port %d: compiled %d, naive %d", i, port, got, want)
			}
		}
	}
}
