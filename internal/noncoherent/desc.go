// desc.go owns non-cacheable descriptor memory: 32-bit words behind a CPU
// store buffer that reorders stores within a barrier epoch, and CPU loads
// that may be satisfied early unless ordered by DmaRMB.
package noncoherent

import "fmt"

type sbEntry struct {
	word  int
	val   uint32
	epoch uint64
	seq   uint64
}

// DescRegion is a block of non-cacheable memory for buffer descriptors. Its
// Load32/Store32 are the CPU's accesses (rxring.DescMem, txring.DescMem).
type DescRegion struct {
	s       *System
	bus     uint32
	mem     []uint32 // visible to the device
	prev    []uint32 // value before the device's latest write
	devGen  []uint64 // s.rmbs at the device's latest write, 0 once observed
	lastSeq []uint64 // seq of the CPU store that last reached each word
	sb      []sbEntry
	seq     uint64
}

// NewDescRegion adds a descriptor region of size bytes (multiple of 32) at
// device address bus.
func (s *System) NewDescRegion(bus uint32, size int) (*DescRegion, error) {
	if size <= 0 || size%32 != 0 {
		return nil, fmt.Errorf("noncoherent: descriptor region size %d is not a multiple of 32", size)
	}
	w := size / 4
	d := &DescRegion{
		s: s, bus: bus, mem: make([]uint32, w), prev: make([]uint32, w),
		devGen: make([]uint64, w), lastSeq: make([]uint64, w),
		sb: make([]sbEntry, 0, s.cfg.StoreBuffer),
	}
	s.descs = append(s.descs, d)
	return d, nil
}

// Len is the region size in bytes.
func (d *DescRegion) Len() int { return len(d.mem) * 4 }

// BusAddr is the device address of the region.
func (d *DescRegion) BusAddr() uint32 { return d.bus }

func (d *DescRegion) word(off int) int {
	if off < 0 || off%4 != 0 || off/4 >= len(d.mem) {
		panic(fmt.Sprintf("noncoherent: descriptor access at bad offset %d", off))
	}
	return off / 4
}

// Load32 is a CPU load: store-to-load forwarding from the store buffer, else
// memory; a word the device wrote since the last DmaRMB may read as its old
// value, until a load has observed the new one.
func (d *DescRegion) Load32(off int) uint32 {
	w := d.word(off)
	d.s.C.DescLoads++
	v, fwd := uint32(0), false
	for i := len(d.sb) - 1; i >= 0; i-- {
		if d.sb[i].word == w {
			v, fwd = d.sb[i].val, true
			break
		}
	}
	if !fwd {
		v = d.mem[w]
		if d.devGen[w] == d.s.rmbs && d.s.rng.permille(d.s.cfg.StalePermille) {
			v = d.prev[w]
			d.s.C.StaleDescLoads++
		} else {
			d.devGen[w] = 0
		}
	}
	d.s.tick()
	return v
}

// Store32 is a CPU store: it enters the store buffer.
func (d *DescRegion) Store32(off int, v uint32) {
	w := d.word(off)
	d.s.C.DescStores++
	if len(d.sb) == cap(d.sb) {
		d.drainOne()
	}
	d.seq++
	d.sb = append(d.sb, sbEntry{word: w, val: v, epoch: d.s.epoch, seq: d.seq})
	d.s.tick()
}

// drainOne makes one buffered store visible: any store of the oldest epoch
// that is the oldest store to its word.
func (d *DescRegion) drainOne() {
	if len(d.sb) == 0 {
		return
	}
	oldest := d.sb[0].epoch
	for _, e := range d.sb {
		oldest = min(oldest, e.epoch)
	}
	var cand [64]int
	nc := 0
	for i, e := range d.sb {
		if e.epoch != oldest || nc == len(cand) {
			continue
		}
		first := true
		for _, f := range d.sb[:i] {
			if f.word == e.word {
				first = false
				break
			}
		}
		if first {
			cand[nc] = i
			nc++
		}
	}
	i := cand[d.s.rng.intn(nc)]
	d.apply(d.sb[i])
	d.sb = append(d.sb[:i], d.sb[i+1:]...)
}

func (d *DescRegion) drainAll() {
	for _, e := range d.sb {
		d.apply(e)
	}
	d.sb = d.sb[:0]
}

func (d *DescRegion) apply(e sbEntry) {
	d.mem[e.word] = e.val
	d.lastSeq[e.word] = e.seq
	d.devGen[e.word] = 0
}

// Pending is the number of buffered (not yet visible) stores.
func (d *DescRegion) Pending() int { return len(d.sb) }

// devLoad is the device's read of a word.
func (d *DescRegion) devLoad(w int) uint32 { return d.mem[w] }

// devStore is the device's write of a word.
func (d *DescRegion) devStore(w int, v uint32) {
	d.prev[w] = d.mem[w]
	d.mem[w] = v
	d.devGen[w] = d.s.rmbs
}

// raced reports a buffered store, older than the one that made word w
// visible, to any word in [first, first+n): the device sees the ownership
// bit before fields the CPU wrote earlier.
func (d *DescRegion) raced(w, first, n int) (int, bool) {
	seq := d.lastSeq[w]
	for _, e := range d.sb {
		if e.word >= first && e.word < first+n && e.seq < seq {
			return (e.word - first) * 4, true
		}
	}
	return 0, false
}
