// rings.go owns the adapters between the MAC and fosbury's rings: an
// rxring.Ring with its frame handler becomes the MAC's RXRing, a
// txring.Ring becomes its TXRing plus a serialised send side. The rings
// keep descriptors, buffers and barriers; the adapters add the bus
// address of the descriptor memory, the locking the TX ring needs (the
// stack sends while the poll loop reclaims), and counter snapshots that
// other goroutines may read.

package enet

import (
	"errors"
	"sync"

	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

// RX adapts an rxring.Ring. Create the ring with Doorbell: mac.RXBell(),
// FCS: true (the MAC keeps the FCS, QEMU always writes it) and the same
// Shift16 as the MAC's Options (RACC.SHIFT16).
type RX struct {
	mu      sync.Mutex // Poll vs counter readers
	ring    *rxring.Ring
	base    uint32
	handler func(*rxring.Frame) rxring.Verdict
}

// NewRX wraps ring, whose descriptor memory starts at bus address base
// (pagepool.Uncached.BusAddr), lending every good frame to handler.
func NewRX(ring *rxring.Ring, base uint32, handler func(*rxring.Frame) rxring.Verdict) (*RX, error) {
	if ring == nil || handler == nil {
		return nil, errors.New("enet: NewRX needs a ring and a handler")
	}
	return &RX{ring: ring, base: base, handler: handler}, nil
}

// DescBase implements RXRing.
func (a *RX) DescBase() uint32 { return a.base }

// Len implements RXRing.
func (a *RX) Len() int { return a.ring.Size() }

// BufSize implements RXRing.
func (a *RX) BufSize() int { return a.ring.BufSize() }

// Start implements RXStarter.
func (a *RX) Start() {
	a.mu.Lock()
	a.ring.Start()
	a.mu.Unlock()
}

// Poll implements RXRing.
func (a *RX) Poll(budget int) int {
	a.mu.Lock()
	n := a.ring.Poll(budget, a.handler)
	a.mu.Unlock()
	return n
}

// RXCounters implements RXCounterSource.
func (a *RX) RXCounters() RXCounters {
	a.mu.Lock()
	s := a.ring.Stats()
	a.mu.Unlock()
	return RXCounters{
		Frames: s.Frames, Bytes: s.Bytes,
		LengthErr: s.Err(rxring.LengthErr), NonOctet: s.Err(rxring.NonOctet),
		CRCErr: s.Err(rxring.CRC), Overrun: s.Err(rxring.Overrun),
		Truncated: s.Err(rxring.Truncated), MACErr: s.Err(rxring.MACErr),
		Fragment: s.Err(rxring.Fragment), BadLength: s.Err(rxring.BadLength),
		RefillFailed: s.RefillFail, Dropped: s.Drop,
	}
}

// TX adapts a txring.Ring (created with Doorbell: mac.TXBell()). Every
// ring access goes through the adapter's lock, so the stack's goroutine may
// send while the poll loop reclaims.
//
// Besides Send/SendRef/Flush it offers the lend-commit-flush side a
// netstack endpoint wants (netstack/link.Port's TxReserve, TxCommit, TxFlush):
// the stack writes the frame straight into a pool half page, which is then
// queued by reference, so a locally built frame is copied exactly once.
type TX struct {
	mu   sync.Mutex
	ring *txring.Ring
	base uint32
	pool *pagepool.Pool

	frag     pagepool.Page // second half of a page, holding its own reference
	reserved pagepool.Buf  // lent by TxReserve, Page == NoPage if none
	dropped  uint64        // commits the ring refused
}

// NewTX wraps ring, whose descriptor memory starts at bus address base.
// pool is the ring's pool; it may be nil only if neither TxReserve nor
// Forward is used.
func NewTX(ring *txring.Ring, base uint32, pool *pagepool.Pool) (*TX, error) {
	if ring == nil {
		return nil, errors.New("enet: NewTX needs a ring")
	}
	return &TX{ring: ring, base: base, pool: pool, frag: pagepool.NoPage,
		reserved: pagepool.Buf{Page: pagepool.NoPage}}, nil
}

// TxReserve lends a buffer of at least n bytes (at most a half page) for
// the next frame, valid until TxCommit. ok is false when the ring is full
// even after reclaiming, or no page is free. A reservation never committed
// is reused by the next TxReserve.
func (a *TX) TxReserve(n int) (buf []byte, ok bool) {
	if a.pool == nil || n <= 0 || n > pagepool.HalfSize {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ring.Free() == 0 && a.ring.Reclaim(a.ring.Size()) == 0 {
		return nil, false
	}
	if a.reserved.Page == pagepool.NoPage {
		switch {
		case a.frag != pagepool.NoPage:
			a.reserved = pagepool.Buf{Page: a.frag, Off: pagepool.HalfSize}
			a.frag = pagepool.NoPage
		default:
			pg, ok := a.pool.Get()
			if !ok {
				return nil, false
			}
			a.pool.Ref(pg) // one reference per half
			a.frag = pg
			a.reserved = pagepool.Buf{Page: pg}
		}
	}
	return a.pool.Bytes(a.reserved.Page, int(a.reserved.Off), pagepool.HalfSize), true
}

// TxCommit queues the first n bytes of the reserved buffer (the ring
// cleans exactly those lines for the device). The doorbell waits for
// TxFlush.
func (a *TX) TxCommit(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.reserved
	if b.Page == pagepool.NoPage {
		return
	}
	a.reserved = pagepool.Buf{Page: pagepool.NoPage}
	if n <= 0 || n > pagepool.HalfSize {
		a.pool.Release(b)
		a.dropped++
		return
	}
	b.Len = uint16(n)
	if err := a.ring.EnqueueRef(b); err != nil {
		a.pool.Release(b)
		a.dropped++
	}
}

// TxFlush rings TDAR once for every frame committed since the last flush.
func (a *TX) TxFlush() { a.Flush() }

// Close gives back the pages the adapter holds for TxReserve. Call it
// before closing the ring's pool, after the last TxCommit.
func (a *TX) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reserved.Page != pagepool.NoPage {
		a.pool.Release(a.reserved)
		a.reserved = pagepool.Buf{Page: pagepool.NoPage}
	}
	if a.frag != pagepool.NoPage {
		a.pool.Unref(a.frag)
		a.frag = pagepool.NoPage
	}
}

// DescBase implements TXRing.
func (a *TX) DescBase() uint32 { return a.base }

// Len implements TXRing.
func (a *TX) Len() int { return a.ring.Size() }

// Reclaim implements TXRing: it takes back every finished descriptor.
func (a *TX) Reclaim() int {
	a.mu.Lock()
	n := a.ring.Reclaim(a.ring.Size())
	a.mu.Unlock()
	return n
}

// Send copies a locally built frame into a pool buffer and queues it; the
// doorbell waits for Flush.
func (a *TX) Send(frame []byte) error {
	a.mu.Lock()
	err := a.ring.EnqueueCopy(frame)
	a.mu.Unlock()
	return err
}

// SendRef queues a buffer by reference (zero-copy forward of a received
// frame, from rxring.Frame.Ref); the ring releases it once sent.
func (a *TX) SendRef(b pagepool.Buf) error {
	a.mu.Lock()
	err := a.ring.EnqueueRef(b)
	a.mu.Unlock()
	return err
}

// Forward queues a received frame, from inside the RX handler: by
// reference when its buffer meets the TX ring's alignment (zero copy), else
// (a SHIFT16 frame starts 2 bytes into its buffer) by one copy into a pool
// half page. Either way the handler may return rxring.Forward. On error
// (ring full, no page) nothing is held and the frame is lost: count it.
func (a *TX) Forward(fr *rxring.Frame) error {
	if a.pool == nil {
		return errors.New("enet: Forward needs NewTX's pool")
	}
	b := fr.Ref()
	if b.Page == pagepool.NoPage {
		return errors.New("enet: Forward outside the RX handler")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if int(b.Off)%txring.Align == 0 {
		err := a.ring.EnqueueRef(b)
		if err != nil {
			a.pool.Release(b)
		}
		return err
	}
	a.pool.Release(b)
	return a.ring.EnqueueCopy(fr.Bytes())
}

// Flush rings TDAR once for everything queued since the last Flush.
func (a *TX) Flush() {
	a.mu.Lock()
	a.ring.Flush()
	a.mu.Unlock()
}

// Free reports how many descriptors are free.
func (a *TX) Free() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ring.Free()
}

// TXCounters implements TXCounterSource.
func (a *TX) TXCounters() TXCounters {
	a.mu.Lock()
	s := a.ring.Stats()
	a.mu.Unlock()
	return TXCounters{
		Frames:    s.RefFrames + s.CopyFrames,
		Bytes:     s.CopiedBytes, // bytes Send copied; forwarded frames are not copied
		RingFull:  s.Full,
		Completed: s.Completed,
		Refused:   a.dropped + s.NoPage + s.BadBuf,
	}
}

var (
	_ RXRing          = (*RX)(nil)
	_ RXStarter       = (*RX)(nil)
	_ RXCounterSource = (*RX)(nil)
	_ TXRing          = (*TX)(nil)
	_ TXCounterSource = (*TX)(nil)
	_ rxring.Doorbell = Bell{}
	_ txring.Doorbell = Bell{}
)
