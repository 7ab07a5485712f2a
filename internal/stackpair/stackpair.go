// Package stackpair joins gVisor stacks with an in-memory Ethernet cable,
// for host tests of code that runs on the appliance's stack (DHCP, SNTP)
// against a peer stack playing the server.
package stackpair

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Cable is two channel links whose frames cross over.
type Cable struct {
	A, B   *channel.Endpoint
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewCable links MAC addresses a and b; Close stops it.
func NewCable(a, b tcpip.LinkAddress) *Cable {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cable{A: channel.New(64, 1500, a), B: channel.New(64, 1500, b), cancel: cancel}
	for _, p := range [][2]*channel.Endpoint{{c.A, c.B}, {c.B, c.A}} {
		c.wg.Add(1)
		go func(from, to *channel.Endpoint) {
			defer c.wg.Done()
			for {
				pkt := from.ReadContext(ctx)
				if pkt == nil {
					return
				}
				frame := pkt.ToView().AsSlice()
				pkt.DecRef()
				in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
				to.InjectInbound(header.EthernetProtocolAll, in)
				in.DecRef()
			}
		}(p[0], p[1])
	}
	return c
}

// Close stops the cable.
func (c *Cable) Close() {
	c.cancel()
	c.wg.Wait()
}

// PeerNIC is the peer stack's only NIC.
const PeerNIC tcpip.NICID = 1

// NewPeer is an IPv4 stack (ARP, UDP, TCP) on link with one address and
// its on-link route.
func NewPeer(link *channel.Endpoint, addr netip.Prefix) (*stack.Stack, error) {
	s := stack.New(stack.Options{NetworkProtocols: []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{udp.NewProtocol, tcp.NewProtocol}})
	if err := s.CreateNIC(PeerNIC, ethernet.New(link)); err != nil {
		return nil, fmt.Errorf("stackpair: %v", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{
		Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()}}
	if err := s.AddProtocolAddress(PeerNIC, pa, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("stackpair: %v", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: PeerNIC}})
	return s, nil
}
