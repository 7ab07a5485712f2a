// Counters read while the engine runs: a Snapshot copies every counter
// with atomic loads, so it never stops or slows Decide.

package filter

// RuleCounters are one rule's counts since its program was installed.
type RuleCounters struct {
	Line    int    // line of the rule in its file
	Text    string // the rule as written
	Label   string // its label "...", if any
	Packets uint64 // frames the rule decided (states and fragments included)
	Bytes   uint64 // their Ethernet bytes
}

// Snapshot is a copy of the engine's counters.
type Snapshot struct {
	Generation uint32 // increments with every installed program
	Rules      []RuleCounters

	Verdicts [3]uint64 // indexed by Action: Drop, Pass, Reject
	Reasons  [NumReasons]uint64

	States, MgmtStates int // live entries (expired ones until reclaimed)
	StateLimit         int
	MgmtReserve        int
	StatesCreated      uint64
	StatesPurged       uint64 // removed by a reload's re-check
	Related            uint64 // ICMP errors passed for a state

	Replies        uint64 // reject replies asked for
	RepliesLimited uint64 // rejects left unanswered by the reply rate limit

	Reloads, ReloadErrors uint64
}

// Snapshot returns the counters. It allocates (the rules slice); use
// SnapshotInto to reuse one.
func (e *Engine) Snapshot() Snapshot {
	var s Snapshot
	e.SnapshotInto(&s)
	return s
}

// SnapshotInto fills s, reusing s.Rules' storage.
func (e *Engine) SnapshotInto(s *Snapshot) {
	pr := e.prog.Load()
	rules := s.Rules[:0]
	for i := range pr.counters {
		rc := RuleCounters{
			Packets: pr.counters[i].packets.Load(),
			Bytes:   pr.counters[i].bytes.Load(),
		}
		if i < len(pr.rs.Rules) {
			r := pr.rs.Rules[i]
			rc.Line, rc.Text, rc.Label = r.Pos.Line, r.Text, r.Label
		}
		rules = append(rules, rc)
	}
	*s = Snapshot{
		Generation:     pr.gen,
		Rules:          rules,
		StateLimit:     e.opts.StateLimit,
		MgmtReserve:    e.opts.MgmtReserve,
		States:         int(e.ct.count.Load()),
		MgmtStates:     int(e.ct.mgmtN.Load()),
		StatesCreated:  e.stats.statesCreated.Load(),
		StatesPurged:   e.stats.statesPurged.Load(),
		Related:        e.stats.related.Load(),
		Replies:        e.stats.replies.Load(),
		RepliesLimited: e.stats.repliesLimited.Load(),
		Reloads:        e.stats.reloads.Load(),
		ReloadErrors:   e.stats.reloadErrors.Load(),
	}
	for i := range s.Verdicts {
		s.Verdicts[i] = e.stats.verdicts[i].Load()
	}
	for i := range s.Reasons {
		s.Reasons[i] = e.stats.reasons[i].Load()
	}
}
