// Parser, part three: checks across a whole rule or file, so a rule that
// can never match is an error at load time, not a silent surprise.

package filter

import "fmt"

// checkRule rejects combinations that can never match or make no sense, so
// an admin learns about them at load time rather than from a silent rule.
func (p *parser) checkRule(r *Rule, seen map[string]Pos) *Error {
	at := func(key string) Pos {
		if pos, ok := seen[key]; ok {
			return pos
		}
		if key == "proto" && !r.ICMPPos.IsZero() {
			return r.ICMPPos
		}
		return r.Pos
	}
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
				shown := pfx.String()
				if pfx.IsSingleIP() {
					shown = pfx.Addr().String()
				}
				return errorf(as.Pos, "address %s does not belong to this %s rule", shown, fam)
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
