// A naive linear matcher that interprets the parsed Ruleset directly:
// every rule in turn, every prefix and port range by linear scan, with
// net/netip. It is the benchmark baseline and the oracle the compiled
// matcher is checked against (TestCompiledMatchesNaive, FuzzDecide).

package filter

import (
	"encoding/binary"
	"net/netip"
)

type naiveMatcher struct {
	rs       *Ruleset
	ports    map[string]uint8
	from, to [][][]netip.Prefix // per rule: the spec's own prefixes, its tables', self
}

func newNaive(rs *Ruleset, opts Options) *naiveMatcher {
	opts = opts.withDefaults()
	n := &naiveMatcher{rs: rs, ports: opts.PortNames}
	self := append(append([]netip.Prefix(nil), rs.Self...), opts.Self...)
	lists := func(as *AddrSpec) [][]netip.Prefix {
		if as == nil {
			return nil
		}
		l := [][]netip.Prefix{as.Prefixes}
		for _, t := range as.Tables {
			l = append(l, rs.Tables[t].Prefixes)
		}
		if as.Self {
			l = append(l, self)
		}
		return l
	}
	for _, r := range rs.Rules {
		n.from, n.to = append(n.from, lists(r.From)), append(n.to, lists(r.To))
	}
	return n
}

func (p *pkt) netipSrc() netip.Addr { return toNetip(p.family, p.src) }
func (p *pkt) netipDst() netip.Addr { return toNetip(p.family, p.dst) }

func toNetip(family uint8, a addr) netip.Addr {
	if family == 4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(a.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

func (n *naiveMatcher) match(p *pkt) int {
	// Convert the addresses once per packet, so the comparison measures
	// the linear rule walk, not repeated conversions.
	var src, dst netip.Addr
	if p.family != 0 {
		src, dst = p.netipSrc(), p.netipDst()
	}
	for i, r := range n.rs.Rules {
		if n.rule(i, r, p, src, dst) {
			return i
		}
	}
	return -1
}

// decide is the naive counterpart of a stateless Engine.Decide.
func (n *naiveMatcher) decide(frame []byte, m Meta) Action {
	var p pkt
	p.port, p.dir = m.Port, In
	if m.Dir == Out {
		p.dir = Out
	}
	if !decode(frame, &p) {
		return Drop
	}
	if i := n.match(&p); i >= 0 {
		return n.rs.Rules[i].Action
	}
	return n.rs.Default
}

// addrIn scans the spec's prefixes (its own, its tables', self) in turn,
// stopping at the first hit. A negated spec matches only addresses of a
// family it has entries of (any family if it has none).
func addrIn(as *AddrSpec, lists [][]netip.Prefix, a netip.Addr) bool {
	fam, none := false, true
	for _, l := range lists {
		for _, pf := range l {
			if pf.Contains(a) {
				return !as.Not
			}
			if as.Not {
				fam, none = fam || pf.Addr().Is4() == a.Is4(), false
			}
		}
	}
	return as.Not && (fam || none)
}

func portIn(ps *PortSpec, v uint16) bool {
	in := false
	for _, r := range ps.Ranges {
		in = in || r.Lo <= v && v <= r.Hi
	}
	return in != ps.Not
}

func (n *naiveMatcher) rule(i int, r *Rule, p *pkt, src, dst netip.Addr) bool {
	if r.Dir != DirAny && r.Dir != p.dir {
		return false
	}
	if r.On != "" && n.ports[r.On] != p.port {
		return false
	}
	if len(r.VLANs) > 0 {
		ok := false
		for _, v := range r.VLANs {
			switch {
			case v.Untagged:
				ok = ok || p.ntags == 0
			default:
				ok = ok || p.ntags > 0 && (v.Outer < 0 || int(p.vlan[0]) == v.Outer) &&
					(v.Inner < 0 || p.ntags == 2 && int(p.vlan[1]) == v.Inner)
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.EthType) > 0 {
		ok := false
		for _, et := range r.EthType {
			ok = ok || et == p.etype
		}
		if !ok {
			return false
		}
	}
	inMACs := func(list [][6]byte, m [6]byte) bool {
		for _, x := range list {
			if x == m {
				return true
			}
		}
		return false
	}
	if r.MACSrc != nil && !inMACs(r.MACSrc, p.srcMAC) || r.MACDst != nil && !inMACs(r.MACDst, p.dstMAC) {
		return false
	}
	ipRule := r.Family != 0 || len(r.Protos) > 0 || r.From != nil || r.To != nil ||
		r.SrcPort != nil || r.DstPort != nil || r.ICMPType >= 0
	if !ipRule {
		return true
	}
	if p.family == 0 || r.Family != 0 && r.Family != p.family {
		return false
	}
	if len(r.Protos) > 0 {
		ok := false
		for _, pr := range r.Protos {
			ok = ok || pr == p.proto
		}
		if !ok {
			return false
		}
	}
	if r.From != nil && !r.From.Any && !addrIn(r.From, n.from[i], src) {
		return false
	}
	if r.To != nil && !r.To.Any && !addrIn(r.To, n.to[i], dst) {
		return false
	}
	if r.SrcPort != nil && (!p.hasPorts || !portIn(r.SrcPort, p.sport)) {
		return false
	}
	if r.DstPort != nil && (!p.hasPorts || !portIn(r.DstPort, p.dport)) {
		return false
	}
	if r.ICMPType >= 0 && (!p.hasICMP || int(p.icmpType) != r.ICMPType || r.ICMPCode >= 0 && int(p.icmpCode) != r.ICMPCode) {
		return false
	}
	flags, mask, on := r.Flags, r.FlagsMask, r.FlagsSet && r.FlagsMask != 0
	tcpToo := len(r.Protos) == 0
	for _, pr := range r.Protos {
		tcpToo = tcpToo || pr == protoTCP
	}
	if !r.FlagsSet && r.KeepState && tcpToo {
		flags, mask, on = flagSYN, flagSYN|flagACK, true
	}
	if on && p.proto == protoTCP && p.hasPorts && p.tcpFlags&mask != flags {
		return false
	}
	return true
}
