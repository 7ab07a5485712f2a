// Fragments being followed: when a first fragment passes, its datagram's
// identity is remembered so later fragments share the verdict. Fixed size,
// set-associative; the oldest entry of a full set is replaced.

package filter

const fragWays = 4

type fragEntry struct {
	used     bool
	family   uint8
	proto    uint8
	id       uint32
	vlan     [maxVLANTags]uint16
	src, dst addr
	hdrEnd   uint16 // later fragments must start at or after this offset
	rule     int32
	gen      uint32
	expires  int64
}

type fragTable struct {
	e    []fragEntry
	mask uint64
	seed uint64
}

func newFragTable(n int, seed uint64) *fragTable {
	sets := 1
	for sets*fragWays < n {
		sets <<= 1
	}
	return &fragTable{e: make([]fragEntry, sets*fragWays), mask: uint64(sets - 1), seed: seed}
}

func (t *fragTable) set(p *pkt) []fragEntry {
	h := hashWords(t.seed, p.src.hi, p.src.lo, p.dst.hi, p.dst.lo, uint64(p.fragID)<<16|uint64(p.fragProto)<<8|uint64(p.family))
	s := h & t.mask
	return t.e[s*fragWays : (s+1)*fragWays]
}

func (e *fragEntry) is(p *pkt) bool {
	return e.used && e.id == p.fragID && e.proto == p.fragProto && e.family == p.family &&
		e.src == p.src && e.dst == p.dst && e.vlan == p.vlan
}

// remember records that the datagram of first fragment p passed by rule.
func (t *fragTable) remember(p *pkt, rule int32, gen uint32, expires int64) {
	set := t.set(p)
	v := 0
	for i := range set {
		if set[i].is(p) || !set[i].used {
			v = i
			break
		}
		if set[i].expires < set[v].expires {
			v = i
		}
	}
	set[v] = fragEntry{used: true, family: p.family, proto: p.fragProto, id: p.fragID, vlan: p.vlan,
		src: p.src, dst: p.dst, hdrEnd: p.hdrEnd, rule: rule, gen: gen, expires: expires}
}

// find returns the entry of later fragment p's datagram, or nil.
func (t *fragTable) find(p *pkt, now int64) *fragEntry {
	set := t.set(p)
	for i := range set {
		if set[i].is(p) {
			if set[i].expires <= now {
				set[i].used = false
				return nil
			}
			return &set[i]
		}
	}
	return nil
}
