// Compile: a parsed Ruleset to a Program the hot path runs. Names are
// resolved, address lists become sorted range sets, and the prefilter
// bitmaps (prefilter.go) are built. Compile allocates; matching does not.

package filter

import (
	"net/netip"
	"sort"
	"sync/atomic"
)

// Program is a compiled rule set. It is immutable apart from its counters
// and rate-limit buckets, which only the Engine's Decide goroutine writes.
type Program struct {
	rs    *Ruleset
	rules []crule

	pre prefilter

	defAction Action
	defLog    bool
	frag      FragPolicy
	self      *addrSet
	hasState  bool // some rule keeps state: look states up at all
	hasLimit  bool

	counters []ruleCounter
	dirty    []int32  // rules counted since their last publication (cap: every rule)
	buckets  []bucket // per rule (rules without a limit leave theirs unused)
	sources  *sourceTable
	gen      uint32 // set when installed in an Engine
	selfGen  uint32 // the Engine's self it was compiled with; 0: not by an Engine
}

// ruleCounter is one rule's counts: packets and bytes belong to the
// goroutine calling Decide; pubPackets and pubBytes are what it published
// for Snapshot. dirty marks a rule in its program's dirty list.
type ruleCounter struct {
	packets, bytes       uint64
	dirty                bool
	pubPackets, pubBytes atomic.Uint64
}

// Ruleset returns the rules the program was compiled from.
func (p *Program) Ruleset() *Ruleset { return p.rs }

// Len returns the number of rules.
func (p *Program) Len() int { return len(p.rules) }

// Generation is the engine's number for the program once installed (0
// before: Snapshot.Generation counts the same way).
func (p *Program) Generation() uint32 { return p.gen }

type crule struct {
	action Action
	log    bool

	dir  Dir
	port int // -1: any

	vlans    []VLANSpec
	ethTypes []uint16
	macSrc   [][6]byte // nil: any
	macDst   [][6]byte

	needIP   bool
	family   uint8
	anyProto bool
	protos   [4]uint64 // bitmap of allowed IP protocol numbers

	src, dst *addrSet // nil: any; a negation is compiled to its complement

	sports, dports     []PortRange // nil: any
	sportNot, dportNot bool

	icmpType, icmpCode int

	flagsOn     bool // applies to TCP packets only
	flags, mask uint8

	keepState bool
	mgmt      bool

	limited   bool
	perSource bool
	interval  int64 // ns per token
	burst     int64
}

// Compile turns a Ruleset into a Program. Errors (an unknown port name)
// carry the rule's position.
func Compile(rs *Ruleset, opts Options) (*Program, error) {
	opts = opts.withDefaults()
	pr := &Program{
		rs:        rs,
		defAction: rs.Default,
		defLog:    rs.DefaultLog,
		frag:      rs.Fragments,
		self:      newAddrSet(append(append([]netip.Prefix(nil), rs.Self...), opts.Self...)),
	}
	tables := map[string][]netip.Prefix{}
	for name, t := range rs.Tables {
		tables[name] = t.Prefixes
	}
	var errs ErrorList
	pr.rules = make([]crule, len(rs.Rules))
	for i, r := range rs.Rules {
		if err := pr.compileRule(&pr.rules[i], r, tables, opts); err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	pr.counters = make([]ruleCounter, len(pr.rules))
	pr.dirty = make([]int32, 0, len(pr.rules))
	pr.buckets = make([]bucket, len(pr.rules))
	if pr.hasLimit {
		pr.sources = newSourceTable(opts.SourceLimitEntries)
	}
	pr.pre = buildPrefilter(pr.rules)
	return pr, nil
}

func (pr *Program) compileRule(c *crule, r *Rule, tables map[string][]netip.Prefix, opts Options) *Error {
	*c = crule{
		action: r.Action, log: r.Log, dir: r.Dir, port: -1,
		vlans: r.VLANs, ethTypes: r.EthType, family: r.Family,
		icmpType: r.ICMPType, icmpCode: r.ICMPCode,
		keepState: r.KeepState, mgmt: r.Mgmt,
	}
	if r.On != "" {
		n, ok := opts.PortNames[r.On]
		if !ok {
			return errorf(r.OnPos, "unknown port %q; known ports are %s, or a number 0-%d", r.On, portList(opts.PortNames), maxPorts-1)
		}
		c.port = int(n)
	}
	c.macSrc, c.macDst = r.MACSrc, r.MACDst
	c.anyProto = len(r.Protos) == 0
	for _, v := range r.Protos {
		c.protos[v>>6] |= 1 << (v & 63)
	}
	c.src = compileAddr(r.From, tables, pr.self)
	c.dst = compileAddr(r.To, tables, pr.self)
	if r.SrcPort != nil {
		c.sports, c.sportNot = nonNil(r.SrcPort.Ranges), r.SrcPort.Not
	}
	if r.DstPort != nil {
		c.dports, c.dportNot = nonNil(r.DstPort.Ranges), r.DstPort.Not
	}
	// "from any" still says "an IP packet": only rules without any IP
	// clause match ARP and other non-IP frames.
	c.needIP = r.Family != 0 || len(r.Protos) > 0 || r.From != nil || r.To != nil ||
		c.sports != nil || c.dports != nil || r.ICMPType >= 0
	switch {
	case r.FlagsSet:
		c.flagsOn = r.FlagsMask != 0
		c.flags, c.mask = r.Flags, r.FlagsMask
	case r.KeepState && (c.anyProto || c.protos[protoTCP>>6]&(1<<(protoTCP&63)) != 0):
		// Like pf: a stateful rule creates TCP state only from an initial
		// SYN; other TCP segments must belong to a state.
		c.flagsOn, c.flags, c.mask = true, flagSYN, flagSYN|flagACK
	}
	if r.KeepState {
		pr.hasState = true
	}
	if l := r.Limit; l != nil {
		c.limited, c.perSource = true, l.PerSource
		c.interval = int64(l.Per) * 1e9 / int64(l.Rate)
		if c.interval < 1 {
			c.interval = 1
		}
		c.burst = int64(l.Burst)
		pr.hasLimit = true
	}
	return nil
}

func nonNil(r []PortRange) []PortRange {
	if r == nil {
		return []PortRange{}
	}
	return r
}

// compileAddr merges an AddrSpec's prefixes, tables and self into one set,
// complemented within its families if negated; nil means any address.
func compileAddr(as *AddrSpec, tables map[string][]netip.Prefix, self *addrSet) *addrSet {
	if as == nil || as.Any {
		return nil
	}
	pfx := append([]netip.Prefix(nil), as.Prefixes...)
	for _, t := range as.Tables {
		pfx = append(pfx, tables[t]...)
	}
	s := newAddrSet(pfx)
	if as.Self {
		s.v4 = merge4(sortedUnion4(s.v4, self.v4))
		s.v6 = merge6(sortedUnion6(s.v6, self.v6))
	}
	if as.Not {
		return s.complementWithin()
	}
	return s
}

func sortedUnion4(a, b []range4) []range4 {
	out := make([]range4, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0].lo <= b[0].lo {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func sortedUnion6(a, b []range6) []range6 {
	out := make([]range6, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && !b[0].lo.less(a[0].lo) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func portList(m map[string]uint8) string {
	names := make([]string, 0, len(m))
	for n := range m {
		if n[0] < '0' || n[0] > '9' {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
