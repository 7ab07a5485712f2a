// Parser, part two: the values inside a rule (lists, VLANs, EtherTypes,
// MACs, protocols, addresses, ports, ICMP types, TCP flags, rates).

package filter

import (
	"errors"
	"strconv"
	"strings"
)

// list calls item for one value or for each value of a { , } list.
func (p *parser) list(what string, item func(t token) *Error) *Error {
	if !p.isPunct("{") {
		t, err := p.word(what)
		if err != nil {
			return err
		}
		return item(t)
	}
	open := p.next()
	n := 0
	for {
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == "}":
			p.next()
			if n == 0 {
				return errorf(open.pos, "empty list; expected %s", what)
			}
			return nil
		case t.kind == tPunct && t.text == ",":
			p.next()
		case t.kind == tEOF || t.kind == tNewline:
			return errorf(open.pos, "unterminated {")
		case t.kind == tWord:
			if _, kw := statementWords[t.text]; kw && t.pos.Line != open.pos.Line {
				return errorf(open.pos, "unterminated {: \"}\" missing before line %d", t.pos.Line)
			}
			p.next()
			if err := item(t); err != nil {
				return err
			}
			n++
		default:
			return errorf(t.pos, "expected %s in list, found %s", what, t)
		}
	}
}

// parseNum reads a decimal number, or a hex one after 0x. Rule files are
// read as decimal by people, so a leading 0 (octal to strconv) and Go-only
// forms (1_000, 0b, 0o) are refused rather than given a surprising value.
func parseNum(t token, max uint64, what string) (uint64, *Error) {
	s, base := t.text, 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base = s[2:], 16
	} else if len(s) > 1 && s[0] == '0' {
		if d := strings.TrimLeft(s, "0"); d != "" && strings.Trim(d, "0123456789") == "" {
			return 0, errorf(t.pos, "bad %s %q: numbers are decimal without a leading 0 (write %s), or hex after 0x", what, t.text, d)
		}
		return 0, errorf(t.pos, "bad %s %q: numbers are decimal, or hex after 0x", what, t.text)
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil && errors.Is(err, strconv.ErrRange) {
		return 0, errorf(t.pos, "%s %s out of range (0-%d)", what, t.text, max)
	}
	if err != nil {
		return 0, errorf(t.pos, "bad %s %q: not a number (numbers are decimal, or hex after 0x)", what, t.text)
	}
	if v > max {
		return 0, errorf(t.pos, "%s %s out of range (0-%d)", what, t.text, max)
	}
	return v, nil
}

func (p *parser) vlans(r *Rule) *Error {
	return p.list("a VLAN id (1-4094), outer.inner, or none", func(t token) *Error {
		if t.text == "none" {
			r.VLANs = append(r.VLANs, VLANSpec{Untagged: true, Outer: -1, Inner: -1})
			return nil
		}
		outer, inner, two := strings.Cut(t.text, ".")
		v := VLANSpec{Outer: -1, Inner: -1}
		for i, s := range []string{outer, inner} {
			if i == 1 && !two {
				break
			}
			if s == "*" {
				continue
			}
			n, err := parseNum(token{text: s, pos: t.pos}, 0xffff, "VLAN id")
			if err != nil {
				return err
			}
			if n == 0 {
				return errorf(t.pos, "VLAN id 0 marks priority-tagged frames, which count as untagged; write vlan none")
			}
			if n > 4094 {
				return errorf(t.pos, "VLAN id %s out of range (1-4094)", s)
			}
			if i == 0 {
				v.Outer = int(n)
			} else {
				v.Inner = int(n)
			}
		}
		r.VLANs = append(r.VLANs, v)
		return nil
	})
}

func (p *parser) ether(r *Rule, once func(token, string) *Error) *Error {
	sub, err := p.word("type, src or dst after ether")
	if err != nil {
		return err
	}
	switch sub.text {
	case "type":
		if err := once(sub, "ether type"); err != nil {
			return err
		}
		return p.list("an EtherType (ipv4, ipv6, arp, or a number like 0x88cc)", func(t token) *Error {
			v, named := etherTypeNames[t.text]
			if !named {
				n, err := parseNum(t, 0xffff, "EtherType")
				if err != nil {
					return err
				}
				if n < 0x600 {
					return errorf(t.pos, "EtherType %s is below 0x0600, so it is a length, not a type", t.text)
				}
				v = uint16(n)
			}
			if isVLANTag(v) {
				// The decoder strips tags, so the rule could never match.
				return errorf(t.pos, "ether type %s is a VLAN tag, and ether type is the type after the tags; match tags with vlan (vlan 10, or vlan * for any tagged frame)", t.text)
			}
			r.EthType = append(r.EthType, v)
			return nil
		})
	case "src", "dst":
		if err := once(sub, "ether "+sub.text); err != nil {
			return err
		}
		dst := &r.MACSrc
		if sub.text == "dst" {
			dst = &r.MACDst
		}
		return p.list("a MAC address like 02:00:00:00:00:01", func(t token) *Error {
			var m [6]byte
			if !parseMAC(t.text, &m) {
				return errorf(t.pos, "bad MAC address %q; expected six hex bytes like 02:00:00:00:00:01", t.text)
			}
			*dst = append(*dst, m)
			return nil
		})
	}
	return errorf(sub.pos, "unknown ether match %q; expected type, src or dst", sub.text)
}

