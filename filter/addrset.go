// Address sets: CIDR prefixes merged into sorted, disjoint ranges, looked up
// by binary search (O(log n) whatever the number of prefixes).

package filter

import (
	"net/netip"
	"sort"
)

type range4 struct{ lo, hi uint32 }
type range6 struct{ lo, hi addr }

// addrSet holds IPv4 and IPv6 ranges separately, each sorted by lo and
// disjoint (touching ranges are merged).
type addrSet struct {
	v4 []range4
	v6 []range6
}

func addrOf(a netip.Addr) addr {
	if a.Is4() {
		b := a.As4()
		return addr{lo: uint64(be32(b[:], 0))}
	}
	b := a.As16()
	return addr{hi: be64(b[:], 0), lo: be64(b[:], 8)}
}

// prefixRange6 returns the first and last address of a 128-bit prefix.
func prefixRange6(p netip.Prefix) (lo, hi addr) {
	lo = addrOf(p.Addr())
	bits := p.Bits()
	hi = lo
	switch {
	case bits == 0:
		hi = addr{^uint64(0), ^uint64(0)}
	case bits <= 64:
		hi.hi |= ^uint64(0) >> bits
		hi.lo = ^uint64(0)
	case bits < 128:
		hi.lo |= ^uint64(0) >> (bits - 64)
	}
	return lo, hi
}

func newAddrSet(pfxs []netip.Prefix) *addrSet {
	s := &addrSet{}
	for _, p := range pfxs {
		p = p.Masked()
		if p.Addr().Is4() {
			lo := uint32(addrOf(p.Addr()).lo)
			hi := lo
			if p.Bits() < 32 {
				hi |= ^uint32(0) >> p.Bits()
			}
			s.v4 = append(s.v4, range4{lo, hi})
		} else {
			lo, hi := prefixRange6(p)
			s.v6 = append(s.v6, range6{lo, hi})
		}
	}
	sort.Slice(s.v4, func(i, j int) bool { return s.v4[i].lo < s.v4[j].lo })
	sort.Slice(s.v6, func(i, j int) bool { return s.v6[i].lo.less(s.v6[j].lo) })
	s.v4 = merge4(s.v4)
	s.v6 = merge6(s.v6)
	return s
}

func merge4(r []range4) []range4 {
	out := r[:0]
	for _, x := range r {
		if n := len(out); n > 0 && (x.lo <= out[n-1].hi || out[n-1].hi != ^uint32(0) && x.lo == out[n-1].hi+1) {
			if x.hi > out[n-1].hi {
				out[n-1].hi = x.hi
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

func next6(a addr) (addr, bool) {
	if a.lo != ^uint64(0) {
		return addr{a.hi, a.lo + 1}, true
	}
	if a.hi != ^uint64(0) {
		return addr{a.hi + 1, 0}, true
	}
	return a, false
}

func merge6(r []range6) []range6 {
	out := r[:0]
	for _, x := range r {
		if n := len(out); n > 0 {
			last := &out[n-1]
			nx, ok := next6(last.hi)
			if !last.hi.less(x.lo) || ok && nx == x.lo {
				if last.hi.less(x.hi) {
					last.hi = x.hi
				}
				continue
			}
		}
		out = append(out, x)
	}
	return out
}

// contains reports whether a (of the given family) is in the set.
func (s *addrSet) contains(family uint8, a addr) bool {
	if family == 4 {
		v := uint32(a.lo)
		r := s.v4
		lo, hi := 0, len(r)
		for lo < hi { // first range with hi >= v
			m := int(uint(lo+hi) >> 1)
			if r[m].hi < v {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo < len(r) && r[lo].lo <= v
	}
	r := s.v6
	lo, hi := 0, len(r)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r[m].hi.less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(r) && !a.less(r[lo].lo)
}

func (s *addrSet) empty() bool { return len(s.v4) == 0 && len(s.v6) == 0 }

// families returns the address families s has addresses of.
func (s *addrSet) families() famSet {
	var f famSet
	if len(s.v4) > 0 {
		f |= fam4
	}
	if len(s.v6) > 0 {
		f |= fam6
	}
	return f
}

// complementWithin is the negation of s: the addresses outside s, in each
// family s has addresses of. ! 10.0.0.0/8 is every other IPv4 address and
// no IPv6 one, as a pf rule's addresses fix its family. An empty s has no
// family and excludes nothing, so its complement is every address.
func (s *addrSet) complementWithin() *addrSet {
	all := &addrSet{v4: []range4{{0, ^uint32(0)}}, v6: []range6{{addr{}, addr{^uint64(0), ^uint64(0)}}}}
	if s.empty() {
		return all
	}
	out := &addrSet{}
	if len(s.v4) > 0 {
		out.v4 = complement4(s.v4)
	}
	if len(s.v6) > 0 {
		out.v6 = complement6(s.v6)
	}
	return out
}

// complement4 returns the gaps of sorted, disjoint, merged ranges r.
func complement4(r []range4) []range4 {
	var out []range4
	next := uint32(0) // first address not yet covered
	for _, x := range r {
		if x.lo > next {
			out = append(out, range4{next, x.lo - 1})
		}
		if x.hi == ^uint32(0) {
			return out
		}
		next = x.hi + 1
	}
	return append(out, range4{next, ^uint32(0)})
}

// complement6 is complement4 for 128-bit ranges.
func complement6(r []range6) []range6 {
	var out []range6
	next := addr{}
	for _, x := range r {
		if next.less(x.lo) {
			out = append(out, range6{next, prev6(x.lo)})
		}
		n, ok := next6(x.hi)
		if !ok {
			return out
		}
		next = n
	}
	return append(out, range6{next, addr{^uint64(0), ^uint64(0)}})
}

// prev6 returns a-1; a is not the zero address.
func prev6(a addr) addr {
	if a.lo != 0 {
		return addr{a.hi, a.lo - 1}
	}
	return addr{a.hi - 1, ^uint64(0)}
}
