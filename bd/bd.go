// Package bd is the driver's view of the ENET enhanced buffer descriptor
// (IMX6ULRM 22.6.14, ECR.EN1588 = 1; little-endian with ECR.DBSWP) and the
// two hardware seams every descriptor ring uses: descriptor memory and the
// doorbell register. The receive ring (rxring), the transmit ring (txring)
// and the copy baseline (internal/copyring) share it; the host model's
// device (internal/noncoherent) keeps its own, independent view, so a
// wrong constant here cannot agree with itself in the tests.
package bd

import (
	"errors"
	"fmt"
)

// Size is the size of an enhanced buffer descriptor.
const Size = 32

// Byte offsets of the words the drivers use. Word 0 holds the data length
// (bits 15:0) and status/control (31:16), so ownership and length are read
// and written as one single-copy-atomic 32-bit access.
const (
	LenStat = 0  // data length and status
	Addr    = 4  // buffer pointer (device address)
	Ext     = 8  // enhanced status/control
	BDU     = 16 // bit 31: descriptor update done (cleared by the driver)
)

// Status bits of word 0 (bits 31:16), shared by both directions.
const (
	Own = 0x8000 // RX E (empty) / TX R (ready): the device owns it
	W   = 0x2000 // wrap: last descriptor of the ring
	L   = 0x0800 // last buffer of a frame
)

// Receive status bits of word 0.
const (
	RxLG = 0x0020 // frame length violation
	RxNO = 0x0010 // non-octet aligned frame
	RxCR = 0x0004 // CRC or frame error
	RxOV = 0x0002 // receive FIFO overrun
	RxTR = 0x0001 // truncated (longer than TRUNC_FL)
)

// TxTC is the transmit control bit of word 0 that appends the CRC.
const TxTC = 0x0400

// Enhanced status/control bits (word at Ext).
const (
	ExtRxInt = 0x00800000 // RX_INT: enhanced mode raises EIR.RXF only if set
	ExtRxME  = 0x80000000 // MAC error
	ExtRxPE  = 0x04000000 // PHY error
	ExtRxCE  = 0x02000000 // collision
	ExtTxInt = 0x40000000 // TX_INT: enhanced mode raises EIR.TXF only if set
	ExtTxErr = 0x0000bf00 // TXE, UE, EE, FE, LCE, OE, TSE written back by the device
)

// Ring sizes the drivers accept, in descriptors. The uDMA follows the W
// bit, so any size works; 512 bounds the non-cacheable memory a ring takes.
const (
	MinRing = 2
	MaxRing = 512
)

// CheckRing reports whether a ring of size descriptors fits mem and has a
// doorbell: the checks every ring's constructor makes of its seams.
func CheckRing(size int, mem Mem, bell Doorbell) error {
	switch {
	case size < MinRing || size > MaxRing:
		return fmt.Errorf("size %d not in %d..%d", size, MinRing, MaxRing)
	case mem == nil || bell == nil:
		return errors.New("descriptor memory and doorbell are required")
	case mem.Len() < size*Size:
		return fmt.Errorf("%d bytes of descriptor memory for %d descriptors", mem.Len(), size)
	}
	return nil
}

// Status is the status half of word 0.
func Status(w uint32) uint16 { return uint16(w >> 16) }

// Length is the data length half of word 0.
func Length(w uint32) int { return int(uint16(w)) }

// Word0 packs status and data length into word 0.
func Word0(st uint16, n int) uint32 { return uint32(st)<<16 | uint32(uint16(n)) }

// Mem is a ring's descriptor memory: Len()/Size descriptors in
// non-cacheable memory at bus address BusAddr (8-byte aligned: IMX6ULRM
// 22.5 ENETx_RDSR/TDSR bits 2:0 are reserved). Offsets are byte offsets of
// aligned 32-bit words. pagepool.Uncached implements it on hardware, the
// model's DescRegion on the host.
type Mem interface {
	Len() int
	BusAddr() uint32
	// Load32 is one 32-bit load; it happens in program order only as far
	// as the ring's barriers order it.
	Load32(off int) uint32
	// Store32 is one 32-bit store, visible to the device in program order
	// only as far as the ring's barriers order it.
	Store32(off int, v uint32)
}

// Doorbell tells the device that descriptors are ready: the driver's RDAR
// or TDAR write. The ring issues the full write barrier before Kick.
type Doorbell interface {
	Kick()
}

// Plain is descriptor memory as ordinary words, with no store buffer and
// no device: for fuzzers and host tests that play the device themselves.
type Plain struct {
	W   []uint32
	Bus uint32
}

// NewPlain returns n descriptors of plain memory at bus address bus.
func NewPlain(n int, bus uint32) *Plain { return &Plain{W: make([]uint32, n*Size/4), Bus: bus} }

func (p *Plain) Len() int                  { return len(p.W) * 4 }
func (p *Plain) BusAddr() uint32           { return p.Bus }
func (p *Plain) Load32(off int) uint32     { return p.W[off/4] }
func (p *Plain) Store32(off int, v uint32) { p.W[off/4] = v }
