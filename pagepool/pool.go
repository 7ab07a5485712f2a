// Package pagepool owns the DMA-able pages of the appliance: 4 KiB pages
// carved from one fixed memory region that lies outside the Go heap (DDR
// identity mapped on the board, the model's RAM on the host), their
// reference counts and recycling, and the cache maintenance and DMA
// barriers that hand bytes between the CPU and a non-coherent device.
//
// It imports nothing of fosbury. The region and its cache and barrier
// instructions come through Memory: an ARM implementation in assembly
// (NewARMMemory, built for tamago/arm) or a host model
// (internal/noncoherent).
package pagepool

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Sizes of the pool's units.
const (
	PageSize  = 4096
	HalfSize  = PageSize / 2 // one receive or transmit buffer
	LineSize  = 64           // Cortex-A7 data cache line
	MaxPages  = 1 << 20
	busLimit  = 1 << 32 // the ENET uDMA addresses 32 bits
	noPageIdx = ^uint32(0)
)

// Memory is a DMA region and the CPU's cache and barrier operations on it.
// Offsets are bytes from the start of Bytes().
type Memory interface {
	// Bytes is the CPU's view of the whole region. It must not be Go heap
	// memory on hardware; the pool never hands out anything else.
	Bytes() []byte
	// BusAddr is the device address of Bytes()[0].
	BusAddr() uintptr
	// Clean writes back every dirty line covering [off, off+n) (DCCMVAC)
	// and waits for completion.
	Clean(off, n int)
	// Invalidate discards every line covering [off, off+n) (DCIMVAC); the
	// caller owns those whole lines.
	Invalidate(off, n int)
	// DmaRMB orders earlier loads of device-written memory before later
	// ones (DMB OSH).
	DmaRMB()
	// DmaWMB orders earlier stores before later stores as seen by the
	// device (DMB OSHST).
	DmaWMB()
	// WMB completes every earlier store before an MMIO doorbell (DSB ST).
	WMB()
}

// StoreTracker is implemented by a Memory that cannot see CPU stores by
// itself (the host model, which compares bytes and so misses a store of the
// value a stale cache line already shows). CopyIn and Wrote report stores to it.
// Hardware memories do not implement it.
type StoreTracker interface {
	CPUStored(off, n int)
}

// Page names one page of a pool.
type Page uint32

// NoPage names no page (a Buf or slot that holds nothing).
const NoPage = Page(noPageIdx)

// Buf is a byte range of one page together with one reference to that page:
// whoever holds a Buf must give it back exactly once, with Pool.Release or
// by handing it to something that will (a TX ring).
type Buf struct {
	Page Page
	Off  uint16 // offset in the page
	Len  uint16
}

// Stats is a snapshot of the pool counters.
type Stats struct {
	Pages     int    `json:"pages"`     // total pages
	InFlight  int    `json:"in_flight"` // pages with at least one reference
	Fresh     uint64 `json:"fresh"`     // pages handed out by Get
	Recycled  uint64 `json:"recycled"`  // pages returned to the free list at their last Unref
	Exhausted uint64 `json:"exhausted"` // Get calls that found no free page
	BadUnref  uint64 `json:"bad_unref"` // Ref/Unref of a free or unknown page (a caller's bug, ignored)
}

// Pool hands out pages of one region. Get, Ref, Unref and Stats are safe
// for concurrent use; the sync and barrier methods touch only the memory
// system.
type Pool struct {
	mem  Memory
	st   StoreTracker // nil on hardware
	buf  []byte
	bus  uintptr
	refs []atomic.Int32

	mu   sync.Mutex
	free []uint32 // stack of free page indexes

	fresh, recycled, exhausted, badUnref atomic.Uint64
}

// ErrRegion reports a region the pool cannot use.
var ErrRegion = errors.New("pagepool: unusable DMA region")

// New carves the whole region of mem into pages. The region's bus address
// must be page aligned and below 4 GiB.
func New(mem Memory) (*Pool, error) {
	b := mem.Bytes()
	bus := mem.BusAddr()
	n := len(b) / PageSize
	switch {
	case n == 0 || n > MaxPages:
		return nil, fmt.Errorf("%w: %d bytes", ErrRegion, len(b))
	case bus%PageSize != 0:
		return nil, fmt.Errorf("%w: bus address %#x not page aligned", ErrRegion, bus)
	case uint64(bus)+uint64(n*PageSize) > busLimit:
		return nil, fmt.Errorf("%w: bus address %#x beyond 32 bits", ErrRegion, bus)
	}
	p := &Pool{mem: mem, buf: b[:n*PageSize], bus: bus,
		refs: make([]atomic.Int32, n), free: make([]uint32, n)}
	p.st, _ = mem.(StoreTracker)
	for i := range p.free {
		p.free[i] = uint32(n - 1 - i) // page 0 comes out first
	}
	return p, nil
}

// Len is the number of pages.
func (p *Pool) Len() int { return len(p.refs) }

