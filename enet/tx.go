// tx.go owns a port's transmit side: the one txring.Ring of the port, and
// the lock that serialises it, because the netstack sends from its own
// goroutines while the poll loop forwards into it and reclaims. Every
// transmit buffer of the port is lent or taken here, nowhere else.

package enet

import (
	"sync"

	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/txring"
)

// TX is one port's transmit ring and its lock. The ring must have been
// created with the MAC's TXBell as its doorbell; TX owns it from NewTX on.
type TX struct {
	mu   sync.Mutex
	ring *txring.Ring
}

// NewTX takes ownership of ring.
func NewTX(ring *txring.Ring) *TX { return &TX{ring: ring} }

// With lends fill a transmit buffer of max bytes and queues the first n,
// n being what fill returns (n <= 0 sends nothing), all under the lock:
// the loan cannot outlive the call nor be shared by two callers. The
// doorbell waits for Flush. It fails, without calling fill, when the ring
// is full even after reclaiming, or no page is free.
func (t *TX) With(max int, fill func(buf []byte) int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ring.EnqueueWith(max, fill)
}

// SendRefs queues received buffers by reference (zero-copy forwarding)
// under one lock, and returns how many were queued. TX takes every buffer
// in bufs: those the ring refuses (full, misaligned) are released at once
// and counted in the ring's Stats.
func (t *TX) SendRefs(bufs []pagepool.Buf) (queued int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range bufs {
		if t.ring.EnqueueRef(b) == nil {
			queued++
		}
	}
	return queued
}

// Flush rings TDAR once for everything queued since the last Flush.
func (t *TX) Flush() {
	t.mu.Lock()
	t.ring.Flush()
	t.mu.Unlock()
}

// Reclaim takes back every descriptor the device has finished with and
// returns how many. The poll loop calls it at the start of every pass.
func (t *TX) Reclaim() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ring.Reclaim(t.ring.Size())
}

// reset abandons what was not sent and rewrites the ring from descriptor
// 0, after the MAC was stopped (see MAC.restart).
func (t *TX) reset() {
	t.mu.Lock()
	t.ring.Reset()
	t.mu.Unlock()
}

// Stats returns the ring's counters.
func (t *TX) Stats() txring.Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ring.Stats()
}

// Free reports how many descriptors are free.
func (t *TX) Free() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ring.Free()
}

// Close releases every buffer the ring holds. Call it after MAC.Stop.
func (t *TX) Close() {
	t.mu.Lock()
	t.ring.Close()
	t.mu.Unlock()
}
