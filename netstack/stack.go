// Package netstack is the appliance's gVisor netstack: it builds the stack
// from a Config over the ports' link endpoints (ARP, IPv4, IPv6 with NDP,
// ICMP echo, TCP, UDP) and serves the management plane on it. The driver
// side lives in netstack/link, the HTTP API in mgmt/.
package netstack

import (
	"fmt"
	"net/netip"
	"slices"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	gstack "gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// NIC is one port handed to the stack: its name in the Config and its
// gVisor link endpoint (an Ethernet NIC, see link.NewNIC).
type NIC struct {
	Name string
	Link gstack.LinkEndpoint
}

// Stack is the management-plane netstack.
type Stack struct {
	*gstack.Stack
	ids map[string]tcpip.NICID
}

// New builds the stack: one NIC per port, the configured addresses plus an
// IPv6 link-local one per port, on-link routes and default gateways.
// Ports without configuration are left out of the stack.
func New(cfg *Config, nics []NIC) (*Stack, error) {
	s := &Stack{
		Stack: gstack.New(gstack.Options{
			NetworkProtocols: []gstack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol,
				ipv6.NewProtocolWithOptions(ipv6.Options{DADConfigs: gstack.DADConfigurations{DupAddrDetectTransmits: 0}})},
			TransportProtocols: []gstack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		}),
		ids: map[string]tcpip.NICID{},
	}
	var routes []tcpip.Route
	for i, n := range nics {
		pc := cfg.Port(n.Name)
		if pc == nil {
			continue
		}
		id := tcpip.NICID(i + 1)
		if err := s.CreateNICWithOptions(id, n.Link, gstack.NICOptions{Name: n.Name}); err != nil {
			s.Close()
			return nil, fmt.Errorf("stack: port %s: %v", n.Name, err)
		}
		s.ids[n.Name] = id
		addrs := append([]netip.Prefix{}, pc.Addrs...)
		ll := header.LinkLocalAddr(n.Link.LinkAddress())
		addrs = append(addrs, netip.PrefixFrom(netip.AddrFrom16(ll.As16()), 64))
		for _, p := range addrs {
			pa := protocolAddress(p)
			if err := s.AddProtocolAddress(id, pa, gstack.AddressProperties{}); err != nil {
				s.Close()
				return nil, fmt.Errorf("stack: port %s address %v: %v", n.Name, p, err)
			}
			routes = append(routes, tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: id})
		}
		for _, g := range pc.Gateways {
			dst := header.IPv4EmptySubnet
			if g.Is6() {
				dst = header.IPv6EmptySubnet
			}
			routes = append(routes, tcpip.Route{Destination: dst, Gateway: tcpip.AddrFromSlice(g.AsSlice()), NIC: id})
		}
	}
	s.SetRouteTable(routes) // on-link routes before the defaults
	return s, nil
}

func protocolAddress(p netip.Prefix) tcpip.ProtocolAddress {
	proto := ipv4.ProtocolNumber
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: tcpip.AddressWithPrefix{
		Address: tcpip.AddrFromSlice(p.Addr().AsSlice()), PrefixLen: p.Bits()}}
}

// ListenTCP listens on port on every address of the stack. With v6 the
// listener is IPv6 and dual-stack (gVisor's default V6Only=false): IPv4
// connections arrive on it as v4-mapped addresses.
func (s *Stack) ListenTCP(port uint16, v6 bool) (*gonet.TCPListener, error) {
	proto := ipv4.ProtocolNumber
	if v6 {
		proto = ipv6.ProtocolNumber
	}
	return gonet.ListenTCP(s.Stack, tcpip.FullAddress{Port: port}, proto)
}

// Self returns the stack's own unicast addresses, static and leased, as
// host prefixes: the filter's "self". Link-local addresses are left out,
// as they are from the configuration's.
func (s *Stack) Self() []netip.Prefix {
	var out []netip.Prefix
	for _, pas := range s.AllAddresses() {
		for _, pa := range pas {
			a, _ := netip.AddrFromSlice(pa.AddressWithPrefix.Address.AsSlice())
			if a.IsGlobalUnicast() {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	slices.SortFunc(out, func(p, q netip.Prefix) int { return p.Addr().Compare(q.Addr()) })
	return out
}

// NICID returns the stack's id of a named port.
func (s *Stack) NICID(name string) (tcpip.NICID, bool) {
	id, ok := s.ids[name]
	return id, ok
}
