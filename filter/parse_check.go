// Parser, part three: checks across a whole rule or file, so a rule that
// can never match is an error at load time, not a silent surprise.

package filter

import (
	"fmt"
	"net/netip"
	"sort"
)

// checkRule rejects combinations that can never match or make no sense, so
// an admin learns about them at load time rather than from a silent rule.
func (p *parser) checkRule(r *Rule) *Error {
	at := r.at
	only := func(allowed ...uint8) bool {
		if len(r.Protos) == 0 {
			return false
		}
		for _, v := range r.Protos {
			ok := false
			for _, a := range allowed {
				ok = ok || v == a
			}
			if !ok {
				return false
			}
		}
		return true
	}
	if r.SrcPort != nil || r.DstPort != nil {
		pos := at("from")
		if r.DstPort != nil {
			pos = r.DstPort.Pos
		}
		if r.SrcPort != nil {
			pos = r.SrcPort.Pos
		}
		if !only(protoTCP, protoUDP, 132) {
			return errorf(pos, "port needs proto tcp, udp or sctp (e.g. proto tcp to any port 22)")
		}
	}
	if r.ICMPType >= 0 {
		want, name := uint8(protoICMP), "icmp-type needs proto icmp (use icmp6-type for ICMPv6)"
		if r.ICMPv6 {
			want, name = protoICMP6, "icmp6-type needs proto icmp6"
		}
		if !only(want) {
			return errorf(r.ICMPPos, "%s", name)
		}
	}
	if r.FlagsSet && r.FlagsMask != 0 && !only(protoTCP) {
		return errorf(at("flags"), "flags needs proto tcp")
	}
	for _, v := range r.Protos {
		if v == protoICMP && r.Family == 6 {
			return errorf(at("proto"), "proto icmp is IPv4 only; use icmp6 in an inet6 rule")
		}
		if v == protoICMP6 && r.Family == 4 {
			return errorf(at("proto"), "proto icmp6 is IPv6 only; use icmp in an inet rule")
		}
	}
	if len(r.EthType) > 0 {
		hasIP := false
		for _, et := range r.EthType {
			hasIP = hasIP || et == 0x0800 || et == 0x86dd
			if (et == 0x0800 && r.Family == 6) || (et == 0x86dd && r.Family == 4) {
				return errorf(at("ether type"), "ether type %s contradicts the address family of this rule", etName(et))
			}
		}
		if !hasIP && (r.Family != 0 || len(r.Protos) > 0 || r.From != nil || r.To != nil) {
			return errorf(at("ether type"), "this rule matches IP fields, so its ether type must include ipv4 or ipv6")
		}
	}
	for _, as := range []*AddrSpec{r.From, r.To} {
		if as == nil || r.Family == 0 {
			continue
		}
		for _, pfx := range as.Prefixes {
			if (r.Family == 4) != pfx.Addr().Is4() {
				fam := "inet"
				if r.Family == 6 {
					fam = "inet6"
				}
				return errorf(as.Pos, "address %s does not belong to this %s rule", showPrefix(pfx), fam)
			}
		}
	}
	if r.Action != Pass {
		if r.KeepState {
			return errorf(at("keep"), "keep state only makes sense on a pass rule")
		}
		if r.Limit != nil {
			return errorf(r.Limit.Pos, "limit only makes sense on a pass rule (reject replies are rate-limited already)")
		}
	}
	if r.Mgmt && !r.KeepState {
		return errorf(at("mgmt"), "mgmt marks the states a rule creates, so it needs keep state")
	}
	return nil
}

// at is where the rule's clause key starts (the rule, if it has none).
func (r *Rule) at(key string) Pos {
	if pos, ok := r.clauses[key]; ok {
		return pos
	}
	if key == "proto" && !r.ICMPPos.IsZero() {
		return r.ICMPPos
	}
	return r.Pos
}

func etName(et uint16) string {
	for n, v := range etherTypeNames {
		if v == et {
			return n
		}
	}
	return fmt.Sprintf("0x%04x", et)
}

// checkTables reports references to tables that were never defined.
func (p *parser) checkTables() {
	for _, r := range p.rs.Rules {
		for _, as := range []*AddrSpec{r.From, r.To} {
			if as == nil {
				continue
			}
			for i, name := range as.Tables {
				if _, ok := p.rs.Tables[name]; !ok && len(p.errs) < maxErrors {
					p.errs = append(p.errs, errorf(as.TablePos[i], "undefined table <%s>", name))
				}
			}
		}
	}
}

