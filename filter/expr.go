// Match expressions: the clauses of one rule without its action, compiled
// by the rule parser and compiler and tested against a frame by the same
// matcher the rules use (packet capture's match=, for one). Additive: no
// second language, no change to how rules decide.

package filter

import "strings"

// Match is a compiled match expression; the zero expression matches
// every frame. It is immutable and safe for concurrent use.
type Match struct {
	c *crule // nil: everything
}

// exprPrefix turns an expression into a rule the parser accepts; error
// columns are shifted back by its length.
const exprPrefix = "pass "

// CompileMatch compiles expr, the clauses of a rule after its action
// ("inet proto icmp from 10.0.0.0/8", "ether type arp on lan"), with the
// engine's options (port names) and the self addresses in force. Clauses
// that do not select frames (log, keep state, mgmt, limit, label) are
// refused. Errors are an ErrorList positioned in expr (file "match",
// line 1).
func (e *Engine) CompileMatch(expr string) (*Match, error) {
	if strings.TrimSpace(expr) == "" {
		return &Match{}, nil
	}
	if i := strings.IndexAny(expr, "\n\r\\#"); i >= 0 {
		return nil, ErrorList{{Pos: Pos{File: "match", Line: 1, Col: i + 1}, Msg: "a match expression is one line without comments or continuations"}}
	}
	rs, err := Parse("match", []byte(exprPrefix+expr))
	if err != nil {
		return nil, shiftErrors(err)
	}
	if len(rs.Rules) != 1 {
		return nil, ErrorList{{Pos: Pos{File: "match", Line: 1, Col: 1}, Msg: "expected the clauses of one rule"}}
	}
	r := rs.Rules[0]
	for _, c := range []struct {
		set  bool
		word string
	}{{r.Log, "log"}, {r.KeepState, "keep state"}, {r.Mgmt, "mgmt"}, {r.Limit != nil, "limit"}, {r.Label != "", "label"}} {
		if c.set {
			col := strings.Index(expr, strings.Fields(c.word)[0]) + 1
			return nil, ErrorList{{Pos: Pos{File: "match", Line: 1, Col: max(col, 1)}, Msg: c.word + " does not select frames; a match expression takes only match clauses"}}
		}
	}
	if pr := e.prog.Load(); pr != nil {
		rs.Self = pr.rs.Self
	}
	pr, err := Compile(rs, e.opts)
	if err != nil {
		return nil, shiftErrors(err)
	}
	return &Match{c: &pr.rules[0]}, nil
}

// shiftErrors moves positions from the wrapped rule back into expr.
func shiftErrors(err error) error {
	list, ok := err.(ErrorList)
	if !ok {
		return err
	}
	for _, e := range list {
		e.Pos.Col = max(e.Pos.Col-len(exprPrefix), 1)
	}
	return list
}

// Matches reports whether a frame received on port (a Meta.Port value)
// matches. It decodes the frame as Decide does, allocates nothing, and
// a malformed frame matches only the empty expression.
func (m *Match) Matches(frame []byte, port uint8) bool {
	if m == nil || m.c == nil {
		return true
	}
	var p pkt
	p.port, p.dir = port, In
	if !decode(frame, &p) {
		return false
	}
	return m.c.match(&p)
}
