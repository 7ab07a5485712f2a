// Package link is the gVisor link endpoint over one fosbury port: frames
// the driver's filter delivers locally come in through Deliver, one copy
// each into a PacketBuffer; frames the stack sends are copied once into
// TX buffers the driver lends for the length of a call (Port.With), and
// the doorbell rings once per batch. It owns no DMA memory and touches no
// registers: the Port does.
//
// The endpoint carries raw Ethernet frames; wrap it with gVisor's
// link/ethernet to give the stack an Ethernet NIC (see NewNIC).
package link

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Port is what the endpoint needs from a driver port: fosbury's enet.TX
// (with the port's address), or the copy baseline's driver.
type Port interface {
	// LinkAddress is the port's MAC address.
	LinkAddress() tcpip.LinkAddress

	// With lends fill a transmit buffer of max bytes and queues the first
	// n bytes, n being what fill returns (n <= 0 sends nothing); the loan
	// ends when With returns. It fails, without calling fill, when the TX
	// ring is full. The doorbell waits for Flush.
	With(max int, fill func(buf []byte) int) error

	// Flush rings the TX doorbell once for all frames queued since the
	// previous flush.
	Flush()
}

// Options configures an Endpoint.
type Options struct {
	// Port is the driver port the endpoint sends through.
	Port Port
	// MTU is the largest frame payload above Ethernet, normally 1500.
	MTU uint32
}

// Stats are the endpoint's own counters.
type Stats struct {
	RxFrames  uint64 `json:"rx_frames"` // frames delivered to the stack
	RxBytes   uint64 `json:"rx_bytes"`
	RxDropped uint64 `json:"rx_dropped"` // no dispatcher attached, or a runt
	TxFrames  uint64 `json:"tx_frames"`  // frames the stack sent
	TxBytes   uint64 `json:"tx_bytes"`
	TxDropped uint64 `json:"tx_dropped"` // TX ring full, or a frame above the MTU
	TxBatches uint64 `json:"tx_batches"` // doorbells rung
}

