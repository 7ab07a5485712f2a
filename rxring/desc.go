// desc.go owns the RX view of the ENET enhanced buffer descriptor
// (IMX6ULRM 22.6.14) and the two hardware seams of the ring: descriptor
// memory and the RDAR doorbell.
package rxring

// DescSize is the size of an enhanced buffer descriptor (ECR.EN1588 = 1).
const DescSize = 32

// Word offsets inside a descriptor. Word 0 holds the data length (bits
// 15:0) and the status/control bits (31:16), so ownership and length are
// read and written as one single-copy-atomic 32-bit access.
const (
	offLenStat = 0
	offAddr    = 4  // buffer pointer (device address)
	offExt     = 8  // enhanced status/control
	offBDU     = 16 // bit 31: descriptor update done (cleared by the driver)
)

// RX status bits (word 0, bits 31:16).
const (
	stE  = 0x8000 // empty: owned by the device
	stW  = 0x2000 // wrap: last descriptor of the ring
	stL  = 0x0800 // last buffer of a frame
	stLG = 0x0020 // frame length violation
	stNO = 0x0010 // non-octet aligned frame
	stCR = 0x0004 // CRC or frame error
	stOV = 0x0002 // receive FIFO overrun
	stTR = 0x0001 // truncated (longer than TRUNC_FL)
)

// Enhanced RX status/control bits (word at offExt).
const (
	extRxInt = 0x00800000 // RX_INT: enhanced mode raises RXF only if set
	extME    = 0x80000000 // MAC error
	extPE    = 0x04000000 // PHY error
	extCE    = 0x02000000 // collision
)

// DescMem is the ring's descriptor memory: Len()/DescSize descriptors in
// non-cacheable memory. Offsets are byte offsets of aligned 32-bit words.
// pagepool.Uncached implements it on hardware, the model on the host.
type DescMem interface {
	Len() int
	// Load32 is one 32-bit load: it does happen, in program order only
	// as far as the ring's barriers order it.
	Load32(off int) uint32
	// Store32 is one 32-bit store, visible to the device in program order
	// only as far as the ring's barriers order it.
	Store32(off int, v uint32)
}

// Doorbell tells the device that empty descriptors are ready: the driver's
// RDAR write. The ring issues the full write barrier before calling it.
type Doorbell interface {
	Kick()
}
