// enet.go owns the model of the ENET uDMA engine: it walks the RX and TX
// enhanced buffer-descriptor rings (IMX6ULRM 22.6.14), moves frame bytes to
// and from RAM, writes status back, and flags any descriptor it reads with
// inconsistent fields.
package noncoherent

import (
	"fmt"
	"hash/crc32"
)

// Enhanced buffer descriptor layout, defined here independently of the
// rings (the model is the hardware): IMX6ULRM 22.6.14, Linux fec.h.
const (
	DescSize = 32

	wLenStat = 0 // bits 15:0 data length, 31:16 status/control
	wAddr    = 1 // buffer pointer
	wExt     = 2 // enhanced status/control
	wProt    = 3
	wBDU     = 4 // bit 31: last buffer descriptor update done

	StE  = 0x8000 // RX: empty (owned by the device)
	StR  = 0x8000 // TX: ready (owned by the device)
	StW  = 0x2000 // wrap: last descriptor of the ring
	StL  = 0x0800 // last buffer of the frame
	StTC = 0x0400 // TX: append CRC
	StLG = 0x0020 // RX errors: length violation
	StNO = 0x0010 // non-octet aligned
	StCR = 0x0004 // CRC or frame error
	StOV = 0x0002 // overrun
	StTR = 0x0001 // truncated

	ExtRxInt = 0x00800000 // RX_INT: raise RXF for this descriptor
	ExtME    = 0x80000000 // RX: MAC error
	ExtTxInt = 0x40000000 // TX_INT: raise TXF for this descriptor
	ExtTXE   = 0x00008000 // TX: some error below occurred
	ExtUE    = 0x00002000 // TX underflow
	ExtEE    = 0x00001000 // excess collisions
	ExtFE    = 0x00000800 // frame error
	ExtLCE   = 0x00000400 // late collision
	ExtOE    = 0x00000200 // FIFO overflow
	ExtTSE   = 0x00000100 // timestamp error
	BDU      = 0x80000000

	fcsLen = 4
)

// ENETConfig describes the rings the driver programmed (ERDSR, ETDSR, MRBR).
type ENETConfig struct {
	Rx, Tx         *DescRegion
	RxSize, TxSize int
	MRBR           int  // receive buffer size, multiple of 16
	FCS            bool // the MAC writes the 4 FCS bytes and counts them
	Shift16        bool // RACC.SHIFT16: two bytes before each frame, counted
	Backlog        int  // frames held while no descriptor is empty
}

// ENETStats counts the device's own view.
type ENETStats struct {
	RxFrames, RxMissed, RxDescs uint64
	TxFrames, TxDescs           uint64
	TxErrors                    uint64 // descriptors written back with TXE
}

var txErrCauses = [...]uint32{ExtUE, ExtEE, ExtFE, ExtLCE, ExtOE, ExtTSE}

// ENET is the modelled DMA engine of one MAC.
type ENET struct {
	s   *System
	cfg ENETConfig

	q     [][]byte // backlog of frames waiting for a descriptor
	qErr  []uint16 // error status bits to report for each
	qLen  []int
	qHead int
	qN    int

	rxNext, txNext int
	rxSoFar        int
	rdar, tdar     bool
	txBuf          []byte
	txLen          int
	onTx           func([]byte)
	fcs            [4]byte

	Stats ENETStats
}

// NewENET attaches a device to the system.
func (s *System) NewENET(cfg ENETConfig) (*ENET, error) {
	switch {
	case cfg.Rx == nil || cfg.Tx == nil:
		return nil, fmt.Errorf("noncoherent: ENET needs RX and TX descriptor regions")
	case cfg.RxSize < 1 || cfg.RxSize*DescSize > cfg.Rx.Len():
		return nil, fmt.Errorf("noncoherent: RX ring of %d does not fit", cfg.RxSize)
	case cfg.TxSize < 1 || cfg.TxSize*DescSize > cfg.Tx.Len():
		return nil, fmt.Errorf("noncoherent: TX ring of %d does not fit", cfg.TxSize)
	case cfg.MRBR <= 0 || cfg.MRBR%16 != 0:
		return nil, fmt.Errorf("noncoherent: MRBR %d is not a positive multiple of 16", cfg.MRBR)
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = 64
	}
	e := &ENET{s: s, cfg: cfg, q: make([][]byte, cfg.Backlog),
		qErr: make([]uint16, cfg.Backlog), qLen: make([]int, cfg.Backlog),
		txBuf: make([]byte, 16384)}
	for i := range e.q {
		e.q[i] = make([]byte, 16384)
	}
	s.devs = append(s.devs, e)
	return e, nil
}

