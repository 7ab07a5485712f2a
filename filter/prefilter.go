// The prefilter: per header field, a precomputed bitmap of the rules that
// can match each value of that field. ANDing the five rows of a frame
// leaves the candidate rules, checked in order by crule.match. Cost per
// frame is three binary searches plus rules/64 word ANDs, instead of a full
// check of every rule (the naive linear matcher in the benchmarks).

package filter

import "sort"

const (
	maxPorts     = 4 // ports 0..3 have their own rows; higher share one
	protoKeyNone = 512
	// maxDimWords caps one interval dimension's bitmap (8 MiB/8 = 1 MiB);
	// a larger one is replaced by all-ones (correct, only slower).
	maxDimWords = 1 << 17
)

type prefilter struct {
	words int
	where bitDim // port x direction
	proto bitDim // IPv4 proto, IPv6 proto, not IP
	dport intervalDim
	src4  intervalDim
	dst4  intervalDim
}

type bitDim struct {
	words int
	bits  []uint64
}

func (d *bitDim) row(k int) []uint64 { return d.bits[k*d.words : (k+1)*d.words] }

func (d *bitDim) set(k, rule int) { d.bits[k*d.words+rule>>6] |= 1 << (rule & 63) }

func whereKey(p *pkt) int {
	port := int(p.port)
	if port > maxPorts {
		port = maxPorts
	}
	k := port * 2
	if p.dir == Out {
		k++
	}
	return k
}

func protoKey(p *pkt) int {
	switch p.family {
	case 4:
		return int(p.proto)
	case 6:
		return 256 + int(p.proto)
	}
	return protoKeyNone
}

// intervalDim splits a 32-bit field into intervals at every rule's range
// ends; row len(starts) is for frames that lack the field.
type intervalDim struct {
	words  int
	starts []uint32 // starts[0] == 0, increasing
	bits   []uint64
}

func (d *intervalDim) row(has bool, v uint32) []uint64 {
	k := len(d.starts)
	if has {
		s := d.starts
		lo, hi := 0, len(s)
		for lo < hi { // first start > v
			m := int(uint(lo+hi) >> 1)
			if s[m] <= v {
				lo = m + 1
			} else {
				hi = m
			}
		}
		k = lo - 1
	}
	return d.bits[k*d.words : (k+1)*d.words]
}

// dimRule is one rule's constraint on an interval dimension.
type dimRule struct {
	wild   bool     // no constraint: every row, the "lacks field" row too
	ranges []range4 // else these values (complemented if not)
	not    bool
}

func buildIntervals(words int, rules []dimRule) intervalDim {
	var ends []uint32
	for _, r := range rules {
		if r.wild {
			continue
		}
		for _, x := range r.ranges {
			ends = append(ends, x.lo)
			if x.hi != ^uint32(0) {
				ends = append(ends, x.hi+1)
			}
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	starts := []uint32{0}
	for _, e := range ends {
		if e != starts[len(starts)-1] {
			starts = append(starts, e)
		}
	}
	d := intervalDim{words: words, starts: starts}
	if (len(starts)+1)*words > maxDimWords {
		d.starts = []uint32{0}
		d.bits = make([]uint64, 2*words)
		for i := range d.bits {
			d.bits[i] = ^uint64(0)
		}
		return d
	}
	d.bits = make([]uint64, (len(starts)+1)*words)
	set := func(k, rule int) { d.bits[k*words+rule>>6] |= 1 << (rule & 63) }
	index := func(v uint32) int { return sort.Search(len(starts), func(i int) bool { return starts[i] > v }) - 1 }
	covered := make([]bool, len(starts))
	for i, r := range rules {
		if r.wild {
			for k := 0; k <= len(starts); k++ {
				set(k, i)
			}
			continue
		}
		clear(covered)
		for _, x := range r.ranges {
			for k := index(x.lo); k <= index(x.hi); k++ {
				covered[k] = true
			}
		}
		for k, c := range covered {
			if c != r.not {
				set(k, i)
			}
		}
	}
	return d
}

func buildPrefilter(rules []crule) prefilter {
	words := (len(rules) + 63) / 64
	if words == 0 {
		words = 1
	}
	pf := prefilter{
		words: words,
		where: bitDim{words: words, bits: make([]uint64, (maxPorts+1)*2*words)},
		proto: bitDim{words: words, bits: make([]uint64, (protoKeyNone+1)*words)},
	}
	var dports, srcs, dsts []dimRule
	for i := range rules {
		c := &rules[i]
		cport := c.port
		if cport > maxPorts {
			cport = maxPorts
		}
		for port := 0; port <= maxPorts; port++ {
			for _, dir := range []Dir{In, Out} {
				if (cport < 0 || cport == port) && (c.dir == DirAny || c.dir == dir) {
					pf.where.set(port*2+boolInt(dir == Out), i)
				}
			}
		}
		for k := 0; k <= protoKeyNone; k++ {
			if protoKeyAllowed(c, k) {
				pf.proto.set(k, i)
			}
		}
		dr := dimRule{wild: true}
		if c.dports != nil {
			dr = dimRule{not: c.dportNot}
			for _, pr := range c.dports {
				dr.ranges = append(dr.ranges, range4{uint32(pr.Lo), uint32(pr.Hi)})
			}
		}
		dports = append(dports, dr)
		srcs = append(srcs, addrDim(c.src, c.family))
		dsts = append(dsts, addrDim(c.dst, c.family))
	}
	pf.dport = buildIntervals(words, dports)
	pf.src4 = buildIntervals(words, srcs)
	pf.dst4 = buildIntervals(words, dsts)
	// The address dimensions' "no IPv4 address" rows must keep every rule:
	// IPv6 and non-IP frames are not judged by them.
	for _, d := range []*intervalDim{&pf.src4, &pf.dst4} {
		last := len(d.starts) * words
		for i := range rules {
			d.bits[last+i>>6] |= 1 << (i & 63)
		}
	}
	return pf
}

// addrDim is a rule's constraint on an IPv4 address dimension. Sets with
// many ranges are left to the rule's own check (binary search) rather than
// splitting the dimension into thousands of intervals.
func addrDim(s *addrSet, family uint8) dimRule {
	if s == nil || len(s.v4) > 256 || family == 6 {
		return dimRule{wild: true}
	}
	return dimRule{ranges: s.v4}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func protoKeyAllowed(c *crule, k int) bool {
	fam, proto, et := uint8(4), uint8(k), uint16(etIPv4)
	switch {
	case k >= protoKeyNone:
		if c.needIP {
			return false
		}
		if c.ethTypes == nil {
			return true
		}
		for _, t := range c.ethTypes {
			if t != etIPv4 && t != etIPv6 {
				return true
			}
		}
		return false
	case k >= 256:
		fam, proto, et = 6, uint8(k-256), etIPv6
	}
	if c.ethTypes != nil && !matchEth(c.ethTypes, et) {
		return false
	}
	if c.family != 0 && c.family != fam {
		return false
	}
	return c.anyProto || c.protos[proto>>6]&(1<<(proto&63)) != 0
}