func parseMAC(s string, m *[6]byte) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return false
	}
	for i, h := range parts {
		if len(h) != 2 {
			return false
		}
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil {
			return false
		}
		m[i] = byte(v)
	}
	return true
}

func (p *parser) protos(r *Rule) *Error {
	add := func(t token, v uint8) *Error {
		if v == protoAH {
			// The decoder walks AH, so p.proto is never 51.
			return errorf(t.pos, "proto %s never matches: AH headers are skipped and rules see the protocol behind them (proto tcp matches TCP in AH)", t.text)
		}
		r.Protos = append(r.Protos, v)
		return nil
	}
	return p.list("a protocol (tcp, udp, icmp, icmp6, or a number)", func(t token) *Error {
		if v, ok := protoNames[t.text]; ok {
			return add(t, v)
		}
		if t.text == "" || t.text[0] < '0' || t.text[0] > '9' {
			return errorf(t.pos, "unknown protocol %q; expected tcp, udp, icmp, icmp6, or a number 0-255", t.text)
		}
		v, err := parseNum(t, 255, "protocol")
		if err != nil {
			return err
		}
		return add(t, uint8(v))
	})
}

// endpoint reads the address after from/to and an optional port.
func (p *parser) endpoint() (*AddrSpec, *PortSpec, *Error) {
	as, err := p.addrSpec()
	if err != nil {
		return nil, nil, err
	}
	if !p.isWord("port") {
		return as, nil, nil
	}
	kw := p.next()
	ps := &PortSpec{Pos: kw.pos}
	if p.isPunct("!") {
		p.next()
		ps.Not = true
	}
	err = p.list("a port, a service name or a range like 1024-65535", func(t token) *Error {
		pr, err := parsePortRange(t)
		if err != nil {
			return err
		}
		ps.Ranges = append(ps.Ranges, pr)
		return nil
	})
	return as, ps, err
}

func parsePort(t token, s string) (uint16, *Error) {
	if v, ok := serviceNames[s]; ok {
		return v, nil
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errorf(t.pos, "unknown service %q; use a port number", s)
	}
	v, err := parseNum(token{text: s, pos: t.pos}, 65535, "port")
	return uint16(v), err
}

func parsePortRange(t token) (PortRange, *Error) {
	lo, hi, isRange := strings.Cut(t.text, "-")
	if _, named := serviceNames[t.text]; named {
		isRange = false
		lo = t.text
	}
	a, err := parsePort(t, lo)
	if err != nil {
		return PortRange{}, err
	}
	if !isRange {
		return PortRange{a, a}, nil
	}
	b, err := parsePort(t, hi)
	if err != nil {
		return PortRange{}, err
	}
	if b < a {
		return PortRange{}, errorf(t.pos, "port range %s is reversed; write %d-%d", t.text, b, a)
	}
	return PortRange{a, b}, nil
}

func (p *parser) addrSpec() (*AddrSpec, *Error) {
	as := &AddrSpec{Pos: p.peek().pos}
	if p.isPunct("!") {
		p.next()
		as.Not = true
	}
	item := func(t token) *Error {
		switch t.text {
		case "any":
			as.Any = true
			return nil
		case "self":
			as.Self = true
			return nil
		}
		pfx, err := parsePrefix(t)
		if err != nil {
			return err
		}
		as.Prefixes = append(as.Prefixes, pfx)
		return nil
	}
	table := func() *Error {
		lt := p.next() // <
		name, err := p.word("a table name after <")
		if err != nil {
			return err
		}
		if err := p.punct(">", "after the table name"); err != nil {
			return err
		}
		as.Tables = append(as.Tables, name.text)
		as.TablePos = append(as.TablePos, lt.pos)
		return nil
	}
	switch {
	case p.isPunct("<"):
		if err := table(); err != nil {
			return nil, err
		}
	case p.isPunct("{"):
		open := p.next()
		n := 0
		for {
			t := p.peek()
			if t.kind == tPunct && t.text == "}" {
				p.next()
				break
			}
			switch {
			case t.kind == tPunct && t.text == ",":
				p.next()
				continue
			case t.kind == tPunct && t.text == "<":
				if err := table(); err != nil {
					return nil, err
				}
			case t.kind == tWord:
				if _, kw := statementWords[t.text]; kw && t.pos.Line != open.pos.Line {
					return nil, errorf(open.pos, "unterminated {: \"}\" missing before line %d", t.pos.Line)
				}
				p.next()
				if err := item(t); err != nil {
					return nil, err
				}
			case t.kind == tEOF || t.kind == tNewline:
				return nil, errorf(open.pos, "unterminated {")
			default:
				return nil, errorf(t.pos, "expected an address, prefix or <table> in list, found %s", t)
			}
			n++
		}
		if n == 0 {
			return nil, errorf(open.pos, "empty address list")
		}
	default:
		t, err := p.word("an address, prefix, <table>, any or self")
		if err != nil {
			return nil, err
		}
		if err := item(t); err != nil {
			return nil, err
		}
	}
	if as.Any && (len(as.Prefixes) > 0 || as.Self || len(as.Tables) > 0) {
		return nil, errorf(as.Pos, "any already covers every address; remove the other entries")
	}
	if as.Any && as.Not {
		return nil, errorf(as.Pos, "! any matches nothing")
	}
	return as, nil
}