// OnTransmit sets the wire: fn sees each transmitted frame (lent, without
// FCS) as the device read it from RAM.
func (e *ENET) OnTransmit(fn func(frame []byte)) { e.onTx = fn }

// Inject puts a frame on the wire towards the MAC; errBits (StLG, StNO,
// StCR, StOV, StTR) make the MAC report it as bad. It reports false (and
// counts a miss) when the backlog is full.
func (e *ENET) Inject(frame []byte, errBits uint16) bool {
	if e.qN == len(e.q) || len(frame) > len(e.q[0])-fcsLen-2 {
		e.Stats.RxMissed++
		return false
	}
	i := (e.qHead + e.qN) % len(e.q)
	n := 0
	if e.cfg.Shift16 {
		e.q[i][0], e.q[i][1] = 0, 0
		n = 2
	}
	n += copy(e.q[i][n:], frame)
	if e.cfg.FCS {
		c := crc32.ChecksumIEEE(frame) // QEMU 7.2's is wrong; ours is not checked either
		e.q[i][n], e.q[i][n+1], e.q[i][n+2], e.q[i][n+3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
		n += fcsLen
	}
	e.qLen[i], e.qErr[i] = n, errBits
	e.qN++
	return true
}

// Backlog is the number of frames waiting for an empty descriptor.
func (e *ENET) Backlog() int { return e.qN }

type doorbell struct {
	e  *ENET
	rx bool
}

// Kick is the MMIO write to RDAR or TDAR.
func (d doorbell) Kick() {
	s := d.e.s
	s.C.Doorbells++
	for _, r := range s.descs {
		if r.Pending() > 0 {
			s.fail("doorbell rung with %d descriptor stores still buffered (no wmb)", r.Pending())
			break
		}
	}
	if d.rx {
		d.e.rdar = true
	} else {
		d.e.tdar = true
	}
	s.tick()
}

// RxDoorbell is RDAR.
func (e *ENET) RxDoorbell() interface{ Kick() } { return doorbell{e, true} }

// TxDoorbell is TDAR.
func (e *ENET) TxDoorbell() interface{ Kick() } { return doorbell{e, false} }

// Step processes up to max RX and max TX descriptors and returns how many.
func (e *ENET) Step(max int) int {
	n := 0
	for i := 0; i < max && e.rxOne(); i++ {
		n++
	}
	for i := 0; i < max && e.txOne(); i++ {
		n++
	}
	return n
}

// check validates the fields of descriptor d the device just took over.
func (e *ENET) check(r *DescRegion, ring string, d, size int, st uint16, addr uint32, bufLen int, ext, extWant uint32) (int, bool) {
	base := d * DescSize / 4
	if off, bad := r.raced(base+wLenStat, base, DescSize/4); bad {
		e.s.fail("%s descriptor %d: ownership visible before the field at +%d (missing dma_wmb)", ring, d, off)
	}
	if (st&StW != 0) != (d == size-1) {
		e.s.fail("%s descriptor %d: wrap bit %v in a ring of %d", ring, d, st&StW != 0, size)
	}
	if ext&extWant == 0 {
		e.s.fail("%s descriptor %d: interrupt option bit not set", ring, d)
	}
	off := int(addr) - int(e.s.cfg.BusBase)
	if addr%16 != 0 || off < 0 || off+bufLen > len(e.s.ram) {
		e.s.fail("%s descriptor %d: buffer %#x+%d outside the DMA region or misaligned", ring, d, addr, bufLen)
		return 0, false
	}
	return off, true
}

func (e *ENET) rxOne() bool {
	if !e.rdar || e.qN == 0 {
		return false
	}
	r, d := e.cfg.Rx, e.rxNext
	base := d * DescSize / 4
	w0 := r.devLoad(base + wLenStat)
	st := uint16(w0 >> 16)
	if st&StE == 0 {
		e.rdar = false // QEMU: hold frames until RDAR is written again
		return false
	}
	ext := r.devLoad(base + wExt)
	off, ok := e.check(r, "RX", d, e.cfg.RxSize, st, r.devLoad(base+wAddr), e.cfg.MRBR, ext, ExtRxInt)
	if r.devLoad(base+wBDU)&BDU != 0 {
		e.s.fail("RX descriptor %d: BDU not cleared by the driver", d)
	}
	e.Stats.RxDescs++
	q := e.qHead
	frame := e.q[q][:e.qLen[q]]
	n := min(len(frame), e.cfg.MRBR)
	length := n // L=0: the bytes in this buffer; L=1: the whole frame
	e.rxSoFar += n
	if ok {
		e.s.dmaWrite(off, frame[:n])
	}
	out := st&StW | StL
	if n < len(frame) {
		out &^= StL // the frame continues in the next descriptor
		copy(e.q[q], frame[n:])
		e.qLen[q] -= n
	} else {
		out |= e.qErr[q]
		length = e.rxSoFar
		e.rxSoFar = 0
		e.qHead = (e.qHead + 1) % len(e.q)
		e.qN--
		e.Stats.RxFrames++
	}
	x := ext & ExtRxInt
	if out&StL != 0 && out&(StLG|StNO|StCR|StOV|StTR) != 0 {
		x |= ExtME
	}
	r.devStore(base+wExt, x)
	r.devStore(base+wBDU, BDU)
	r.devStore(base+wLenStat, uint32(out)<<16|uint32(length))
	e.rxNext = (d + 1) % e.cfg.RxSize
	if st&StW != 0 {
		e.rxNext = 0
	}
	return true
}

func (e *ENET) txOne() bool {
	if !e.tdar {
		return false
	}
	r, d := e.cfg.Tx, e.txNext
	base := d * DescSize / 4
	w0 := r.devLoad(base + wLenStat)
	st := uint16(w0 >> 16)
	if st&StR == 0 {
		e.tdar = false // TDAR clears when no ready descriptor is left
		return false
	}
	n := int(uint16(w0))
	ext := r.devLoad(base + wExt)
	off, ok := e.check(r, "TX", d, e.cfg.TxSize, st, r.devLoad(base+wAddr), n, ext, ExtTxInt)
	if n == 0 || e.txLen+n > len(e.txBuf) {
		e.s.fail("TX descriptor %d: bad length %d", d, n)
		ok = false
	}
	e.Stats.TxDescs++
	if ok {
		e.s.dmaRead(off, e.txBuf[e.txLen:e.txLen+n])
		e.txLen += n
	}
	x := ext & ExtTxInt
	if st&StL != 0 {
		e.Stats.TxFrames++
		if e.onTx != nil {
			e.onTx(e.txBuf[:e.txLen])
		}
		e.txLen = 0
		// The frame still reaches the wire (as after a late collision or
		// a timestamp error): what matters is the status the ring reads.
		if e.s.rng.permille(e.s.cfg.TxErrPermille) {
			x |= ExtTXE | txErrCauses[e.s.rng.intn(len(txErrCauses))]
			e.Stats.TxErrors++
		}
	}
	r.devStore(base+wExt, x)
	r.devStore(base+wBDU, BDU)
	r.devStore(base+wLenStat, uint32(st&^StR)<<16|uint32(n))
	e.txNext = (d + 1) % e.cfg.TxSize
	if st&StW != 0 {
		e.txNext = 0
	}
	return true
}
