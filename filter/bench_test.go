// Benchmarks: the compiled matcher against the naive linear one, side by
// side, for 10 and 1000 rules (BenchmarkDecide/compiled/10 ...); the
// stateful fast path; and address-set lookup, compiled vs linear.

package filter

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
)

// benchRules returns n rules of five common shapes and, for some of them,
// a frame each rule matches; a quarter of the frames match no rule.
func benchRules(n int) (string, [][]byte, []Meta) {
	var b strings.Builder
	b.WriteString("table <scanners> {")
	for i := 0; i < 64; i++ {
		fmt.Fprintf(&b, " 198.51.%d.0/24,", i)
	}
	b.WriteString(" 2001:db8:bad::/48 }\n")
	type hit struct {
		f []byte
		m Meta
	}
	var hits []hit
	for i := 0; i < n; i++ {
		hi, lo := i/256%256, i%256
		var f []byte
		var m Meta
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "pass in on lan proto tcp from 10.%d.%d.0/24 to any port %d\n", hi, lo, 1000+i)
			f, m = tcp4(fmt.Sprintf("10.%d.%d.9", hi, lo), server, 40000, uint16(1000+i), flagSYN), inLAN
		case 1:
			fmt.Fprintf(&b, "drop in on wan proto udp to 192.168.%d.%d port %d\n", hi, lo, 2000+i%5000)
			f, m = udp4(server, fmt.Sprintf("192.168.%d.%d", hi, lo), 53, uint16(2000+i%5000)), inWAN
		case 2:
			fmt.Fprintf(&b, "pass in proto tcp to 172.16.%d.%d port { 80, 443, 8000-8100 }\n", hi, lo)
			f, m = tcp4(client, fmt.Sprintf("172.16.%d.%d", hi, lo), 40000, 443, flagSYN), inLAN
		case 3:
			fmt.Fprintf(&b, "reject in on wan proto tcp from <scanners> to any port %d\n", 3000+i)
			f, m = tcp4(fmt.Sprintf("198.51.%d.1", i%64), client, 40000, uint16(3000+i), flagSYN), inWAN
		case 4:
			fmt.Fprintf(&b, "pass inet6 proto udp from 2001:db8:%x::/48 to any port 53\n", i)
			f, m = udp6(fmt.Sprintf("2001:db8:%x::1", i), "2001:db8:ffff::1", 5353, 53), inLAN
		}
		hits = append(hits, hit{f, m})
	}
	r := rand.New(rand.NewSource(7))
	var frames [][]byte
	var metas []Meta
	for k := 0; k < 64; k++ {
		if k%4 == 3 {
			frames = append(frames, tcp4("8.8.8.8", client, 40000, 9, flagSYN))
			metas = append(metas, inWAN)
			continue
		}
		h := hits[r.Intn(len(hits))]
		frames, metas = append(frames, h.f), append(metas, h.m)
	}
	return b.String(), frames, metas
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 1000} {
		src, frames, metas := benchRules(n)
		rs, err := Parse("bench", []byte(src))
		if err != nil {
			b.Fatal(err)
		}
		nv := newNaive(rs, Options{})
		e := newEngine(b, src, Options{RejectRate: 1e6})
		matched := 0
		for i, f := range frames {
			v := e.Decide(f, metas[i])
			if want := nv.decide(f, metas[i]); v.Action != want {
				b.Fatalf("frame %d: compiled %v, naive %v", i, v.Action, want)
			}
			if v.Rule >= 0 {
				matched++
			}
		}
		if matched < len(frames)/2 {
			b.Fatalf("only %d of %d frames match a rule", matched, len(frames))
		}
		b.Run(fmt.Sprintf("compiled/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				k := i & 63
				e.Decide(frames[k], metas[k])
			}
		})
		b.Run(fmt.Sprintf("naive/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				k := i & 63
				nv.decide(frames[k], metas[k])
			}
		})
	}
}

// BenchmarkDecideStateful: the replies of an established TCP flow, found
// in a table of 10000 states.
func BenchmarkDecideStateful(b *testing.B) {
	e := newEngine(b, "pass in on lan proto udp keep state\npass in on lan proto tcp keep state\n", Options{StateLimit: 16384})
	f := udp4("10.0.0.0", server, 1024, 53)
	for i := 0; i < 10000; i++ {
		e.Decide(udpFlow(f, uint32(i)), at(inLAN, 1))
	}
	c := &tcpConv{t: nil, e: e, cseq: 1, sseq: 5000, cwscale: -1, swscale: -1, now: 2}
	c.send(true, flagSYN, 0)
	c.send(false, flagSYN|flagACK, 0)
	c.send(true, flagACK, 0)
	reply := seg4(server, client, tcpSeg{sport: 443, dport: 40000, flags: flagACK, seq: c.sseq, ack: c.cseq, wscale: -1, win: 8192})
	if v := e.Decide(reply, at(inWAN, 3)); !v.State {
		b.Fatalf("reply not matched by state: %v", v.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Decide(reply, at(inWAN, 4))
	}
}

// BenchmarkTableLookup: one address against a table of n prefixes, as the
// compiled sorted ranges and as a linear scan of netip.Prefix.
func BenchmarkTableLookup(b *testing.B) {
	for _, n := range []int{100, 10000} {
		r := rand.New(rand.NewSource(3))
		var pfx []netip.Prefix
		for i := 0; i < n; i++ {
			a := netip.AddrFrom4([4]byte{byte(r.Intn(224)), byte(r.Intn(256)), byte(r.Intn(256)), 0})
			pfx = append(pfx, netip.PrefixFrom(a, 16+r.Intn(9)).Masked())
		}
		set := newAddrSet(pfx)
		probes := make([]netip.Addr, 256)
		for i := range probes {
			probes[i] = netip.AddrFrom4([4]byte{byte(r.Intn(224)), byte(r.Intn(256)), byte(r.Intn(256)), 1})
		}
		for _, a := range probes {
			lin := false
			for _, p := range pfx {
				lin = lin || p.Contains(a)
			}
			if set.contains(4, addrOf(a)) != lin {
				b.Fatalf("set and linear scan disagree on %v", a)
			}
		}
		b.Run(fmt.Sprintf("compiled/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				set.contains(4, addrOf(probes[i&255]))
			}
		})
		b.Run(fmt.Sprintf("naive/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				a := probes[i&255]
				for _, p := range pfx {
					if p.Contains(a) {
						break
					}
				}
			}
		})
	}
}
