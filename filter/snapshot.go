// Counters read while the engine runs: a Snapshot copies every counter
// with atomic loads, so it never stops or slows Decide.

package filter

import "encoding/json"

// RuleCounters are one rule's counts since its program was installed.
type RuleCounters struct {
	Line    int    `json:"line"`            // line of the rule in its file
	Text    string `json:"text"`            // the rule as written
	Label   string `json:"label,omitempty"` // its label "...", if any
	Packets uint64 `json:"packets"`         // frames the rule decided (states and fragments included)
	Bytes   uint64 `json:"bytes"`           // their Ethernet bytes
}

// VerdictCounts are frames by verdict, indexed by Action.
type VerdictCounts [3]uint64

// ReasonCounts are dropped frames by Reason (ReasonNone is never counted).
type ReasonCounts [NumReasons]uint64

// MarshalJSON writes the counts as an object keyed by action name.
func (v VerdictCounts) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]uint64{Drop.String(): v[Drop], Pass.String(): v[Pass], Reject.String(): v[Reject]})
}

// MarshalJSON writes the counts as an object keyed by reason name.
func (r ReasonCounts) MarshalJSON() ([]byte, error) {
	m := make(map[string]uint64, NumReasons-1)
	for i := ReasonNone + 1; i < NumReasons; i++ {
		m[i.String()] = r[i]
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (v *VerdictCounts) UnmarshalJSON(b []byte) error {
	var m map[string]uint64
	err := json.Unmarshal(b, &m)
	v[Drop], v[Pass], v[Reject] = m[Drop.String()], m[Pass.String()], m[Reject.String()]
	return err
}

// UnmarshalJSON reads what MarshalJSON wrote; unknown names are ignored.
func (r *ReasonCounts) UnmarshalJSON(b []byte) error {
	var m map[string]uint64
	err := json.Unmarshal(b, &m)
	for i := ReasonNone + 1; i < NumReasons; i++ {
		r[i] = m[i.String()]
	}
	return err
}

// Snapshot is a copy of the engine's counters.
type Snapshot struct {
	Generation uint32         `json:"generation"` // increments with every installed program
	Rules      []RuleCounters `json:"rules"`

	Verdicts VerdictCounts `json:"verdicts"`
	Reasons  ReasonCounts  `json:"drop_reasons"`

	States        int    `json:"states"` // live entries (expired ones until reclaimed)
	MgmtStates    int    `json:"mgmt_states"`
	StateLimit    int    `json:"state_limit"`
	MgmtReserve   int    `json:"mgmt_reserve"`
	StatesCreated uint64 `json:"states_created"`
	StatesPurged  uint64 `json:"states_purged"` // removed by a reload's re-check
	Related       uint64 `json:"related"`       // ICMP errors passed for a state

	Replies        uint64 `json:"replies"`         // reject replies asked for
	RepliesLimited uint64 `json:"replies_limited"` // rejects left unanswered by the reply rate limit

	Reloads      uint64 `json:"reloads"`
	ReloadErrors uint64 `json:"reload_errors"`

	StatesByProto StateProtoCounts `json:"states_by_proto"` // live entries by protocol class
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
			Packets: pr.counters[i].pubPackets.Load(),
			Bytes:   pr.counters[i].pubBytes.Load(),
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
	for i := range s.StatesByProto {
		s.StatesByProto[i] = int(e.ct.byProto[i].Load())
	}
}
