// Parser of the rule language: tokens to a Ruleset, with every error
// positioned. Syntax summary in doc.go; semantics that need Options (port
// names) are checked by Compile.

package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Parse reads a rules file. name is used in error positions. On error it
// returns an ErrorList with every problem found (up to 10).
func Parse(name string, src []byte) (*Ruleset, error) {
	p := &parser{toks: lex(name, src), file: name, lines: strings.Split(string(src), "\n")}
	rs := &Ruleset{Name: name, Default: Drop, Tables: map[string]*Table{}}
	p.rs = rs
	for p.peek().kind != tEOF && len(p.errs) < maxErrors {
		if p.peek().kind == tNewline {
			p.next()
			continue
		}
		if err := p.statement(); err != nil {
			p.errs = append(p.errs, err)
			p.skipLine()
		}
	}
	if len(p.errs) == 0 {
		p.checkTables()
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return rs, nil
}

type parser struct {
	toks  []token
	i     int
	file  string
	lines []string
	rs    *Ruleset
	errs  ErrorList
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) skipLine() {
	for {
		t := p.next()
		if t.kind == tNewline || t.kind == tEOF {
			return
		}
	}
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == s
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

// word takes a word token; what names the expected thing in the message.
func (p *parser) word(what string) (token, *Error) {
	t := p.peek()
	if t.kind != tWord {
		return t, errorf(t.pos, "expected %s, found %s", what, t)
	}
	p.next()
	return t, nil
}

func (p *parser) punct(s, what string) *Error {
	t := p.peek()
	if t.kind != tPunct || t.text != s {
		return errorf(t.pos, "expected %q %s, found %s", s, what, t)
	}
	p.next()
	return nil
}

func (p *parser) endOfStatement() *Error {
	t := p.peek()
	if t.kind != tNewline && t.kind != tEOF {
		return errorf(t.pos, "unexpected %s; expected end of line", t)
	}
	p.next()
	return nil
}

func (p *parser) statement() *Error {
	t := p.peek()
	if t.kind != tWord {
		return errorf(t.pos, "unexpected %s at start of statement; expected a rule (pass, drop, reject), table or set", t)
	}
	switch t.text {
	case "set":
		return p.setStmt()
	case "table":
		return p.tableStmt()
	case "pass", "drop", "block", "reject":
		return p.rule()
	}
	return errorf(t.pos, "unknown statement %q; expected a rule (pass, drop, reject), table or set", t.text)
}

var statementWords = map[string]struct{}{"pass": {}, "drop": {}, "block": {}, "reject": {}, "table": {}, "set": {}}

func parseAction(s string) (Action, bool) {
	switch s {
	case "pass":
		return Pass, true
	case "drop", "block":
		return Drop, true
	case "reject":
		return Reject, true
	}
	return 0, false
}

func (p *parser) setStmt() *Error {
	p.next() // set
	key, err := p.word("a setting (default, fragments, self)")
	if err != nil {
		return err
	}
	switch key.text {
	case "default":
		if !p.rs.DefaultPos.IsZero() {
			return errorf(key.pos, "default policy already set at line %d", p.rs.DefaultPos.Line)
		}
		t, err := p.word("pass, drop or reject")
		if err != nil {
			return err
		}
		a, ok := parseAction(t.text)
		if !ok {
			return errorf(t.pos, "unknown default policy %q; expected pass, drop or reject", t.text)
		}
		p.rs.Default, p.rs.DefaultPos = a, key.pos
		if p.isWord("log") {
			p.next()
			p.rs.DefaultLog = true
		}
	case "fragments":
		t, err := p.word("follow or drop")
		if err != nil {
			return err
		}
		switch t.text {
		case "follow":
			p.rs.Fragments = FragFollow
		case "drop":
			p.rs.Fragments = FragDrop
		default:
			return errorf(t.pos, "unknown fragment policy %q; expected follow or drop", t.text)
		}
	case "self":
		as, err := p.addrSpec()
		if err != nil {
			return err
		}
		if as.Not || as.Any || as.Self || len(as.Tables) > 0 {
			return errorf(as.Pos, "set self takes addresses only, like { 192.0.2.1, 2001:db8::1 }")
		}
		p.rs.Self = append(p.rs.Self, as.Prefixes...)
	default:
		return errorf(key.pos, "unknown setting %q; expected default, fragments or self", key.text)
	}
	return p.endOfStatement()
}

func (p *parser) tableStmt() *Error {
	kw := p.next() // table
	if err := p.punct("<", "before the table name"); err != nil {
		return err
	}
	name, err := p.word("a table name")
	if err != nil {
		return err
	}
	if err := p.punct(">", "after the table name"); err != nil {
		return err
	}
	if old, ok := p.rs.Tables[name.text]; ok {
		return errorf(name.pos, "table <%s> already defined at line %d", name.text, old.Pos.Line)
	}
	open := p.peek()
	if err := p.punct("{", "to start the table's addresses"); err != nil {
		return err
	}
	tb := &Table{Name: name.text, Pos: kw.pos}
	for {
		t := p.peek()
		if t.kind == tPunct && t.text == "}" {
			p.next()
			break
		}
		if t.kind == tPunct && t.text == "," {
			p.next()
			continue
		}
		if t.kind == tEOF || t.kind == tNewline {
			return errorf(open.pos, "unterminated { in table <%s>", name.text)
		}
		if t.kind != tWord {
			return errorf(t.pos, "expected an address or prefix in table <%s>, found %s", name.text, t)
		}
		p.next()
		if _, kw := statementWords[t.text]; kw {
			return errorf(open.pos, "unterminated { in table <%s>: \"}\" missing before line %d", name.text, t.pos.Line)
		}
		pfx, err := parsePrefix(t)
		if err != nil {
			return err
		}
		tb.Prefixes = append(tb.Prefixes, pfx)
	}
	p.rs.Tables[name.text] = tb
	return p.endOfStatement()
}

// parsePrefix reads an address or CIDR prefix word.
func parsePrefix(t token) (netip.Prefix, *Error) {
	s := t.text
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return pfx, errorf(t.pos, "bad prefix %q: %s", s, cleanNetipErr(err))
		}
		if pfx.Masked() != pfx {
			return pfx, errorf(t.pos, "prefix %s has host bits set; did you mean %s?", s, pfx.Masked())
		}
		return pfx, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil && !strings.ContainsAny(s, ".:") {
		return netip.Prefix{}, errorf(t.pos, "expected an address, prefix, <table>, any or self, found %q", s)
	}
	if err != nil {
		return netip.Prefix{}, errorf(t.pos, "bad address %q: %s", s, cleanNetipErr(err))
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errorf(t.pos, "address %q has a zone; zones are not supported", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// cleanNetipErr drops the package's quoting of the input we already show.
func cleanNetipErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "): "); i >= 0 {
		return s[i+3:]
	}
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func (p *parser) rule() *Error {
	at := p.next()
	a, _ := parseAction(at.text)
	r := &Rule{Pos: at.pos, Action: a, ICMPType: -1, ICMPCode: -1}
	if at.pos.Line-1 < len(p.lines) {
		r.Text = strings.TrimSpace(p.lines[at.pos.Line-1])
	}
	seen := map[string]Pos{}
	once := func(t token, key string) *Error {
		if old, ok := seen[key]; ok {
			return errorf(t.pos, "%s given twice in one rule (first at column %d)", key, old.Col)
		}
		seen[key] = t.pos
		return nil
	}
	for {
		t := p.peek()
		if t.kind == tNewline || t.kind == tEOF {
			break
		}
		if t.kind != tWord {
			return errorf(t.pos, "unexpected %s in rule", t)
		}
		key := t.text
		switch key {
		case "ether":
			// ether type|src|dst each count once on their own.
		case "icmp6-type":
			key = "icmp-type"
		case "in", "out":
			key = "direction"
		case "inet", "inet6":
			key = "address family"
		}
		if key != "ether" {
			if err := once(t, key); err != nil {
				return err
			}
		}
		p.next()
		var err *Error
		switch t.text {
		case "log":
			r.Log = true
		case "in":
			r.Dir = In
		case "out":
			r.Dir = Out
		case "on":
			var w token
			w, err = p.word("a port name (such as lan or wan) after on")
			r.On, r.OnPos = w.text, w.pos
		case "vlan":
			err = p.vlans(r)
		case "ether":
			err = p.ether(r, once)
		case "inet":
			r.Family = 4
		case "inet6":
			r.Family = 6
		case "proto":
			err = p.protos(r)
		case "from":
			r.From, r.SrcPort, err = p.endpoint()
		case "to":
			r.To, r.DstPort, err = p.endpoint()
		case "icmp-type", "icmp6-type":
			err = p.icmpType(r, t)
		case "flags":
			err = p.flags(r)
		case "keep":
			var w token
			if w, err = p.word(`"state" after keep`); err == nil && w.text != "state" {
				err = errorf(w.pos, `expected "state" after keep, found %s`, w)
			}
			r.KeepState = true
		case "mgmt":
			r.Mgmt = true
		case "limit":
			r.Limit, err = p.limit(t.pos)
		case "label":
			s := p.peek()
			if s.kind != tString {
				return errorf(s.pos, `expected a quoted label after label, found %s`, s)
			}
			p.next()
			r.Label = s.text
		case "port":
			return errorf(t.pos, `port must follow an address: write "to any port %s" or "from any port ..."`, p.peek().text)
		case "pass", "drop", "block", "reject":
			return errorf(t.pos, "action %s must come first in a rule; a rule has one action", t.text)
		default:
			return errorf(t.pos, "unknown word %q in rule", t.text)
		}
		if err != nil {
			return err
		}
	}
	if err := p.checkRule(r, seen); err != nil {
		return err
	}
	p.rs.Rules = append(p.rs.Rules, r)
	return p.endOfStatement()
}

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

func parseNum(t token, max uint64, what string) (uint64, *Error) {
	v, err := strconv.ParseUint(t.text, 0, 64)
	if err != nil {
		return 0, errorf(t.pos, "bad %s %q: not a number", what, t.text)
	}
	if v > max {
		return 0, errorf(t.pos, "%s %s out of range (0-%d)", what, t.text, max)
	}
	return v, nil
}

func (p *parser) vlans(r *Rule) *Error {
	return p.list("a VLAN id (0-4094), outer.inner, or none", func(t token) *Error {
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
			n, err := parseNum(token{text: s, pos: t.pos}, 4094, "VLAN id")
			if err != nil {
				return err
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
			if v, ok := etherTypeNames[t.text]; ok {
				r.EthType = append(r.EthType, v)
				return nil
			}
			v, err := parseNum(t, 0xffff, "EtherType")
			if err != nil {
				return err
			}
			if v < 0x600 {
				return errorf(t.pos, "EtherType %s is below 0x0600, so it is a length, not a type", t.text)
			}
			r.EthType = append(r.EthType, uint16(v))
			return nil
		})
	case "src", "dst":
		if err := once(sub, "ether "+sub.text); err != nil {
			return err
		}
		t, err := p.word("a MAC address like 02:00:00:00:00:01")
		if err != nil {
			return err
		}
		var m [6]byte
		if !parseMAC(t.text, &m) {
			return errorf(t.pos, "bad MAC address %q; expected six hex bytes like 02:00:00:00:00:01", t.text)
		}
		if sub.text == "src" {
			r.MACSrc = &m
		} else {
			r.MACDst = &m
		}
		return nil
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
	return p.list("a protocol (tcp, udp, icmp, icmp6, or a number)", func(t token) *Error {
		if v, ok := protoNames[t.text]; ok {
			r.Protos = append(r.Protos, v)
			return nil
		}
		if t.text == "" || t.text[0] < '0' || t.text[0] > '9' {
			return errorf(t.pos, "unknown protocol %q; expected tcp, udp, icmp, icmp6, or a number 0-255", t.text)
		}
		v, err := parseNum(t, 255, "protocol")
		if err != nil {
			return err
		}
		r.Protos = append(r.Protos, uint8(v))
		return nil
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
		r.Protos = appendOnce(r.Protos, protoICMP6)
	} else {
		r.Protos = appendOnce(r.Protos, protoICMP)
	}
	return nil
}

func appendOnce(s []uint8, v uint8) []uint8 {
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