// Get takes a free page with a reference count of one. ok is false when
// the pool is exhausted.
func (p *Pool) Get() (pg Page, ok bool) {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 {
		p.mu.Unlock()
		p.exhausted.Add(1)
		return NoPage, false
	}
	i := p.free[n-1]
	p.free = p.free[:n-1]
	p.mu.Unlock()
	p.refs[i].Store(1)
	p.fresh.Add(1)
	return Page(i), true
}

// Ref adds a reference to a page in use. A page that is not in use (or
// not of this pool) is a caller's bug: counted in BadUnref, ignored.
func (p *Pool) Ref(pg Page) {
	if int(pg) >= len(p.refs) || p.refs[pg].Load() <= 0 {
		p.badUnref.Add(1)
		return
	}
	p.refs[pg].Add(1)
}

// Refs is the page's current reference count (0 for a free or unknown page).
func (p *Pool) Refs(pg Page) int32 {
	if int(pg) >= len(p.refs) {
		return 0
	}
	return p.refs[pg].Load()
}

// Unref drops a reference; the last one returns the page to the free list.
// Dropping a reference nobody holds is counted in BadUnref and ignored.
func (p *Pool) Unref(pg Page) {
	if int(pg) >= len(p.refs) {
		p.badUnref.Add(1)
		return
	}
	switch r := p.refs[pg].Add(-1); {
	case r > 0:
		return
	case r < 0:
		p.refs[pg].Add(1)
		p.badUnref.Add(1)
		return
	}
	p.mu.Lock()
	p.free = append(p.free, uint32(pg)) // cap is Len: never grows
	p.mu.Unlock()
	p.recycled.Add(1)
}

// Release gives back the reference a Buf carries.
func (p *Pool) Release(b Buf) { p.Unref(b.Page) }

// Bytes is the CPU view of n bytes at off in page pg.
func (p *Pool) Bytes(pg Page, off, n int) []byte {
	o := int(pg)*PageSize + off
	return p.buf[o : o+n : o+n]
}

// CopyIn copies src to off in page pg (the CPU writes a frame it built) and
// returns the number of bytes copied. Prefer it to writing through Bytes:
// the host model then sees every store.
func (p *Pool) CopyIn(pg Page, off int, src []byte) int {
	n := copy(p.Bytes(pg, off, len(src)), src)
	p.Wrote(pg, off, n)
	return n
}

// Wrote tells the memory that the CPU stored n bytes at off in page pg
// through Bytes (a frame built in place). Hardware needs nothing; the host
// model needs it to see stores of values a stale line already shows.
func (p *Pool) Wrote(pg Page, off, n int) {
	if p.st != nil {
		p.st.CPUStored(int(pg)*PageSize+off, n)
	}
}

// BufBytes is the CPU view of a Buf.
func (p *Pool) BufBytes(b Buf) []byte { return p.Bytes(b.Page, int(b.Off), int(b.Len)) }

// BusAddr is the device address of byte off of page pg.
func (p *Pool) BusAddr(pg Page, off int) uint32 {
	return uint32(p.bus) + uint32(int(pg)*PageSize+off)
}

// PageAt maps a device address back to its page and offset.
func (p *Pool) PageAt(bus uint32) (pg Page, off int, ok bool) {
	o := int64(bus) - int64(p.bus)
	if o < 0 || o >= int64(len(p.buf)) {
		return NoPage, 0, false
	}
	return Page(o / PageSize), int(o % PageSize), true
}

// Lines is the number of cache lines covering n bytes at off of a page.
func Lines(off, n int) int {
	if n <= 0 {
		return 0
	}
	return (off+n-1)/LineSize - off/LineSize + 1
}

// SyncForCPU makes n bytes at off in pg, just written by the device, visible
// to the CPU: it invalidates only the lines covering them. Call it after the
// device handed the buffer back (after dma_rmb), never before: the CPU may
// speculatively refill lines at any time while the device owns them.
func (p *Pool) SyncForCPU(pg Page, off, n int) {
	if n <= 0 {
		return
	}
	o := int(pg)*PageSize + off
	p.mem.Invalidate(o, n)
}

// SyncForDevice makes n bytes at off in pg, written by the CPU, visible to
// the device, and leaves no dirty line behind that a later eviction could
// write over the device's data: it cleans only the lines covering them.
func (p *Pool) SyncForDevice(pg Page, off, n int) {
	if n <= 0 {
		return
	}
	o := int(pg)*PageSize + off
	p.mem.Clean(o, n)
}

// DmaRMB is dma_rmb: between reading a descriptor's ownership bit and
// reading its other fields or its buffer.
func (p *Pool) DmaRMB() { p.mem.DmaRMB() }

// DmaWMB is dma_wmb: between writing a descriptor's fields and giving it to
// the device.
func (p *Pool) DmaWMB() { p.mem.DmaWMB() }

// WMB is wmb: before the MMIO doorbell.
func (p *Pool) WMB() { p.mem.WMB() }

// Stats returns a snapshot of the counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	nfree := len(p.free)
	p.mu.Unlock()
	return Stats{
		Pages: len(p.refs), InFlight: len(p.refs) - nfree,
		Fresh: p.fresh.Load(), Recycled: p.recycled.Load(),
		Exhausted: p.exhausted.Load(), BadUnref: p.badUnref.Load(),
	}
}
