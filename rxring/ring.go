// Package rxring is the ENET receive ring: the enhanced buffer descriptor
// ownership protocol, half-page flip reuse of pagepool pages, the budgeted
// poll that lends each frame on its DMA buffer, per-class error accounting
// and one doorbell per batch. It touches no register: descriptor memory and
// the RDAR write come through bd.Mem and Doorbell.
//
// Order per descriptor (after Linux fec_main.c and the NETDEV 2.1 page
// reuse scheme): load status; stop if E; dma_rmb; reload status and length,
// read the enhanced status; classify; SyncForCPU of the received bytes only;
// callback; choose the buffer to hand back (the same half if the callback
// kept nothing, the other half if the page had no other holder, else a fresh
// page); SyncForDevice of what may be dirty in it (the lent bytes for the
// same half, the whole half otherwise); write the fields; dma_wmb; set E.
// After the batch: wmb, then one doorbell.
package rxring

import (
	"errors"
	"fmt"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/pagepool"
)

// Limits of the ring.
const (
	MinSize = bd.MinRing
	MaxSize = bd.MaxRing
	// DefaultBufSize is the default MRBR: a full VLAN-tagged frame plus
	// FCS, rounded up to 16 bytes.
	DefaultBufSize = 1536
)

// Options configures a ring.
type Options struct {
	Size     int            // descriptors, MinSize..MaxSize
	Pool     *pagepool.Pool // pages for the buffers
	Desc     bd.Mem         // at least Size*bd.Size bytes, zeroed or not
	Doorbell bd.Doorbell    // the RDAR write
	// BufSize is the receive buffer size the driver programs into MRBR: a
	// multiple of 16, at most pagepool.HalfSize. 0 means DefaultBufSize.
	BufSize int
	// FCS says the data length includes the 4 FCS bytes (RCR.CRCFWD = 0,
	// and always under QEMU); the ring strips them.
	FCS bool
	// Shift16 says the MAC writes two bytes before each frame and counts
	// them (RACC.SHIFT16), which aligns the IP header. Frames then start 2
	// bytes into their buffer, so a TX ring needing 16-byte aligned buffers
	// cannot take them by reference (txring.EnqueueRef refuses and releases them: copy them).
	Shift16 bool
}

// Stats counts the ring's work. The ring's goroutine (the poller) owns it:
// others read a copy the poller published (see enet.MAC.Stats).
type Stats struct {
	Frames     uint64      `json:"frames"` // good frames lent to the callback
	Bytes      uint64      `json:"bytes"`
	Drop       uint64      `json:"drop"` // verdicts
	Forward    uint64      `json:"forward"`
	Local      uint64      `json:"local"`
	Errors     ErrorCounts `json:"errors"`
	RefillFail uint64      `json:"refill_failed"` // frames dropped because no page was free
	Continued  uint64      `json:"continued"`     // later buffers of a Fragment frame, dropped with it
	Flips      uint64      `json:"flips"`         // the other half of the page went back
	Reuses     uint64      `json:"reuses"`        // the same half went back
	FreshPages uint64      `json:"fresh_pages"`   // a new page replaced a shared one
	Abandoned  uint64      `json:"abandoned"`     // completed descriptors dropped by Reset
	Doorbells  uint64      `json:"doorbells"`     // RDAR writes
	CPULines   uint64      `json:"cpu_lines"`     // cache lines invalidated for the CPU
	DevLines   uint64      `json:"device_lines"`  // cache lines cleaned for the device
}

// Err returns the count of one error class.
func (s Stats) Err(c Class) uint64 { return s.Errors[c] }

type slot struct {
	page pagepool.Page
	off  int // 0 or pagepool.HalfSize
}

// Ring is one receive ring. Poll, Start, Close and Stats must be called from
// one goroutine (the poller).
type Ring struct {
	pool    *pagepool.Pool
	desc    bd.Mem
	bell    bd.Doorbell
	slots   []slot
	next    int
	bufSize int
	fcs     int
	shift   int
	spare   pagepool.Page // a page taken ahead for a refill, or NoPage
	inFrag  bool
	closed  bool
	frame   Frame
	stats   Stats
}

// ErrOptions reports unusable options.
var ErrOptions = errors.New("rxring: bad options")

