// Parser of the rule language, part one: tokens to a Ruleset (statements,
// settings, tables, the clauses of a rule), with every error
// positioned. Syntax summary in doc.go; semantics that need Options (port
// names) are checked by Compile.

package filter

import (
	"net/netip"
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
	if len(p.errs) == 0 {
		p.checkFamilies()
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
		if t.kind == tPunct && t.text == "," {
			return errorf(t.pos, "unexpected \",\"; write several values as a list in braces, like { 22, 80 }")
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
	r.clauses = seen
	if err := p.checkRule(r); err != nil {
		return err
	}
	p.rs.Rules = append(p.rs.Rules, r)
	return p.endOfStatement()
}
