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

// RX adapts an rxring.Ring. Create the ring with Doorbell: mac.RXBell()
// and FCS: true (the MAC keeps the FCS, QEMU always writes it) and leave
// Options.Shift16 off: the ring expects the frame at the buffer start.
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
type TX struct {
	mu   sync.Mutex
	ring *txring.Ring
	base uint32
}

// NewTX wraps ring, whose descriptor memory starts at bus address base.
func NewTX(ring *txring.Ring, base uint32) (*TX, error) {
	if ring == nil {
		return nil, errors.New("enet: NewTX needs a ring")
	}
	return &TX{ring: ring, base: base}, nil
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
		Bytes:     s.CopiedBytes,
		RingFull:  s.Full,
		Completed: s.Completed,
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
