// ring.go owns the contract between the MAC and its descriptor rings: what
// the MAC needs from a receive and a transmit ring. The rings (rxring/,
// txring/) own descriptor layout and buffers; the MAC owns the registers,
// so a ring asks for the hardware's attention only through the doorbells
// the MAC gives it (MAC.RXDoorbell, MAC.TXDoorbell).

package enet

// RXRing is what the MAC needs from a receive ring.
//
// Descriptors must be enhanced (32-byte) buffer descriptors, little-endian,
// with RX_INT set in every descriptor handed to the device: in enhanced mode
// EIR.RXF is raised only for descriptors that ask for it (IMX6ULRM 22.6.14).
// Buffers hold the frame with its 4-byte FCS (the MAC never strips it, so
// QEMU and hardware agree), preceded by two zero bytes when Options.Shift16.
type RXRing interface {
	// DescBase is the bus (physical) address of descriptor 0, 8-byte aligned
	// (IMX6ULRM 22.5 ENETx_RDSR: bits 2:0 are reserved).
	DescBase() uint32
	// Len is the number of descriptors; the last one carries the W bit.
	Len() int
	// BufSize is the number of bytes the device may write into each
	// buffer; the MAC programs MRBR from it.
	BufSize() int
	// Poll processes up to budget completed frames in ring order, hands
	// each slot back to the device, and rings the RX doorbell once if it
	// handed any back. It returns the number of descriptors consumed.
	Poll(budget int) int
}

// TXRing is what the MAC needs from a transmit ring. Descriptors are
// enhanced, little-endian; TX_INT must be set on the last descriptor of a
// batch (or on each) for EIR.TXF to wake the poll loop.
type TXRing interface {
	// DescBase is the bus address of descriptor 0, 8-byte aligned.
	DescBase() uint32
	// Len is the number of descriptors.
	Len() int
	// Reclaim takes back every descriptor the device has finished with
	// and returns how many it took.
	Reclaim() int
}

// RXCounters are a receive ring's counters, by error class of the
// descriptor status (IMX6ULRM 22.6.14, receive BD status).
type RXCounters struct {
	Frames, Bytes uint64
	LengthErr     uint64 // LG: frame longer than RCR.MAX_FL
	NonOctet      uint64 // NO: non-octet aligned
	CRCErr        uint64 // CR: CRC or frame error
	Overrun       uint64 // OV: receive FIFO overrun
	Truncated     uint64 // TR: longer than FTRL, truncated
	MACErr        uint64 // ME, PE or CE in the enhanced status
	Fragment      uint64 // a buffer without L: frame longer than MRBR
	BadLength     uint64 // data length impossible for the buffer
	RefillFailed  uint64 // no page to refill: frame dropped, buffer kept
	Dropped       uint64 // any other drop (verdict, runt)
}

// TXCounters are a transmit ring's counters.
type TXCounters struct {
	Frames, Bytes uint64
	RingFull      uint64 // frames refused because every descriptor was busy
	Completed     uint64 // descriptors reclaimed
	Refused       uint64 // frames dropped for another reason (no page, bad buffer)
}

// RXStarter is implemented by receive rings that hand their descriptors
// to the device themselves once the MAC is enabled (rxring.Ring.Start:
// write barrier, then the RX doorbell). Start calls it instead of writing
// RDAR itself.
type RXStarter interface{ Start() }

// RXCounterSource is implemented by receive rings that keep RXCounters.
type RXCounterSource interface{ RXCounters() RXCounters }

// TXCounterSource is implemented by transmit rings that keep TXCounters.
type TXCounterSource interface{ TXCounters() TXCounters }
