// The state table: a fixed array of entries, hash chains and an LRU list
// threaded through it by index, a free list, and a share of the capacity
// reserved for management traffic. Only the Decide goroutine touches it;
// the counts Snapshot reads are atomics.

package filter

import "sync/atomic"

type ctKey struct {
	a, b   addr   // originator, responder
	pa, pb uint16 // their ports; ICMP echo: the id in both
	proto  uint8
	family uint8
	// VLAN ids (0 if untagged): the same addresses in two VLANs are two
	// networks, and a reply must come back in the VLAN it was asked in.
	vlan [maxVLANTags]uint16
}

func (k ctKey) reverse() ctKey {
	return ctKey{a: k.b, b: k.a, pa: k.pb, pb: k.pa, proto: k.proto, family: k.family, vlan: k.vlan}
}

// keyOf builds the key of p as sent (p's source as originator). ok is
// false for packets that cannot have a state (ICMP other than echo).
func keyOf(p *pkt) (k ctKey, ok bool) {
	k = ctKey{a: p.src, b: p.dst, proto: p.proto, family: p.family, vlan: p.vlan}
	switch {
	case p.hasPorts:
		k.pa, k.pb = p.sport, p.dport
	case p.proto == protoICMP || p.proto == protoICMP6:
		if !p.hasICMP || !isEcho(p.family, p.icmpType) {
			return k, false
		}
		k.pa, k.pb = p.icmpID, p.icmpID
	case p.proto == protoTCP || p.proto == protoUDP:
		return k, false // first fragment without ports cannot happen; be safe
	}
	return k, true
}

const nilIdx = -1

type ctEntry struct {
	key     ctKey
	hnext   int32 // hash chain, or free list
	prev    int32 // LRU: towards the head (most recent)
	next    int32 // LRU: towards the tail
	used    bool
	mgmt    bool
	assured bool // seen both ways (UDP), established (TCP): evicted last
	replied bool
	expires int64
	rule    int32
	gen     uint32 // program generation the rule index refers to
	tcp     tcpState
	origin  pkt // the packet that created the state, to re-check on reload
}

type ctTable struct {
	e       []ctEntry
	heads   []int32
	mask    uint64
	seed    uint64
	free    int32
	head    int32 // most recently used
	tail    int32 // least recently used
	limit   int   // max entries for non-management traffic
	cursor  int32 // next slot Engine.sweep visits
	n, nNon int   // entries, non-management entries

	count atomic.Int64 // copy of n for Snapshot
	mgmtN atomic.Int64

	byProto [NumStateProtos]atomic.Int64 // live entries by protocol class
}

// evictScan is how many entries from the LRU tail an insert into a full
// table examines for an expired or unassured victim.
const evictScan = 8

func newCtTable(capacity, reserve int, seed uint64) *ctTable {
	nb := 1
	for nb < capacity {
		nb <<= 1
	}
	t := &ctTable{
		e:     make([]ctEntry, capacity),
		heads: make([]int32, nb),
		mask:  uint64(nb - 1),
		seed:  seed,
		head:  nilIdx,
		tail:  nilIdx,
		limit: capacity - reserve,
	}
	for i := range t.heads {
		t.heads[i] = nilIdx
	}
	for i := range t.e {
		t.e[i].hnext = int32(i + 1)
	}
	if capacity > 0 {
		t.e[capacity-1].hnext = nilIdx
		t.free = 0
	} else {
		t.free = nilIdx
	}
	return t
}

// bucketOf hashes the key in an order-independent way, so both directions
// of a flow land in the same chain.
func (t *ctTable) bucketOf(k *ctKey) uint64 {
	a, b := k.a, k.b
	pa, pb := k.pa, k.pb
	if b.less(a) || a == b && pb < pa {
		a, b, pa, pb = b, a, pb, pa
	}
	h := hashWords(t.seed, a.hi, a.lo, b.hi, b.lo,
		uint64(pa)<<48|uint64(pb)<<32|uint64(k.vlan[0])<<20|uint64(k.vlan[1])<<8|uint64(k.proto),
		uint64(k.family))
	return h & t.mask
}