// New takes one page per descriptor, cleans its first half for the device
// and writes every descriptor empty. The device is not told: call Start
// once the driver has programmed ERDSR and MRBR and enabled the MAC.
func New(o Options) (*Ring, error) {
	if o.BufSize == 0 {
		o.BufSize = DefaultBufSize
	}
	if err := bd.CheckRing(o.Size, o.Desc, o.Doorbell); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOptions, err)
	}
	switch {
	case o.Pool == nil:
		return nil, fmt.Errorf("%w: a pool is required", ErrOptions)
	case o.BufSize%16 != 0 || o.BufSize < 64 || o.BufSize > pagepool.HalfSize:
		return nil, fmt.Errorf("%w: buffer size %d", ErrOptions, o.BufSize)
	}
	r := &Ring{pool: o.Pool, desc: o.Desc, bell: o.Doorbell,
		slots: make([]slot, o.Size), bufSize: o.BufSize, spare: pagepool.NoPage}
	if o.FCS {
		r.fcs = 4
	}
	if o.Shift16 {
		r.shift = 2
	}
	r.frame.r = r
	for i := range r.slots {
		pg, ok := o.Pool.Get()
		if !ok {
			for _, s := range r.slots[:i] {
				o.Pool.Unref(s.page)
			}
			return nil, fmt.Errorf("%w: pool has fewer than %d free pages", ErrOptions, o.Size)
		}
		r.slots[i] = slot{page: pg}
		o.Pool.SyncForDevice(pg, 0, pagepool.HalfSize)
		r.stats.DevLines += pagepool.HalfSize / pagepool.LineSize
		r.arm(i)
	}
	return r, nil
}

// Size is the number of descriptors.
func (r *Ring) Size() int { return len(r.slots) }

// DescBase is the bus address of descriptor 0, for ENETx_RDSR.
func (r *Ring) DescBase() uint32 { return r.desc.BusAddr() }

// BufSize is the value to program into MRBR.
func (r *Ring) BufSize() int { return r.bufSize }

// Start makes the descriptors visible and rings the doorbell once.
func (r *Ring) Start() {
	r.pool.WMB()
	r.bell.Kick()
	r.stats.Doorbells++
}

// arm hands slot i's buffer to the device: fields first, dma_wmb, then the
// word holding E (and W on the last descriptor).
func (r *Ring) arm(i int) {
	s := &r.slots[i]
	base := i * bd.Size
	r.desc.Store32(base+bd.Addr, r.pool.BusAddr(s.page, s.off))
	r.desc.Store32(base+bd.Ext, bd.ExtRxInt)
	r.desc.Store32(base+bd.BDU, 0)
	r.pool.DmaWMB()
	st := uint16(bd.Own)
	if i == len(r.slots)-1 {
		st |= bd.W
	}
	r.desc.Store32(base+bd.LenStat, bd.Word0(st, 0))
}

// Poll handles up to budget completed descriptors, lending each good frame
// to fn, and returns how many descriptors it consumed. It rings the
// doorbell once at the end if it gave any descriptor back. fn must not keep
// f or f.Bytes() after returning (take f.Ref() instead); a nil fn drops
// every frame.
func (r *Ring) Poll(budget int, fn func(f *Frame) Verdict) int {
	if r.closed {
		return 0
	}
	n, armed := 0, 0 // armed: descriptors handed back, for the doorbell
	for n < budget {
		i := r.next
		base := i * bd.Size
		if bd.Status(r.desc.Load32(base+bd.LenStat))&bd.Own != 0 {
			break
		}
		r.pool.DmaRMB() // nothing below may be read before the E bit
		w := r.desc.Load32(base + bd.LenStat)
		ext := r.desc.Load32(base + bd.Ext)
		st := bd.Status(w)
		if st&bd.Own != 0 { // cannot happen with a sane device: leave it be
			break
		}
		n++
		r.next = i + 1
		if r.next == len(r.slots) {
			r.next = 0
		}
		r.receive(i, st, ext, bd.Length(w), fn)
		r.arm(i) // a slot is never left without a buffer
		armed++
	}
	if armed > 0 {
		r.pool.WMB() // before RDAR
		r.bell.Kick()
		r.stats.Doorbells++
	}
	return n
}

