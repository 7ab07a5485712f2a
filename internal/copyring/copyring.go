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

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/pagepool"
)

const (
	rxErrors = bd.RxLG | bd.RxNO | bd.RxCR | bd.RxOV | bd.RxTR
	bufSize  = 1536
)

type ring struct {
	pool  *pagepool.Pool
	desc  bd.Mem
	bell  bd.Doorbell
	bufs  []pagepool.Page
	next  int
	Bytes uint64 // bytes copied
}

func newRing(size int, pool *pagepool.Pool, desc bd.Mem, bell bd.Doorbell) (ring, error) {
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

func (r *ring) post(i int, st uint16, ext uint32, n int) {
	base := i * bd.Size
	r.desc.Store32(base+bd.Addr, r.pool.BusAddr(r.bufs[i], 0))
	r.desc.Store32(base+bd.Ext, ext)
	r.desc.Store32(base+bd.BDU, 0)
	r.pool.DmaWMB()
	if i == len(r.bufs)-1 {
		st |= bd.W
	}
	r.desc.Store32(base, bd.Word0(st, n))
	r.pool.WMB()
	r.bell.Kick() // one doorbell per frame, as tamago's Receive/Transmit
}

// RX is the receive side.
type RX struct{ ring }

// NewRX arms every descriptor (the driver kicks with Start).
func NewRX(size int, pool *pagepool.Pool, desc bd.Mem, bell bd.Doorbell) (*RX, error) {
	r, err := newRing(size, pool, desc, bell)
	if err != nil {
		return nil, err
	}
	x := &RX{r}
	for i := range x.bufs {
		pool.SyncForDevice(x.bufs[i], 0, bufSize)
		x.post(i, bd.Own, bd.ExtRxInt, 0)
	}
	return x, nil
}

// Receive returns the next frame copied into a new slice, or nil.
func (x *RX) Receive() []byte {
	i := x.next
	base := i * bd.Size
	if bd.Status(x.desc.Load32(base))&bd.Own != 0 {
		return nil
	}
	x.pool.DmaRMB()
	w := x.desc.Load32(base)
	st, n := bd.Status(w), bd.Length(w)-4
	x.next = (i + 1) % len(x.bufs)
	var out []byte
	if st&bd.L != 0 && st&rxErrors == 0 && n >= 14 && n <= bufSize-4 {
		x.pool.SyncForCPU(x.bufs[i], 0, bufSize) // the whole fixed mapping
		out = make([]byte, n)
		copy(out, x.pool.Bytes(x.bufs[i], 0, n))
		x.Bytes += uint64(n)
	}
	x.post(i, bd.Own, bd.ExtRxInt, 0)
	return out
}

// TX is the transmit side.
type TX struct{ ring }

// NewTX sets every descriptor not ready.
func NewTX(size int, pool *pagepool.Pool, desc bd.Mem, bell bd.Doorbell) (*TX, error) {
	r, err := newRing(size, pool, desc, bell)
	if err != nil {
		return nil, err
	}
	for i := range r.bufs {
		var st uint16
		if i == size-1 {
			st = bd.W
		}
		desc.Store32(i*bd.Size+bd.LenStat, bd.Word0(st, 0))
	}
	pool.WMB()
	return &TX{r}, nil
}

// ErrBusy is returned when the next descriptor was not sent yet.
var ErrBusy = errors.New("copyring: frame not sent")

// Transmit copies frame into the next fixed buffer and rings TDAR.
func (x *TX) Transmit(frame []byte) error {
	i := x.next
	if bd.Status(x.desc.Load32(i*bd.Size))&bd.Own != 0 { // R
		return ErrBusy
	}
	x.pool.DmaRMB()
	x.pool.CopyIn(x.bufs[i], 0, frame)
	x.Bytes += uint64(len(frame))
	x.pool.SyncForDevice(x.bufs[i], 0, len(frame))
	x.next = (i + 1) % len(x.bufs)
	x.post(i, bd.Own|bd.L|bd.TxTC, bd.ExtTxInt, len(frame))
	return nil
}