// counters are the endpoint's live counters: the poll loop delivers while
// the stack's goroutines send, once per frame of the management plane.
type counters struct {
	rxFrames, rxBytes, rxDropped atomic.Uint64
	txFrames, txBytes, txDropped atomic.Uint64
	txBatches                    atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (e *Endpoint) Stats() Stats {
	c := &e.c
	return Stats{
		RxFrames: c.rxFrames.Load(), RxBytes: c.rxBytes.Load(), RxDropped: c.rxDropped.Load(),
		TxFrames: c.txFrames.Load(), TxBytes: c.txBytes.Load(), TxDropped: c.txDropped.Load(),
		TxBatches: c.txBatches.Load(),
	}
}

// Endpoint is a stack.LinkEndpoint carrying raw Ethernet frames.
type Endpoint struct {
	port Port
	c    counters

	// txMu serialises WritePackets: gVisor calls it from many goroutines;
	// the packet being copied and the batch's flush are per call.
	txMu   sync.Mutex
	txPkt  *stack.PacketBuffer  // the packet fill copies, under txMu
	txFill func(buf []byte) int // e.fillTx, bound once: no allocation per packet

	mu         sync.RWMutex
	mtu        uint32
	addr       tcpip.LinkAddress
	dispatcher stack.NetworkDispatcher
	onClose    func()
}

var _ stack.LinkEndpoint = (*Endpoint)(nil)

// New returns an endpoint over o.Port.
func New(o Options) *Endpoint {
	if o.MTU == 0 {
		o.MTU = 1500
	}
	e := &Endpoint{port: o.Port, mtu: o.MTU + header.EthernetMinimumSize, addr: o.Port.LinkAddress()}
	e.txFill = e.fillTx
	return e
}

// NewNIC returns the endpoint wrapped in gVisor's Ethernet layer, ready
// for stack.CreateNIC; the second result is the raw endpoint, for Deliver.
func NewNIC(o Options) (stack.LinkEndpoint, *Endpoint) {
	e := New(o)
	return ethernet.New(e), e
}

// Deliver hands one received frame to the stack. The frame is the driver's
// DMA buffer, lent for the duration of the call: it is copied once into a
// PacketBuffer and not retained.
func (e *Endpoint) Deliver(frame []byte) {
	e.mu.RLock()
	d := e.dispatcher
	e.mu.RUnlock()
	if d == nil || len(frame) < header.EthernetMinimumSize {
		e.c.rxDropped.Add(1)
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	e.c.rxFrames.Add(1)
	e.c.rxBytes.Add(uint64(len(frame)))
	d.DeliverNetworkPacket(0, pkt) // the Ethernet layer reads the type
	pkt.DecRef()
}

// WritePackets implements stack.LinkWriter: each packet is copied into a TX
// buffer and the doorbell rings once for the batch.
func (e *Endpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	e.txMu.Lock()
	defer e.txMu.Unlock()
	n := 0
	var err tcpip.Error
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		if size > int(e.MTU()) {
			e.c.txDropped.Add(1)
			err = &tcpip.ErrMessageTooLong{}
			break
		}
		e.txPkt = pkt
		werr := e.port.With(size, e.txFill)
		e.txPkt = nil
		if werr != nil {
			e.c.txDropped.Add(1)
			err = &tcpip.ErrNoBufferSpace{}
			break
		}
		e.c.txFrames.Add(1)
		e.c.txBytes.Add(uint64(size))
		n++
	}
	if n > 0 {
		e.port.Flush()
		e.c.txBatches.Add(1)
	}
	return n, err
}

// fillTx copies e.txPkt into a lent TX buffer (see WritePackets).
func (e *Endpoint) fillTx(buf []byte) int {
	off := 0
	for _, s := range e.txPkt.AsSlices() {
		off += copy(buf[off:], s)
	}
	return off
}

// MTU implements stack.NetworkLinkEndpoint; it counts the Ethernet header,
// which the wrapping Ethernet layer subtracts.
func (e *Endpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.NetworkLinkEndpoint.
func (e *Endpoint) SetMTU(mtu uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mtu = mtu
}

// MaxHeaderLength implements stack.NetworkLinkEndpoint: no header of its own.
func (*Endpoint) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.NetworkLinkEndpoint.
func (e *Endpoint) LinkAddress() tcpip.LinkAddress {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.addr
}

// SetLinkAddress implements stack.NetworkLinkEndpoint.
func (e *Endpoint) SetLinkAddress(addr tcpip.LinkAddress) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.addr = addr
}

// Capabilities implements stack.NetworkLinkEndpoint: no offloads; the ENET
// checksum accelerator is not used, so the stack checks every checksum.
func (*Endpoint) Capabilities() stack.LinkEndpointCapabilities { return stack.CapabilityNone }

// Attach implements stack.NetworkLinkEndpoint.
func (e *Endpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.dispatcher = d
}

// IsAttached implements stack.NetworkLinkEndpoint.
func (e *Endpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dispatcher != nil
}

// Wait implements stack.NetworkLinkEndpoint: the endpoint owns no goroutine.
func (*Endpoint) Wait() {}

// ARPHardwareType implements stack.NetworkLinkEndpoint (the Ethernet layer
// answers for the NIC).
func (*Endpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader implements stack.NetworkLinkEndpoint: the Ethernet layer adds it.
func (*Endpoint) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.NetworkLinkEndpoint: nothing to parse here.
func (*Endpoint) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.NetworkLinkEndpoint.
func (e *Endpoint) Close() {
	e.mu.Lock()
	f := e.onClose
	e.onClose = nil
	e.dispatcher = nil
	e.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetOnCloseAction implements stack.NetworkLinkEndpoint.
func (e *Endpoint) SetOnCloseAction(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onClose = f
}
