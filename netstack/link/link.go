// Package link is the gVisor link endpoint over one fosbury port: frames
// the driver's filter delivers locally come in through Deliver, one copy
// each into a PacketBuffer; frames the stack sends are copied once into
// TX buffers the driver lends, and the doorbell rings once per batch. It
// owns no DMA memory and touches no registers: the Port does.
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

// Port is what the endpoint needs from a driver port.
type Port interface {
	// LinkAddress is the port's MAC address.
	LinkAddress() tcpip.LinkAddress

	// The endpoint calls the Tx methods from one goroutine at a time.

	// TxReserve lends a transmit buffer of at least n bytes, valid until
	// the matching TxCommit; ok is false when the TX ring is full.
	TxReserve(n int) (buf []byte, ok bool)

	// TxCommit hands the first n bytes of the reserved buffer to the
	// device, without ringing its doorbell.
	TxCommit(n int)

	// TxFlush rings the TX doorbell once for all frames committed since
	// the previous flush.
	TxFlush()
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
	RxFrames, RxBytes, RxDropped atomic.Uint64 // RxDropped: no dispatcher or runt
	TxFrames, TxBytes, TxDropped atomic.Uint64 // TxDropped: TX ring full or too big
	TxBatches                    atomic.Uint64 // doorbells rung
}

// Endpoint is a stack.LinkEndpoint carrying raw Ethernet frames.
type Endpoint struct {
	port Port
	Stats

	// txMu serialises WritePackets: gVisor calls it from many goroutines
	// and a Port's reserve/commit/flush sequence is not reentrant.
	txMu sync.Mutex

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
	return &Endpoint{port: o.Port, mtu: o.MTU + header.EthernetMinimumSize, addr: o.Port.LinkAddress()}
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
		e.RxDropped.Add(1)
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	e.RxFrames.Add(1)
	e.RxBytes.Add(uint64(len(frame)))
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
			e.TxDropped.Add(1)
			err = &tcpip.ErrMessageTooLong{}
			break
		}
		buf, ok := e.port.TxReserve(size)
		if !ok {
			e.TxDropped.Add(1)
			err = &tcpip.ErrNoBufferSpace{}
			break
		}
		off := 0
		for _, s := range pkt.AsSlices() {
			off += copy(buf[off:], s)
		}
		e.port.TxCommit(off)
		e.TxFrames.Add(1)
		e.TxBytes.Add(uint64(off))
		n++
	}
	if n > 0 {
		e.port.TxFlush()
		e.TxBatches.Add(1)
	}
	return n, err
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