func (p *parser) icmpType(r *Rule, kw token) *Error {
	r.ICMPPos = kw.pos
	names := icmpTypeNames
	if kw.text == "icmp6-type" {
		names = icmp6TypeNames
	}
	t, err := p.word("an ICMP type name or number")
	if err != nil {
		return err
	}
	if v, ok := names[t.text]; ok {
		r.ICMPType = int(v)
	} else {
		if t.text[0] < '0' || t.text[0] > '9' {
			return errorf(t.pos, "unknown %s %q", kw.text, t.text)
		}
		v, err := parseNum(t, 255, "ICMP type")
		if err != nil {
			return err
		}
		r.ICMPType = int(v)
	}
	if p.isWord("code") {
		p.next()
		t, err := p.word("an ICMP code number")
		if err != nil {
			return err
		}
		v, err := parseNum(t, 255, "ICMP code")
		if err != nil {
			return err
		}
		r.ICMPCode = int(v)
	}
	r.ICMPv6 = kw.text == "icmp6-type"
	if r.ICMPv6 {
		r.Protos = impliedProto(r.Protos, protoICMP6)
	} else {
		r.Protos = impliedProto(r.Protos, protoICMP)
	}
	return nil
}

// impliedProto gives a rule without proto the one its ICMP type implies.
func impliedProto(s []uint8, v uint8) []uint8 {
	if len(s) == 0 {
		return []uint8{v}
	}
	return s // checkRule verifies the protocol fits
}

func (p *parser) flags(r *Rule) *Error {
	t, err := p.word("TCP flags like S/SA, or any")
	if err != nil {
		return err
	}
	r.FlagsSet = true
	if t.text == "any" {
		return nil
	}
	set, mask, hasMask := strings.Cut(t.text, "/")
	conv := func(s string) (uint8, *Error) {
		var v uint8
		for _, c := range []byte(s) {
			i := strings.IndexByte(flagLetters, c)
			if i < 0 {
				return 0, errorf(t.pos, "unknown TCP flag %q in %s; flags are F S R P A U E W", string(c), t.text)
			}
			v |= 1 << i
		}
		return v, nil
	}
	if r.Flags, err = conv(set); err != nil {
		return err
	}
	r.FlagsMask = 0xff
	if hasMask {
		if r.FlagsMask, err = conv(mask); err != nil {
			return err
		}
		if r.Flags&^r.FlagsMask != 0 {
			return errorf(t.pos, "flags %s can never match: %s requires flags outside the mask %s", t.text, set, mask)
		}
	}
	return nil
}

func (p *parser) limit(pos Pos) (*Limit, *Error) {
	t, err := p.word("a rate like 10/s, 100/m or 1000/h")
	if err != nil {
		return nil, err
	}
	n, unit, ok := strings.Cut(t.text, "/")
	if !ok {
		return nil, errorf(t.pos, "bad rate %q; expected a count per unit like 10/s, 100/m or 1000/h", t.text)
	}
	per := map[string]uint32{"s": 1, "m": 60, "h": 3600}[unit]
	if per == 0 {
		return nil, errorf(t.pos, "bad rate unit %q; expected s, m or h", unit)
	}
	c, err := parseNum(token{text: n, pos: t.pos}, 1_000_000, "rate")
	if err != nil {
		return nil, err
	}
	if c == 0 {
		return nil, errorf(t.pos, "rate 0 would drop everything; use a drop rule instead")
	}
	l := &Limit{Pos: pos, Rate: uint32(c), Per: per, Burst: uint32(c)}
	for {
		switch {
		case p.isWord("burst"):
			p.next()
			t, err := p.word("a burst size")
			if err != nil {
				return nil, err
			}
			b, err := parseNum(t, 1_000_000, "burst")
			if err != nil {
				return nil, err
			}
			if b == 0 {
				return nil, errorf(t.pos, "burst must be at least 1")
			}
			l.Burst = uint32(b)
		case p.isWord("per-source"):
			p.next()
			l.PerSource = true
		default:
			return l, nil
		}
	}
}
