// desc.go owns the TX view of the ENET enhanced buffer descriptor
// (IMX6ULRM 22.6.14) and the ring's hardware seams.
package txring

// DescSize is the size of an enhanced buffer descriptor (ECR.EN1588 = 1).
const DescSize = 32

// Word offsets; word 0 is data length (15:0) and status (31:16).
const (
	offLenStat = 0
	offAddr    = 4
	offExt     = 8
	offBDU     = 16
)

// TX status bits (word 0, bits 31:16).
const (
	stR  = 0x8000 // ready: owned by the device
	stW  = 0x2000 // wrap
	stL  = 0x0800 // last buffer of the frame
	stTC = 0x0400 // append the CRC
)

// Enhanced TX status/control bits (word at offExt).
const (
	extTxInt = 0x40000000 // TX_INT: enhanced mode raises TXF only if set
	extTxErr = 0x0000bf00 // TXE, UE, EE, FE, LCE, OE, TSE written back by the device
)

// DescMem is the ring's non-cacheable descriptor memory (see rxring.DescMem;
// pagepool.Uncached implements both).
type DescMem interface {
	Len() int
	Load32(off int) uint32
	Store32(off int, v uint32)
}

// Doorbell is the driver's TDAR write; the ring issues wmb before it.
type Doorbell interface {
	Kick()
}