// famSet is a set of address families.
type famSet uint8

const (
	fam4    famSet = 1
	fam6    famSet = 2
	famBoth        = fam4 | fam6
)

func (f famSet) String() string {
	switch f {
	case fam4:
		return "IPv4"
	case fam6:
		return "IPv6"
	}
	return "IPv4 and IPv6"
}

// famClause is one clause of a rule and the address families it can match.
type famClause struct {
	pos  Pos
	what string
	fams famSet
}

// checkFamilies refuses rules whose clauses have no address family in
// common (pf: "rule expands to no valid combination"), such as from an
// IPv6 address to an IPv4 one. It runs once the tables are known. self
// fixes no family here: Options.Self may add addresses of either.
func (p *parser) checkFamilies() {
	for _, r := range p.rs.Rules {
		if len(p.errs) >= maxErrors {
			return
		}
		if err := p.ruleFamilies(r); err != nil {
			p.errs = append(p.errs, err)
		}
	}
}

func (p *parser) ruleFamilies(r *Rule) *Error {
	var cs []famClause
	add := func(pos Pos, what string, f famSet) {
		if f != famBoth {
			cs = append(cs, famClause{pos, what, f})
		}
	}
	switch r.Family {
	case 4:
		add(r.at("address family"), "inet", fam4)
	case 6:
		add(r.at("address family"), "inet6", fam6)
	}
	var et famSet
	for _, v := range r.EthType {
		et |= etherFam(v)
	}
	if et != 0 { // else not an IP rule, or refused by checkRule
		add(r.at("ether type"), "ether type "+map[famSet]string{fam4: "ipv4", fam6: "ipv6"}[et], et)
	}
	if _, explicit := r.clauses["proto"]; explicit {
		var pf famSet
		for _, v := range r.Protos {
			pf |= protoFam(v)
		}
		add(r.at("proto"), "proto "+map[famSet]string{fam4: "icmp", fam6: "icmp6"}[pf], pf)
	}
	if r.ICMPType >= 0 {
		if r.ICMPv6 {
			add(r.ICMPPos, "icmp6-type", fam6)
		} else {
			add(r.ICMPPos, "icmp-type", fam4)
		}
	}
	for i, as := range []*AddrSpec{r.From, r.To} {
		what := []string{"from ", "to "}[i]
		f, own, ok := p.specFamilies(as)
		if ok && f == 0 {
			return errorf(as.Pos, "%s%s excludes every %s address, so this rule can never match", what, as, own)
		}
		if ok {
			add(as.Pos, what+as.String(), f)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].pos, cs[j].pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	have := famBoth
	for i, c := range cs {
		if have&c.fams != 0 {
			have &= c.fams
			continue
		}
		for _, k := range cs[:i] {
			if k.fams&c.fams == 0 {
				return errorf(c.pos, "%s matches only %s but %s only %s, so this rule can never match", c.what, c.fams, k.what, k.fams)
			}
		}
	}
	return nil
}

func etherFam(et uint16) famSet {
	switch et {
	case etIPv4:
		return fam4
	case etIPv6:
		return fam6
	}
	return 0
}

func protoFam(v uint8) famSet {
	switch v {
	case protoICMP:
		return fam4
	case protoICMP6:
		return fam6
	}
	return famBoth
}

// specFamilies returns the families an address spec can match (as the
// compiler builds it, negation included) and those of its entries; ok is
// false if the spec fixes no family: any, self, or a placeholder (an
// empty table), which matches nothing as it reads.
func (p *parser) specFamilies(as *AddrSpec) (f, own famSet, ok bool) {
	if as == nil || as.Any || as.Self {
		return 0, 0, false
	}
	pfx := append([]netip.Prefix(nil), as.Prefixes...)
	for _, t := range as.Tables {
		pfx = append(pfx, p.rs.Tables[t].Prefixes...)
	}
	s := newAddrSet(pfx)
	own = s.families()
	if as.Not {
		s = s.complementWithin()
	} else if own == 0 {
		return 0, 0, false
	}
	return s.families(), own, true
}
