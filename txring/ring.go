// Package txring is the ENET transmit ring: frames go out either by
// reference (a lent RX buffer forwarded with zero copies, its page released
// on completion) or built in a pool half page the ring lends to a closure;
// only the frame's bytes are cleaned for the device; dma_wmb before R; one
// TDAR doorbell per batch (Flush); completions return pages to the pool. A
// full ring is reported, never waited for. The ring is the only allocator
// of transmit half pages.
package txring

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
	// Align is the buffer alignment the ring requires of a frame given by
	// reference (Linux fec aligns i.MX6 TX buffers to 16 bytes).
	Align = 16
)

// Errors returned by Enqueue*. Whatever was passed in is the ring's from
// the call on, also on error (a refused Buf is released at once).
var (
	ErrFull   = errors.New("txring: ring full")
	ErrNoPage = errors.New("txring: no free page to copy into")
	ErrBadBuf = errors.New("txring: buffer empty, too long or misaligned")
	ErrClosed = errors.New("txring: closed")
	// ErrUnfilled: EnqueueWith's fill returned no usable length.
	ErrUnfilled = errors.New("txring: nothing to send")
	ErrOptions  = errors.New("txring: bad options")
)

// Options configures a ring.
type Options struct {
	Size     int
	Pool     *pagepool.Pool
	Desc     bd.Mem
	Doorbell bd.Doorbell
}

// Stats counts the ring's work.
type Stats struct {
	RefFrames   uint64 `json:"ref_frames"`   // frames enqueued by reference
	BuiltFrames uint64 `json:"built_frames"` // frames built by EnqueueWith
	BuiltBytes  uint64 `json:"built_bytes"`  // bytes EnqueueWith queued
	Full        uint64 `json:"ring_full"`    // enqueues refused: every descriptor busy
	NoPage      uint64 `json:"no_page"`      // EnqueueWith refused: no free page
	BadBuf      uint64 `json:"bad_buffer"`   // enqueues refused: empty, too long or misaligned
	Unfilled    uint64 `json:"unfilled"`     // EnqueueWith calls whose fill sent nothing
	Completed   uint64 `json:"completed"`    // descriptors reclaimed
	TxErrors    uint64 `json:"tx_errors"`    // of which the device reported failed
	Abandoned   uint64 `json:"abandoned"`    // frames dropped unsent by Reset (a MAC restart)
	Doorbells   uint64 `json:"doorbells"`    // TDAR writes
	DevLines    uint64 `json:"device_lines"` // cache lines cleaned
}

// Ring is one transmit ring. It is not safe for concurrent use: the driver
// serializes Enqueue*, Flush, Reclaim and Close.
type Ring struct {
	pool    *pagepool.Pool
	desc    bd.Mem
	bell    bd.Doorbell
	bufs    []pagepool.Buf // what each descriptor holds
	head    int            // next descriptor to fill
	tail    int            // next descriptor to reclaim
	used    int
	pending int // filled since the last doorbell

	fragPage pagepool.Page // page whose second half is still free for a copy
	closed   bool
	stats    Stats
}

// New writes every descriptor not ready (the wrap bit on the last one).
func New(o Options) (*Ring, error) {
	if err := bd.CheckRing(o.Size, o.Desc, o.Doorbell); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOptions, err)
	}
	switch {
	case o.Pool == nil:
		return nil, fmt.Errorf("%w: a pool is required", ErrOptions)
	}
	r := &Ring{pool: o.Pool, desc: o.Desc, bell: o.Doorbell,
		bufs: make([]pagepool.Buf, o.Size), fragPage: pagepool.NoPage}
	for i := range r.bufs {
		r.bufs[i].Page = pagepool.NoPage
	}
	r.writeIdle()
	return r, nil
}

// writeIdle writes every descriptor not ready, the wrap bit on the last.
func (r *Ring) writeIdle() {
	for i := range r.bufs {
		var st uint16
		if i == len(r.bufs)-1 {
			st = bd.W
		}
		r.desc.Store32(i*bd.Size+bd.LenStat, bd.Word0(st, 0))
	}
	r.pool.WMB()
}

// Size is the number of descriptors.
func (r *Ring) Size() int { return len(r.bufs) }

// DescBase is the bus address of descriptor 0, for ENETx_TDSR.
func (r *Ring) DescBase() uint32 { return r.desc.BusAddr() }

// Free is the number of descriptors that can be filled now.
func (r *Ring) Free() int { return len(r.bufs) - r.used }

// room reclaims completions if the ring looks full.
func (r *Ring) room() error {
	if r.closed {
		return ErrClosed
	}
	if r.used == len(r.bufs) {
		r.Reclaim(len(r.bufs))
	}
	if r.used == len(r.bufs) {
		r.stats.Full++
		return ErrFull
	}
	return nil
}

// EnqueueRef queues b for transmission without copying. The ring takes
// b's page reference in every case: it releases it when the device is done,
// or at once (counted) when it refuses b.
func (r *Ring) EnqueueRef(b pagepool.Buf) error {
	if b.Len == 0 || int(b.Off)+int(b.Len) > pagepool.PageSize || int(b.Off)%Align != 0 {
		r.stats.BadBuf++
		r.pool.Release(b)
		return ErrBadBuf
	}
	if err := r.room(); err != nil {
		r.pool.Release(b)
		return err
	}
	r.stats.RefFrames++
	r.post(b)
	return nil
}

