// Package copyring is the benchmark baseline: a copy-based ENET ring that
// behaves like tamago's (soc/nxp/enet): one fixed buffer per descriptor,
// every received frame copied out into a new slice, every transmitted frame
// copied into the descriptor's fixed buffer, one RDAR/TDAR write per frame.
// Because the model's buffers are cacheable (tamago's are uncached), it
// syncs its whole fixed buffer on receive, as a fixed-size DMA mapping does,
// and uses the same barriers as the real rings so it is correct on the
// model. It is not used by the firmware.
package copyring

import (
	"errors"

	"github.com/fosbury-net/fosbury/pagepool"
)

const (
	descSize = 32
	stE      = 0x8000
	stW      = 0x2000
	stL      = 0x0800
	stTC     = 0x0400
	errMask  = 0x0037
	extRxInt = 0x00800000
	extTxInt = 0x40000000
	bufSize  = 1536
)

// DescMem and Doorbell are the same seams as the real rings'.
type DescMem interface {
	Load32(off int) uint32
	Store32(off int, v uint32)
}

// Doorbell is RDAR or TDAR.
type Doorbell interface{ Kick() }

type ring struct {
	pool  *pagepool.Pool
	desc  DescMem
	bell  Doorbell
	bufs  []pagepool.Page
	next  int
	Bytes uint64 // bytes copied
}

func newRing(size int, pool *pagepool.Pool, desc DescMem, bell Doorbell) (ring, error) {
	r := ring{pool: pool, desc: desc, bell: bell, bufs: make([]pagepool.Page, size)}
	for i := range r.bufs {
		pg, ok := pool.Get()
		if !ok {
			return r, errors.New("copyring: pool too small")
		}
		r.bufs[i] = pg
	}
	return r, nil
}

func (r *ring) post(i int, st uint32, ext uint32, n int) {
	base := i * descSize
	r.desc.Store32(base+4, r.pool.BusAddr(r.bufs[i], 0))
	r.desc.Store32(base+8, ext)
	r.desc.Store32(base+16, 0)
	r.pool.DmaWMB()
	if i == len(r.bufs)-1 {
		st |= stW
	}
	r.desc.Store32(base, st<<16|uint32(n))
	r.pool.WMB()
	r.bell.Kick() // one doorbell per frame, as tamago's Receive/Transmit
}

// RX is the receive side.
type RX struct{ ring }

// NewRX arms every descriptor (the driver kicks with Start).
func NewRX(size int, pool *pagepool.Pool, desc DescMem, bell Doorbell) (*RX, error) {
	r, err := newRing(size, pool, desc, bell)
	if err != nil {
		return nil, err
	}
	x := &RX{r}
	for i := range x.bufs {
		pool.SyncForDevice(x.bufs[i], 0, bufSize)
		x.post(i, stE, extRxInt, 0)
	}
	return x, nil
}

// Receive returns the next frame copied into a new slice, or nil.
func (x *RX) Receive() []byte {
	i := x.next
	base := i * descSize
	if uint16(x.desc.Load32(base)>>16)&stE != 0 {
		return nil
	}
	x.pool.DmaRMB()
	w := x.desc.Load32(base)
	st, n := uint16(w>>16), int(uint16(w))-4
	x.next = (i + 1) % len(x.bufs)
	var out []byte
	if st&stL != 0 && st&errMask == 0 && n >= 14 && n <= bufSize-4 {
		x.pool.SyncForCPU(x.bufs[i], 0, bufSize) // the whole fixed mapping
		out = make([]byte, n)
		copy(out, x.pool.Bytes(x.bufs[i], 0, n))
		x.Bytes += uint64(n)
	}
	x.post(i, stE, extRxInt, 0)
	return out
}

// TX is the transmit side.
type TX struct{ ring }

// NewTX sets every descriptor not ready.
func NewTX(size int, pool *pagepool.Pool, desc DescMem, bell Doorbell) (*TX, error) {
	r, err := newRing(size, pool, desc, bell)
	if err != nil {
		return nil, err
	}
	for i := range r.bufs {
		var st uint32
		if i == size-1 {
			st = stW
		}
		desc.Store32(i*descSize, st<<16)
	}
	pool.WMB()
	return &TX{r}, nil
}

// ErrBusy is returned when the next descriptor was not sent yet.
var ErrBusy = errors.New("copyring: frame not sent")

// Transmit copies frame into the next fixed buffer and rings TDAR.
func (x *TX) Transmit(frame []byte) error {
	i := x.next
	if uint16(x.desc.Load32(i*descSize)>>16)&stE != 0 { // R
		return ErrBusy
	}
	x.pool.DmaRMB()
	x.pool.CopyIn(x.bufs[i], 0, frame)
	x.Bytes += uint64(len(frame))
	x.pool.SyncForDevice(x.bufs[i], 0, len(frame))
	x.next = (i + 1) % len(x.bufs)
	x.post(i, stE|stL|stTC, extTxInt, len(frame))
	return nil
}
