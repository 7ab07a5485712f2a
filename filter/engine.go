// The Engine: the active Program, the state and fragment tables, and the
// per-frame decision. Decide runs on one goroutine (the receive loop);
// Reload and Snapshot may run on others. The program swap is one atomic
// pointer store; states made under older rules are re-checked against the
// new ones the next time they are used.

package filter

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Engine decides frames. Create it with NewEngine.
type Engine struct {
	opts Options

	mu      sync.Mutex // serialises Load/Reload/Install/SetSelf; Decide never takes it
	name    string
	gen     uint32
	selfGen uint32 // SetSelf calls, +1: which self opts.Self is
	prog    atomic.Pointer[Program]

	ct    *ctTable
	frags *fragTable

	rejectBucket   bucket
	rejectInterval int64
	rejectBurst    int64

	stats engineStats
	// The Decide goroutine's per-frame counts, and the program it last
	// counted rules in (its dirty rules are published before another's).
	frames frameCounts
	cur    *Program
}

// frameCounts are the counters Decide moves for every frame.
type frameCounts struct {
	verdicts [3]uint64
	reasons  [NumReasons]uint64
}

type engineStats struct {
	verdicts       [3]atomic.Uint64          // by Action, as published
	reasons        [NumReasons]atomic.Uint64 // as published
	replies        atomic.Uint64
	repliesLimited atomic.Uint64
	statesCreated  atomic.Uint64
	statesPurged   atomic.Uint64 // removed because new rules no longer pass them
	related        atomic.Uint64 // ICMP errors passed for a state
	reloads        atomic.Uint64
	reloadErrors   atomic.Uint64
}

// reclaimPerFrame is how many expired states (from the LRU tail) and how
// many slots of the re-check sweep each decided frame visits: enough that
// expiry keeps pace with creation (two visits per frame, at most one new
// state per frame), small enough to keep Decide's cost flat.
const reclaimPerFrame = 2

// NewEngine returns an engine with no rules: everything is dropped until
// Load or Reload installs a rule set.
func NewEngine(opts Options) *Engine {
	opts = opts.withDefaults()
	seed := opts.HashSeed
	if seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	e := &Engine{
		opts:           opts,
		selfGen:        1,
		name:           "rules",
		ct:             newCtTable(opts.StateLimit, opts.MgmtReserve, seed),
		frags:          newFragTable(opts.FragmentEntries, seed^hashK2),
		rejectInterval: 1e9 / int64(opts.RejectRate),
		rejectBurst:    int64(opts.RejectBurst),
	}
	empty, _ := Compile(&Ruleset{Name: "empty", Default: Drop}, opts)
	e.install(empty)
	return e
}

// Load parses and compiles src and installs it. On any error the rules in
// force stay in force.
func (e *Engine) Load(name string, src []byte) error {
	p, err := e.Compile(name, src)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.name = name
	e.install(p)
	e.mu.Unlock()
	e.stats.reloads.Add(1)
	return nil
}

// Compile parses and compiles src with the engine's options, for Install
// later: a caller can check rules, save them, and only then put them in
// force. A refused file counts as a reload error.
func (e *Engine) Compile(name string, src []byte) (*Program, error) {
	rs, err := Parse(name, src)
	var p *Program
	if err == nil {
		e.mu.Lock()
		p, err = e.compileLocked(rs)
		e.mu.Unlock()
	}
	if err != nil {
		e.stats.reloadErrors.Add(1)
		return nil, err
	}
	return p, nil
}

// compileLocked compiles with the engine's options and notes which self
// set it used.
func (e *Engine) compileLocked(rs *Ruleset) (*Program, error) {
	p, err := Compile(rs, e.opts)
	if err == nil {
		p.selfGen = e.selfGen
	}
	return p, err
}

// SetSelf replaces Options.Self (the appliance's own addresses, which
// "to self" and the management reserve use) and recompiles the rules in
// force with it; later loads keep it, and a Program compiled before it
// is recompiled when installed. For addresses that change at run time (a
// DHCP lease). Like Reload, it installs a new Program: its rule counters
// start at zero, and states are re-checked when next used.
func (e *Engine) SetSelf(self []netip.Prefix) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opts.Self = append([]netip.Prefix(nil), self...)
	e.selfGen++
	p, err := e.compileLocked(e.prog.Load().Ruleset())
	if err != nil {
		e.stats.reloadErrors.Add(1)
		return err
	}
	e.install(p)
	e.stats.reloads.Add(1)
	return nil
}

// Reload is Load under the name of the last file loaded.
func (e *Engine) Reload(src []byte) error {
	e.mu.Lock()
	name := e.name
	e.mu.Unlock()
	return e.Load(name, src)
}

// ErrInstalled is returned by Install for a Program already in use.
var ErrInstalled = errors.New("filter: program already installed")

// Install puts an already compiled program in force. A Program carries its
// own counters and rate-limit buckets, so it may be installed once.
func (e *Engine) Install(p *Program) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.gen != 0 {
		return ErrInstalled
	}
	e.install(p)
	e.stats.reloads.Add(1)
	return nil
}

func (e *Engine) install(p *Program) {
	if p.selfGen != 0 && p.selfGen != e.selfGen {
		// Compiled by Compile before a SetSelf: the same rules, this self.
		if q, err := e.compileLocked(p.rs); err == nil {
			p.gen = e.gen + 1 // p counts as installed (ErrInstalled)
			p = q
		}
	}
	e.gen++
	p.gen = e.gen
	if p.sources != nil {
		p.sources.seed = e.ct.seed ^ hashK1
	}
	e.prog.Store(p)
}

// Program returns the program in force.
func (e *Engine) Program() *Program { return e.prog.Load() }