// EnqueueWith lends fill a buffer of max bytes (at most a half page) in
// transmit memory and queues the first n bytes, n being what fill returns;
// n <= 0 or n > max queues nothing. fill is called only when a descriptor
// and a buffer are at hand, and must not keep buf. Because the loan ends
// when fill returns, no buffer can be left half-reserved.
func (r *Ring) EnqueueWith(max int, fill func(buf []byte) int) error {
	if max <= 0 || max > pagepool.HalfSize {
		r.stats.BadBuf++
		return ErrBadBuf
	}
	if err := r.room(); err != nil {
		return err
	}
	b, ok := r.half()
	if !ok {
		r.stats.NoPage++
		return ErrNoPage
	}
	n := fill(r.pool.Bytes(b.Page, int(b.Off), max))
	if n <= 0 || n > max {
		r.stats.Unfilled++
		r.pool.Release(b)
		return ErrUnfilled
	}
	r.pool.Wrote(b.Page, int(b.Off), n)
	b.Len = uint16(n)
	r.stats.BuiltFrames++
	r.stats.BuiltBytes += uint64(n)
	r.post(b)
	return nil
}

// half hands out half pages, two per page: the page's second half waits in
// fragPage, holding the reference it will carry.
func (r *Ring) half() (pagepool.Buf, bool) {
	if pg := r.fragPage; pg != pagepool.NoPage {
		r.fragPage = pagepool.NoPage
		return pagepool.Buf{Page: pg, Off: pagepool.HalfSize}, true
	}
	pg, ok := r.pool.Get()
	if !ok {
		return pagepool.Buf{}, false
	}
	r.pool.Ref(pg) // one reference per half
	r.fragPage = pg
	return pagepool.Buf{Page: pg, Off: 0}, true
}

// post cleans the frame's bytes and gives descriptor head to the device.
func (r *Ring) post(b pagepool.Buf) {
	r.pool.SyncForDevice(b.Page, int(b.Off), int(b.Len))
	r.stats.DevLines += uint64(pagepool.Lines(int(b.Off), int(b.Len)))
	i := r.head
	base := i * bd.Size
	r.bufs[i] = b
	r.desc.Store32(base+bd.Addr, r.pool.BusAddr(b.Page, int(b.Off)))
	r.desc.Store32(base+bd.Ext, bd.ExtTxInt)
	r.desc.Store32(base+bd.BDU, 0)
	r.pool.DmaWMB() // the fields before R
	st := uint16(bd.Own | bd.L | bd.TxTC)
	if i == len(r.bufs)-1 {
		st |= bd.W
	}
	r.desc.Store32(base+bd.LenStat, bd.Word0(st, int(b.Len)))
	r.head = i + 1
	if r.head == len(r.bufs) {
		r.head = 0
	}
	r.used++
	r.pending++
}

// Flush rings the doorbell once for everything queued since the last Flush.
func (r *Ring) Flush() {
	if r.pending == 0 {
		return
	}
	r.pool.WMB() // before TDAR
	r.bell.Kick()
	r.pending = 0
	r.stats.Doorbells++
}

// Reclaim releases the buffers of up to budget completed descriptors and
// returns how many it reclaimed.
func (r *Ring) Reclaim(budget int) int {
	n := 0
	for n < budget && r.used > 0 {
		i := r.tail
		base := i * bd.Size
		if bd.Status(r.desc.Load32(base+bd.LenStat))&bd.Own != 0 {
			break
		}
		r.pool.DmaRMB() // the write-back fields after R
		if r.desc.Load32(base+bd.Ext)&bd.ExtTxErr != 0 {
			r.stats.TxErrors++
		}
		r.pool.Release(r.bufs[i])
		r.bufs[i].Page = pagepool.NoPage
		r.tail = i + 1
		if r.tail == len(r.bufs) {
			r.tail = 0
		}
		r.used--
		r.stats.Completed++
		n++
	}
	return n
}

// Stats returns the counters.
func (r *Ring) Stats() Stats { return r.stats }

// Reset restarts the ring at descriptor 0 after the driver stopped the
// transmit DMA (ETHEREN = 0 moves the uDMA back to TDSR, IMX6ULRM 22.5
// ENETx_ECR): completed descriptors are reclaimed, frames not sent are
// abandoned (released and counted), and every descriptor is written idle.
func (r *Ring) Reset() {
	if r.closed {
		return
	}
	r.Reclaim(len(r.bufs))
	for i := range r.bufs {
		if r.bufs[i].Page != pagepool.NoPage {
			r.pool.Release(r.bufs[i])
			r.bufs[i].Page = pagepool.NoPage
			r.stats.Abandoned++
		}
	}
	r.head, r.tail, r.used, r.pending = 0, 0, 0, 0
	r.writeIdle()
}

// Close releases every buffer still held. Call it only after the driver
// stopped transmit DMA: descriptors not completed are abandoned.
func (r *Ring) Close() {
	if r.closed {
		return
	}
	r.closed = true
	for i := range r.bufs {
		if r.bufs[i].Page != pagepool.NoPage {
			r.pool.Release(r.bufs[i])
			r.bufs[i].Page = pagepool.NoPage
		}
	}
	r.used = 0
	if r.fragPage != pagepool.NoPage {
		r.pool.Unref(r.fragPage)
		r.fragPage = pagepool.NoPage
	}
}
