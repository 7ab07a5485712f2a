// frame.go owns what the poll callback sees: a frame lent on its DMA
// buffer, and the verdict it returns.
package rxring

import "github.com/fosbury-net/fosbury/pagepool"

// Verdict is the callback's decision about a frame. The ring counts it; what
// happens to the buffer depends only on whether the callback took references.
type Verdict uint8

const (
	// Drop: the frame is discarded; its half page goes straight back.
	Drop Verdict = iota
	// Forward: the callback took a reference (Frame.Ref) and gave it to
	// a TX ring, which releases it when the frame has been sent.
	Forward
	// Local: the callback copied what it needed (into a netstack buffer)
	// before returning; the half page goes straight back.
	Local
)

// Frame is a received frame lent to the Poll callback. Its bytes are the
// DMA buffer itself, synced for the CPU: valid only until the callback
// returns. The callback may modify them in place (the ring cleans them
// before the device reuses the buffer). A holder of a reference (Ref) that
// writes into the buffer must SyncForDevice what it wrote before releasing
// it (a TX ring does, to send it).
type Frame struct {
	r    *Ring
	b    []byte
	page pagepool.Page
	off  int
	ext  uint32
	refs int
}

// Bytes is the frame without FCS, on the DMA buffer.
func (f *Frame) Bytes() []byte { return f.b }

// Len is len(f.Bytes()).
func (f *Frame) Len() int { return len(f.b) }

// Ext is the descriptor's enhanced status word (checksum and protocol
// flags of IMX6ULRM 22.6.14).
func (f *Frame) Ext() uint32 { return f.ext }

// Ref takes a reference to the frame's page and returns it with the frame's
// range: the way to keep the frame past the callback without copying it
// (zero-copy forward). Whoever holds the Buf must release it exactly once
// (pagepool.Pool.Release, or a TX ring on completion). The ring will not
// give this half back to the device while the reference is held.
func (f *Frame) Ref() pagepool.Buf {
	if f.b == nil { // the callback returned: nothing to refer to
		return pagepool.Buf{Page: pagepool.NoPage}
	}
	f.r.pool.Ref(f.page)
	f.refs++
	return pagepool.Buf{Page: f.page, Off: uint16(f.off), Len: uint16(len(f.b))}
}
