// Package txring is the ENET transmit ring: frames go out either by
// reference (a lent RX buffer forwarded with zero copies, its page released
// on completion) or copied into a pool half page; only the frame's bytes are
// cleaned for the device; dma_wmb before R; one TDAR doorbell per batch
// (Flush); completions return pages to the pool. A full ring is reported,
// never waited for.
package txring

import (
	"errors"
	"fmt"

	"github.com/fosbury-net/fosbury/pagepool"
)

// Limits of the ring.
const (
	MinSize = 2
	MaxSize = 512
	// Align is the buffer alignment the ring requires of a frame given by
	// reference (Linux fec aligns i.MX6 TX buffers to 16 bytes).
	Align = 16
)

// Errors returned by Enqueue*. On any error the caller keeps ownership of
// what it passed in.
var (
	ErrFull    = errors.New("txring: ring full")
	ErrNoPage  = errors.New("txring: no free page to copy into")
	ErrBadBuf  = errors.New("txring: buffer empty, too long or misaligned")
	ErrClosed  = errors.New("txring: closed")
	ErrOptions = errors.New("txring: bad options")
)

// Options configures a ring.
type Options struct {
	Size     int
	Pool     *pagepool.Pool
	Desc     DescMem
	Doorbell Doorbell
}

// Stats counts the ring's work.
type Stats struct {
	RefFrames, CopyFrames uint64 // frames enqueued by reference / by copy
	CopiedBytes           uint64
	Full, NoPage, BadBuf  uint64 // refused enqueues
	Completed, TxErrors   uint64 // reclaimed descriptors, of which failed
	Doorbells             uint64
	DevLines              uint64 // cache lines cleaned
}

// Ring is one transmit ring. It is not safe for concurrent use: the driver
// serializes Enqueue*, Flush, Reclaim and Close.
type Ring struct {
	pool    *pagepool.Pool
	desc    DescMem
	bell    Doorbell
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
	switch {
	case o.Size < MinSize || o.Size > MaxSize:
		return nil, fmt.Errorf("%w: size %d not in %d..%d", ErrOptions, o.Size, MinSize, MaxSize)
	case o.Pool == nil || o.Desc == nil || o.Doorbell == nil:
		return nil, fmt.Errorf("%w: pool, descriptor memory and doorbell are required", ErrOptions)
	case o.Desc.Len() < o.Size*DescSize:
		return nil, fmt.Errorf("%w: %d bytes of descriptor memory for %d descriptors", ErrOptions, o.Desc.Len(), o.Size)
	}
	r := &Ring{pool: o.Pool, desc: o.Desc, bell: o.Doorbell,
		bufs: make([]pagepool.Buf, o.Size), fragPage: pagepool.NoPage}
	for i := range r.bufs {
		r.bufs[i].Page = pagepool.NoPage
		var st uint32
		if i == o.Size-1 {
			st = stW
		}
		r.desc.Store32(i*DescSize+offLenStat, st<<16)
	}
	r.pool.WMB()
	return r, nil
}

// Size is the number of descriptors.
func (r *Ring) Size() int { return len(r.bufs) }

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

// EnqueueRef queues b for transmission without copying. On success the ring
// owns b's page reference and releases it when the device is done.
func (r *Ring) EnqueueRef(b pagepool.Buf) error {
	if b.Len == 0 || int(b.Off)+int(b.Len) > pagepool.PageSize || int(b.Off)%Align != 0 {
		r.stats.BadBuf++
		return ErrBadBuf
	}
	if err := r.room(); err != nil {
		return err
	}
	r.stats.RefFrames++
	r.post(b)
	return nil
}

// EnqueueCopy copies frame into a pool half page and queues it. frame is
// not retained.
func (r *Ring) EnqueueCopy(frame []byte) error {
	if len(frame) == 0 || len(frame) > pagepool.HalfSize {
		r.stats.BadBuf++
		return ErrBadBuf
	}
	if err := r.room(); err != nil {
		return err
	}
	b, ok := r.half(len(frame))
	if !ok {
		r.stats.NoPage++
		return ErrNoPage
	}
	r.pool.CopyIn(b.Page, int(b.Off), frame)
	r.stats.CopyFrames++
	r.stats.CopiedBytes += uint64(len(frame))
	r.post(b)
	return nil
}

// half hands out half pages for copies, two per page: the page's second
// half waits in fragPage, holding the reference it will carry.
func (r *Ring) half(n int) (pagepool.Buf, bool) {
	if pg := r.fragPage; pg != pagepool.NoPage {
		r.fragPage = pagepool.NoPage
		return pagepool.Buf{Page: pg, Off: pagepool.HalfSize, Len: uint16(n)}, true
	}
	pg, ok := r.pool.Get()
	if !ok {
		return pagepool.Buf{}, false
	}
	r.pool.Ref(pg) // one reference per half
	r.fragPage = pg
	return pagepool.Buf{Page: pg, Off: 0, Len: uint16(n)}, true
}

// post cleans the frame's bytes and gives descriptor head to the device.
func (r *Ring) post(b pagepool.Buf) {
	r.pool.SyncForDevice(b.Page, int(b.Off), int(b.Len))
	r.stats.DevLines += uint64(pagepool.Lines(int(b.Off), int(b.Len)))
	i := r.head
	base := i * DescSize
	r.bufs[i] = b
	r.desc.Store32(base+offAddr, r.pool.BusAddr(b.Page, int(b.Off)))
	r.desc.Store32(base+offExt, extTxInt)
	r.desc.Store32(base+offBDU, 0)
	r.pool.DmaWMB() // the fields before R
	st := uint32(stR | stL | stTC)
	if i == len(r.bufs)-1 {
		st |= stW
	}
	r.desc.Store32(base+offLenStat, st<<16|uint32(b.Len))
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
		base := i * DescSize
		if uint16(r.desc.Load32(base+offLenStat)>>16)&stR != 0 {
			break
		}
		r.pool.DmaRMB() // the write-back fields after R
		if r.desc.Load32(base+offExt)&extTxErr != 0 {
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