// lookup finds the state of k in either direction; dir is 0 if k is the
// originator's direction. Expired entries are freed on the way.
func (t *ctTable) lookup(k *ctKey, now int64) (idx int32, dir int) {
	b := t.bucketOf(k)
	r := k.reverse()
	for i := t.heads[b]; i != nilIdx; {
		e := &t.e[i]
		next := e.hnext
		if e.key == *k || e.key == r {
			if e.expires <= now {
				t.remove(i)
				return nilIdx, 0
			}
			if e.key == *k {
				return i, 0
			}
			return i, 1
		}
		i = next
	}
	return nilIdx, 0
}

// touch moves i to the head of the LRU list and sets its expiry.
func (t *ctTable) touch(i int32, expires int64) {
	e := &t.e[i]
	e.expires = expires
	if t.head == i {
		return
	}
	t.unlinkLRU(i)
	t.pushLRU(i)
}

func (t *ctTable) unlinkLRU(i int32) {
	e := &t.e[i]
	if e.prev != nilIdx {
		t.e[e.prev].next = e.next
	} else {
		t.head = e.next
	}
	if e.next != nilIdx {
		t.e[e.next].prev = e.prev
	} else {
		t.tail = e.prev
	}
	e.prev, e.next = nilIdx, nilIdx
}

func (t *ctTable) pushLRU(i int32) {
	e := &t.e[i]
	e.prev, e.next = nilIdx, t.head
	if t.head != nilIdx {
		t.e[t.head].prev = i
	}
	t.head = i
	if t.tail == nilIdx {
		t.tail = i
	}
}

func (t *ctTable) remove(i int32) {
	e := &t.e[i]
	b := t.bucketOf(&e.key)
	for p := &t.heads[b]; *p != nilIdx; p = &t.e[*p].hnext {
		if *p == i {
			*p = e.hnext
			break
		}
	}
	t.unlinkLRU(i)
	if !e.mgmt {
		t.nNon--
	}
	t.n--
	t.byProto[stateProtoOf(e.key.proto)].Add(-1)
	e.used = false
	e.hnext = t.free
	t.free = i
	t.publish()
}

func (t *ctTable) publish() {
	t.count.Store(int64(t.n))
	t.mgmtN.Store(int64(t.n - t.nNon))
}

// insert takes an entry for k, evicting if needed. It returns nilIdx when
// the table (or the non-management share of it) is full of live, assured
// states.
func (t *ctTable) insert(k *ctKey, mgmt bool, now int64) int32 {
	for t.free == nilIdx || !mgmt && t.nNon >= t.limit {
		v := t.victim(mgmt, now)
		if v == nilIdx {
			return nilIdx
		}
		t.remove(v)
	}
	i := t.free
	e := &t.e[i]
	t.free = e.hnext
	*e = ctEntry{key: *k, used: true, mgmt: mgmt, prev: nilIdx, next: nilIdx}
	b := t.bucketOf(k)
	e.hnext = t.heads[b]
	t.heads[b] = i
	t.pushLRU(i)
	t.n++
	t.byProto[stateProtoOf(k.proto)].Add(1)
	if !mgmt {
		t.nNon++
	}
	t.publish()
	return i
}

// victim picks an entry to evict for a new state: first an expired one,
// then one never answered, among the evictScan least recently used; a
// management state may in the end take the least recently used
// non-management one. A non-management state over its share may only
// displace non-management entries.
func (t *ctTable) victim(mgmt bool, now int64) int32 {
	shareFull := !mgmt && t.nNon >= t.limit
	usable := func(e *ctEntry) bool { return !shareFull || !e.mgmt }
	fallback := int32(nilIdx)
	i := t.tail
	for n := 0; i != nilIdx && n < evictScan; n++ {
		e := &t.e[i]
		if usable(e) {
			if e.expires <= now {
				return i
			}
			if !e.assured && !e.mgmt && fallback == nilIdx {
				fallback = i
			}
		}
		i = e.prev
	}
	if fallback != nilIdx || !mgmt {
		return fallback
	}
	i = t.tail
	for n := 0; i != nilIdx && n < 8*evictScan; n++ {
		if !t.e[i].mgmt {
			return i
		}
		i = t.e[i].prev
	}
	return nilIdx
}

// expireTail frees up to n expired entries from the LRU tail: a little
// garbage collection on every frame, bounded.
func (t *ctTable) expireTail(now int64, n int) {
	for ; n > 0 && t.tail != nilIdx; n-- {
		if t.e[t.tail].expires > now {
			return
		}
		t.remove(t.tail)
	}
}
