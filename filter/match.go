// The per-rule check and the first-match loop. Runs on every frame: no
// allocation, no maps, no interfaces.

package filter

import "math/bits"

// match reports whether rule c matches p. It checks every field, so it is
// correct on its own; the prefilter only skips rules that cannot match.
func (c *crule) match(p *pkt) bool {
	if c.dir != DirAny && c.dir != p.dir {
		return false
	}
	if c.port >= 0 && c.port != int(p.port) {
		return false
	}
	if c.vlans != nil && !matchVLAN(c.vlans, p) {
		return false
	}
	if c.ethTypes != nil && !matchEth(c.ethTypes, p.etype) {
		return false
	}
	if c.macSrc != nil && !matchMAC(c.macSrc, &p.srcMAC) || c.macDst != nil && !matchMAC(c.macDst, &p.dstMAC) {
		return false
	}
	if !c.needIP {
		return true
	}
	if p.family == 0 || c.family != 0 && c.family != p.family {
		return false
	}
	if !c.anyProto && c.protos[p.proto>>6]&(1<<(p.proto&63)) == 0 {
		return false
	}
	if c.src != nil && !c.src.contains(p.family, p.src) || c.dst != nil && !c.dst.contains(p.family, p.dst) {
		return false
	}
	if c.sports != nil && (!p.hasPorts || inRanges(c.sports, p.sport) == c.sportNot) {
		return false
	}
	if c.dports != nil && (!p.hasPorts || inRanges(c.dports, p.dport) == c.dportNot) {
		return false
	}
	if c.icmpType >= 0 {
		if !p.hasICMP || int(p.icmpType) != c.icmpType || c.icmpCode >= 0 && int(p.icmpCode) != c.icmpCode {
			return false
		}
	}
	if c.flagsOn && p.proto == protoTCP && p.hasPorts && p.tcpFlags&c.mask != c.flags {
		return false
	}
	return true
}

func matchVLAN(specs []VLANSpec, p *pkt) bool {
	for i := range specs {
		v := &specs[i]
		if v.Untagged {
			if p.ntags == 0 {
				return true
			}
			continue
		}
		if p.ntags == 0 || v.Outer >= 0 && int(p.vlan[0]) != v.Outer {
			continue
		}
		if v.Inner >= 0 && (p.ntags < 2 || int(p.vlan[1]) != v.Inner) {
			continue
		}
		return true
	}
	return false
}

func matchMAC(macs [][6]byte, m *[6]byte) bool {
	for i := range macs {
		if macs[i] == *m {
			return true
		}
	}
	return false
}

func matchEth(types []uint16, et uint16) bool {
	for _, t := range types {
		if t == et {
			return true
		}
	}
	return false
}

// inRanges: rules list few port ranges, so a linear scan beats a search.
func inRanges(r []PortRange, v uint16) bool {
	for i := range r {
		if r[i].Lo <= v && v <= r[i].Hi {
			return true
		}
	}
	return false
}

// match returns the index of the first rule matching p, or -1.
func (pr *Program) match(p *pkt) int {
	w := pr.pre.words
	a := pr.pre.where.row(whereKey(p))[:w]
	b := pr.pre.proto.row(protoKey(p))[:w]
	c := pr.pre.dport.row(p.hasPorts, uint32(p.dport))[:w]
	d := pr.pre.dst4.row(p.family == 4, uint32(p.dst.lo))[:w]
	s := pr.pre.src4.row(p.family == 4, uint32(p.src.lo))[:w]
	for i := 0; i < w; i++ {
		m := a[i] & b[i] & c[i] & d[i] & s[i]
		for m != 0 {
			j := i<<6 | bits.TrailingZeros64(m)
			if pr.rules[j].match(p) {
				return j
			}
			m &= m - 1
		}
	}
	return -1
}
