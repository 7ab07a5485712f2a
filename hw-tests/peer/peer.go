// Package peer is the host side of the wire tests: a gVisor netstack on
// Linux whose Ethernet "cable" is a UDP socket, the one QEMU's
// `-nic socket,udp=...` uses (one datagram per frame, no header). It can
// ping, open TCP connections, and send or capture raw frames, all without
// privileges. It owns its socket and its stack, nothing of the firmware.
package peer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// NIC is the only interface of the peer's stack.
const NIC tcpip.NICID = 1

// Options configures a peer.
type Options struct {
	// Listen is the local UDP address the peer receives frames on
	// (QEMU's udp= target); Remote is where it sends them (QEMU's
	// localaddr=).
	Listen, Remote string
	// MAC is the peer's Ethernet address.
	MAC net.HardwareAddr
	// Addrs are the peer's IPv4/IPv6 addresses with their prefixes; a
	// route to each prefix is added. IPv6 link-local is added from MAC.
	Addrs []netip.Prefix
	// Capture is the depth of the raw frame capture queue; 0 disables it.
	Capture int
}

// Peer is a netstack bound to one UDP cable.
type Peer struct {
	Stack *stack.Stack
	mac   tcpip.LinkAddress
	conn  *net.UDPConn
	dst   *net.UDPAddr
	link  *channel.Endpoint

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	capture chan []byte

	// Counters, for the tests' reports.
	FramesIn, FramesOut, CaptureDropped atomic.Uint64
}

// New starts a peer; Close stops it.
func New(o Options) (*Peer, error) {
	if len(o.MAC) != 6 {
		return nil, fmt.Errorf("peer: MAC %v is not 6 bytes", o.MAC)
	}
	laddr, err := net.ResolveUDPAddr("udp", o.Listen)
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", o.Remote)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	p := &Peer{
		Stack: stack.New(stack.Options{
			NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol, arp.NewProtocol},
			TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		}),
		mac:  tcpip.LinkAddress(o.MAC),
		conn: conn,
		dst:  raddr,
		link: channel.New(512, 1500, tcpip.LinkAddress(o.MAC)),
	}
	if o.Capture > 0 {
		p.capture = make(chan []byte, o.Capture)
	}
	if err := p.configure(o); err != nil {
		conn.Close()
		p.Stack.Close()
		return nil, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(2)
	go p.receive()
	go p.transmit()
	return p, nil
}

func (p *Peer) configure(o Options) error {
	if err := p.Stack.CreateNIC(NIC, ethernet.New(p.link)); err != nil {
		return fmt.Errorf("peer: CreateNIC: %v", err)
	}
	prefixes := append([]netip.Prefix{}, o.Addrs...)
	ll := header.LinkLocalAddr(p.mac)
	prefixes = append(prefixes, netip.PrefixFrom(netip.AddrFrom16(ll.As16()), 64))
	var routes []tcpip.Route
	for _, pfx := range prefixes {
		addr := tcpip.AddrFromSlice(pfx.Addr().AsSlice())
		proto := ipv4.ProtocolNumber
		if pfx.Addr().Is6() {
			proto = ipv6.ProtocolNumber
		}
		pa := tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr, PrefixLen: pfx.Bits()}}
		if err := p.Stack.AddProtocolAddress(NIC, pa, stack.AddressProperties{}); err != nil {
			return fmt.Errorf("peer: address %v: %v", pfx, err)
		}
		routes = append(routes, tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: NIC})
	}
	p.Stack.SetRouteTable(routes)
	return nil
}

// receive moves datagrams from the socket into the stack (and the capture).
func (p *Peer) receive() {
	defer p.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		p.FramesIn.Add(1)
		frame := append([]byte(nil), buf[:n]...)
		if p.capture != nil {
			select {
			case p.capture <- frame:
			default:
				p.CaptureDropped.Add(1)
			}
		}
		if n < header.EthernetMinimumSize {
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
		p.link.InjectInbound(header.EthernetProtocolAll, pkt)
		pkt.DecRef()
	}
}

// transmit sends what the stack writes, one datagram per frame.
func (p *Peer) transmit() {
	defer p.wg.Done()
	for {
		pkt := p.link.ReadContext(p.ctx)
		if pkt == nil {
			return
		}
		frame := pkt.ToView().AsSlice()
		pkt.DecRef()
		if err := p.SendFrame(frame); err != nil && p.ctx.Err() == nil {
			continue // a full socket buffer drops the frame, as a wire would
		}
	}
}

// SendFrame puts one raw Ethernet frame on the wire, unchanged.
func (p *Peer) SendFrame(frame []byte) error {
	_, err := p.conn.WriteToUDP(frame, p.dst)
	if err == nil {
		p.FramesOut.Add(1)
	}
	return err
}

// Captured returns the queue of raw frames received, when Capture > 0.
func (p *Peer) Captured() <-chan []byte { return p.capture }

// MAC is the peer's Ethernet address.
func (p *Peer) MAC() net.HardwareAddr { return net.HardwareAddr(p.mac) }

// Close stops the peer and releases its socket and stack.
func (p *Peer) Close() {
	p.cancel()
	p.conn.Close()
	p.link.Close()
	p.wg.Wait()
	p.Stack.Close()
}

// ErrTimeout is returned when no answer came before the context ended.
var ErrTimeout = errors.New("peer: no answer before the deadline")
