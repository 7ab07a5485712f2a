// Rate limits: a GCRA token bucket (one int64 per bucket) and a bounded,
// set-associative table of per-source buckets. No allocation after New.

package filter

// bucket is a token bucket in GCRA form: tat is the theoretical arrival
// time of the next conforming packet.
type bucket struct{ tat int64 }

// allow takes one token at time now (ns). interval is the time one token
// takes to refill, burst the bucket size (>= 1).
func (b *bucket) allow(now, interval, burst int64) bool {
	tat := b.tat
	if tat < now {
		tat = now
	}
	if tat-now > (burst-1)*interval {
		return false
	}
	b.tat = tat + interval
	return true
}

const srcWays = 4 // entries per set: a new source evicts the stalest of 4

type srcEntry struct {
	used   bool
	family uint8
	rule   int32
	a      addr
	b      bucket
	seen   int64
}

// sourceTable holds per-source buckets for every "limit ... per-source"
// rule. Its size is fixed; when a set is full the least recently seen
// source loses its bucket (it starts again with a full burst).
type sourceTable struct {
	e    []srcEntry
	mask uint64 // number of sets - 1
	seed uint64
}

func newSourceTable(n int) *sourceTable {
	sets := 1
	for sets*srcWays < n {
		sets <<= 1
	}
	return &sourceTable{e: make([]srcEntry, sets*srcWays), mask: uint64(sets - 1), seed: 0x2545f4914f6cdd1d}
}

func (t *sourceTable) bucket(rule int32, family uint8, a addr, now int64) *bucket {
	h := hashWords(t.seed, uint64(rule)<<8|uint64(family), a.hi, a.lo)
	set := t.e[(h&t.mask)*srcWays : (h&t.mask+1)*srcWays]
	victim := 0
	for i := range set {
		s := &set[i]
		if s.used && s.rule == rule && s.family == family && s.a == a {
			s.seen = now
			return &s.b
		}
		if !s.used {
			victim = i
			break
		}
		if set[victim].used && s.seen < set[victim].seen {
			victim = i
		}
	}
	set[victim] = srcEntry{used: true, family: family, rule: rule, a: a, seen: now}
	return &set[victim].b
}
