// Unit tests of internal pieces whose mistakes would not change a verdict
// but would cost speed or memory: address-set merging and the prefilter
// rows; and of the per-source table's eviction order.

package filter

import (
	"math/rand"
	"net/netip"
	"testing"
)

func TestAddrSetMergesAndMatchesLinearScan(t *testing.T) {
	s := newAddrSet(mustPrefixes("10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "192.168.1.1/32", "192.168.1.2/32",
		"2001:db8::/33", "2001:db8:8000::/33", "::/0"))
	if len(s.v4) != 2 || s.v4[0] != (range4{0x0a000000, 0x0affffff}) || s.v4[1] != (range4{0xc0a80101, 0xc0a80102}) {
		t.Errorf("v4 ranges %x", s.v4)
	}
	if len(s.v6) != 1 || s.v6[0].lo != (addr{}) || s.v6[0].hi != (addr{^uint64(0), ^uint64(0)}) {
		t.Errorf("v6 ranges %x", s.v6)
	}
	r := rand.New(rand.NewSource(5))
	for round := 0; round < 200; round++ {
		var pfx []netip.Prefix
		for i := 0; i < 1+r.Intn(30); i++ {
			if r.Intn(2) == 0 {
				a := netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))})
				pfx = append(pfx, netip.PrefixFrom(a, 8+r.Intn(25)).Masked())
			} else {
				a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(r.Intn(4)), byte(r.Intn(256)), 15: byte(r.Intn(256))})
				pfx = append(pfx, netip.PrefixFrom(a, 30+r.Intn(99)).Masked())
			}
		}
		set := newAddrSet(pfx)
		for i := 0; i < 200; i++ {
			var a netip.Addr
			if r.Intn(2) == 0 {
				a = netip.AddrFrom4([4]byte{10, byte(r.Intn(4)), byte(r.Intn(256)), byte(r.Intn(256))})
			} else {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(r.Intn(4)), byte(r.Intn(256)), 15: byte(r.Intn(256))})
			}
			want := false
			for _, p := range pfx {
				want = want || p.Contains(a)
			}
			fam := uint8(6)
			if a.Is4() {
				fam = 4
			}
			if got := set.contains(fam, addrOf(a)); got != want {
				t.Fatalf("%v in %v: got %v", a, pfx, got)
			}
		}
	}
}

// rows returns which rules a prefilter row admits.
func rows(words []uint64, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if words[i>>6]&(1<<(i&63)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

func TestPrefilterRows(t *testing.T) {
	rs, err := Parse("p", []byte(`pass in on lan
pass out
pass proto tcp to any port 22
pass inet6 proto udp
pass ether type arp
pass to 10.0.0.0/8
pass from ! 192.168.0.0/16
`))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Compile(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(rs.Rules)
	eq := func(name string, got []int, want ...int) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: rules %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: rules %v, want %v", name, got, want)
				return
			}
		}
	}
	pf := &pr.pre
	eq("in on lan", rows(pf.where.row(whereKey(&pkt{port: 0, dir: In})), n), 0, 2, 3, 4, 5, 6)
	eq("out on wan", rows(pf.where.row(whereKey(&pkt{port: 1, dir: Out})), n), 1, 2, 3, 4, 5, 6)
	eq("ipv4 tcp", rows(pf.proto.row(protoKey(&pkt{family: 4, proto: protoTCP})), n), 0, 1, 2, 5, 6)
	eq("ipv6 udp", rows(pf.proto.row(protoKey(&pkt{family: 6, proto: protoUDP})), n), 0, 1, 3, 5, 6)
	eq("not IP", rows(pf.proto.row(protoKey(&pkt{})), n), 0, 1, 4)
	eq("dport 22", rows(pf.dport.row(true, 22), n), 0, 1, 2, 3, 4, 5, 6)
	eq("dport 23", rows(pf.dport.row(true, 23), n), 0, 1, 3, 4, 5, 6)
	eq("no ports", rows(pf.dport.row(false, 0), n), 0, 1, 3, 4, 5, 6)
	eq("dst 10.1.1.1", rows(pf.dst4.row(true, 0x0a010101), n), 0, 1, 2, 3, 4, 5, 6)
	eq("dst 11.0.0.0", rows(pf.dst4.row(true, 0x0b000000), n), 0, 1, 2, 3, 4, 6)
	eq("src 192.168.3.3", rows(pf.src4.row(true, 0xc0a80303), n), 0, 1, 2, 3, 4, 5)
	eq("src 192.169.0.0", rows(pf.src4.row(true, 0xc0a90000), n), 0, 1, 2, 3, 4, 5, 6)
	eq("no IPv4 dst", rows(pf.dst4.row(false, 0), n), 0, 1, 2, 3, 4, 5, 6)
}

func TestSourceTableEvictsStalest(t *testing.T) {
	st := newSourceTable(srcWays) // one set
	srcs := []addr{{lo: 1}, {lo: 2}, {lo: 3}, {lo: 4}}
	for i, a := range srcs {
		b := st.bucket(0, 4, a, int64(10+i))
		if !b.allow(int64(10+i), 1e12, 1) {
			t.Fatalf("source %d: fresh bucket refused", i)
		}
	}
	// Source 1 is seen again (refused: its burst of 1 is spent), so
	// source 2 is now the stalest and a fifth source takes its slot.
	if st.bucket(0, 4, srcs[0], 20).allow(20, 1e12, 1) {
		t.Fatal("spent bucket allowed")
	}
	st.bucket(0, 4, addr{lo: 5}, 21)
	if st.bucket(0, 4, srcs[0], 22).allow(22, 1e12, 1) {
		t.Error("source 1 lost its bucket although it was not the stalest")
	}
	if !st.bucket(0, 4, srcs[1], 23).allow(23, 1e12, 1) {
		t.Error("source 2 kept its bucket although it was evicted")
	}
}