// Decide returns the verdict for one Ethernet frame (starting at the
// destination MAC). frame is only read, and not kept after Decide returns.
// Decide must not be called concurrently with itself.
func (e *Engine) Decide(frame []byte, m Meta) Verdict {
	pr := e.prog.Load()
	var p pkt
	p.port = m.Port
	p.dir = In
	if m.Dir == Out {
		p.dir = Out
	}
	var v Verdict
	switch {
	case !decode(frame, &p):
		v = Verdict{Action: Drop, Reason: ReasonMalformed, Rule: -1}
	case p.srcRoute:
		// Source routing lets a sender pick a path around the filter;
		// no rule can allow it (like pf without allow-opts).
		v = Verdict{Action: Drop, Reason: ReasonSourceRoute, Rule: -1}
	default:
		e.ct.expireTail(m.Now, reclaimPerFrame)
		e.sweep(pr, m.Now, reclaimPerFrame)
		v = e.decide(pr, &p, frame, m.Now)
	}
	e.count(pr, v, len(frame))
	return v
}

// count adds the frame to the verdict, reason and rule counters (plain
// fields of the Decide goroutine) and, without Options.DeferPublish,
// publishes what moved.
func (e *Engine) count(pr *Program, v Verdict, n int) {
	if e.cur != pr {
		e.publishRules() // the old program's last counts
		e.cur = pr
	}
	f := &e.frames
	f.verdicts[v.Action]++
	f.reasons[v.Reason]++
	rule := v.Rule >= 0 && (v.Reason == ReasonNone || v.Reason == ReasonRule)
	if rule {
		c := &pr.counters[v.Rule]
		c.packets++
		c.bytes += uint64(n)
		if !c.dirty {
			c.dirty = true
			pr.dirty = append(pr.dirty, v.Rule) // within its capacity: every rule
		}
	}
	if !e.opts.DeferPublish {
		e.stats.verdicts[v.Action].Store(f.verdicts[v.Action])
		e.stats.reasons[v.Reason].Store(f.reasons[v.Reason])
		if rule {
			e.publishRules()
		}
	}
}

// Publish makes the counters Decide moved since the last Publish visible
// to Snapshot. Call it from the goroutine that calls Decide, once per batch
// of frames, when the engine was made with Options.DeferPublish; it costs
// a few atomic stores plus two per rule that counted since.
func (e *Engine) Publish() {
	f := &e.frames
	for i := range f.verdicts {
		e.stats.verdicts[i].Store(f.verdicts[i])
	}
	for i := range f.reasons {
		e.stats.reasons[i].Store(f.reasons[i])
	}
	e.publishRules()
}

// publishRules publishes the dirty rule counters of the program Decide
// last counted in.
func (e *Engine) publishRules() {
	pr := e.cur
	if pr == nil {
		return
	}
	for _, i := range pr.dirty {
		c := &pr.counters[i]
		c.pubPackets.Store(c.packets)
		c.pubBytes.Store(c.bytes)
		c.dirty = false
	}
	pr.dirty = pr.dirty[:0]
}

func dropped(r Reason, rule int32) Verdict { return Verdict{Action: Drop, Reason: r, Rule: rule} }

func (e *Engine) decide(pr *Program, p *pkt, frame []byte, now int64) Verdict {
	if p.frag != fragNone {
		if pr.frag == FragDrop {
			return dropped(ReasonFragPolicy, -1)
		}
		if p.frag == fragLater {
			f := e.frags.find(p, now)
			if f == nil || f.gen != pr.gen {
				return dropped(ReasonFragOrphan, -1)
			}
			if p.fragOff < f.hdrEnd {
				// Overlaps the headers the first was judged on, so it
				// could rewrite them (RFC 1858 3.2, RFC 5722).
				return dropped(ReasonMalformed, -1)
			}
			return Verdict{Action: Pass, Rule: f.rule, State: true}
		}
	}
	v := e.judge(pr, p, frame, now)
	if p.frag == fragFirst && v.Action == Pass {
		e.frags.remember(p, v.Rule, pr.gen, now+int64(e.opts.Timeouts.Fragment))
	}
	return v
}

// judge: existing state first, then the rules, then the default policy.
func (e *Engine) judge(pr *Program, p *pkt, frame []byte, now int64) Verdict {
	if e.ct.n > 0 && p.family != 0 {
		if v, ok := e.stateful(pr, p, frame, now); ok {
			return v
		}
	}
	i := pr.match(p)
	if i < 0 {
		v := Verdict{Action: pr.defAction, Log: pr.defLog, Rule: -1}
		if v.Action != Pass {
			v.Reason = ReasonDefault
		}
		if v.Action == Reject {
			v.Reply = e.reply(p, now)
		}
		return v
	}
	r := &pr.rules[i]
	v := Verdict{Action: r.action, Log: r.log, Rule: int32(i)}
	switch r.action {
	case Drop:
		v.Reason = ReasonRule
	case Reject:
		v.Reason = ReasonRule
		v.Reply = e.reply(p, now)
	case Pass:
		if r.limited && !pr.allow(r, i, p, now) {
			return Verdict{Action: Drop, Reason: ReasonRateLimit, Rule: int32(i), Log: r.log}
		}
		if r.keepState && !e.createState(pr, r, i, p, now) {
			return Verdict{Action: Drop, Reason: ReasonStateFull, Rule: int32(i), Log: r.log}
		}
	}
	return v
}

// allow applies rule i's rate limit to p.
func (pr *Program) allow(r *crule, i int, p *pkt, now int64) bool {
	b := &pr.buckets[i]
	if r.perSource {
		b = pr.sources.bucket(int32(i), p.family, p.src, now)
	}
	return b.allow(now, r.interval, r.burst)
}