// receive handles one completed descriptor and leaves slot i holding the
// buffer to hand back: the same half, the other half, or a fresh page.
func (r *Ring) receive(i int, st uint16, ext uint32, length int, fn func(f *Frame) Verdict) {
	s := &r.slots[i]
	if r.inFrag { // rest of a frame longer than one buffer: already counted
		r.inFrag = st&bd.L == 0
		r.stats.Continued++
		return
	}
	flen, class := classify(st, ext, length, r.bufSize, r.fcs+r.shift)
	if class != OK {
		r.inFrag = class == Fragment
		r.stats.Errors[class]++
		return // the CPU did not touch the buffer: no sync needed
	}
	// Decide before lending the frame whether the other half is free: the
	// only holder must be this ring. If not, make sure a fresh page is at
	// hand, or drop the frame and keep the buffer with the device.
	otherFree := r.pool.Refs(s.page) == 1
	if !otherFree && r.spare == pagepool.NoPage {
		pg, ok := r.pool.Get()
		if !ok {
			r.stats.RefillFail++
			return
		}
		r.spare = pg
	}
	start := s.off + r.shift
	r.pool.SyncForCPU(s.page, start, flen)
	r.stats.CPULines += uint64(pagepool.Lines(start, flen))

	f := &r.frame
	f.b = r.pool.Bytes(s.page, start, flen)
	f.page, f.off, f.ext, f.refs = s.page, start, ext, 0
	v := Drop
	if fn != nil {
		v = fn(f)
	}
	refs := f.refs
	f.b = nil
	r.stats.Frames++
	r.stats.Bytes += uint64(flen)
	switch v {
	case Forward:
		r.stats.Forward++
	case Local:
		r.stats.Local++
	default:
		r.stats.Drop++
	}

	// Hand a half back with no dirty line in it, or a later eviction would
	// write stale CPU data over the device's next frame. The same half can
	// only have been written through the lent bytes; another half's past is
	// not ours, so all of it is cleaned.
	dirty := r.shift + flen
	switch {
	case refs == 0: // nobody kept this half: it goes straight back
		r.stats.Reuses++
	case otherFree: // flip to the other half of the page
		s.off ^= pagepool.HalfSize
		dirty = pagepool.HalfSize
		r.stats.Flips++
	default: // both halves are held elsewhere: the ring lets go of the page
		r.pool.Unref(s.page)
		s.page, s.off = r.spare, 0
		r.spare = pagepool.NoPage
		dirty = pagepool.HalfSize
		r.stats.FreshPages++
	}
	r.pool.SyncForDevice(s.page, s.off, dirty)
	r.stats.DevLines += uint64(pagepool.Lines(s.off, dirty))
	return
}

// Stats returns the counters.
func (r *Ring) Stats() Stats { return r.stats }

// Reset restarts the ring at descriptor 0 after the driver stopped the
// receive DMA (ETHEREN = 0 moves the uDMA back to RDSR, IMX6ULRM 22.5
// ENETx_ECR): frames completed but not yet polled are dropped (counted),
// every slot keeps its buffer and is handed to the device again. Call
// Start once the MAC is enabled again.
func (r *Ring) Reset() {
	if r.closed {
		return
	}
	for i := range r.slots {
		if bd.Status(r.desc.Load32(i*bd.Size+bd.LenStat))&bd.Own == 0 {
			r.stats.Abandoned++
		}
		// The CPU has not written these buffers since they were handed
		// over (a polled slot is re-armed at once), so no sync is due.
		r.arm(i)
	}
	r.next, r.inFrag = 0, false
}

// Close gives every page back to the pool. Call it only after the driver
// stopped the receive DMA (ECR.ETHEREN = 0): the device must own nothing.
// Frames forwarded earlier keep their own references.
func (r *Ring) Close() {
	if r.closed {
		return
	}
	r.closed = true
	for i := range r.slots {
		r.pool.Unref(r.slots[i].page)
		r.slots[i].page = pagepool.NoPage
	}
	if r.spare != pagepool.NoPage {
		r.pool.Unref(r.spare)
		r.spare = pagepool.NoPage
	}
}
