// TCP and UDP through the peer's stack, as net.Conn values.
package peer

import (
	"context"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

func fullAddr(ap netip.AddrPort) (tcpip.FullAddress, tcpip.NetworkProtocolNumber) {
	proto := ipv4.ProtocolNumber
	if ap.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.FullAddress{NIC: NIC, Addr: tcpip.AddrFromSlice(ap.Addr().AsSlice()), Port: ap.Port()}, proto
}

// DialTCP connects to dst over the wire.
func (p *Peer) DialTCP(ctx context.Context, dst netip.AddrPort) (*gonet.TCPConn, error) {
	fa, proto := fullAddr(dst)
	return gonet.DialContextTCP(ctx, p.Stack, fa, proto)
}

// ListenTCP accepts connections on the peer's side of the wire.
func (p *Peer) ListenTCP(local netip.AddrPort) (*gonet.TCPListener, error) {
	fa, proto := fullAddr(local)
	return gonet.ListenTCP(p.Stack, fa, proto)
}

// ListenUDP binds a UDP socket on the peer's side of the wire (a syslog
// collector, for one): each Read is one datagram.
func (p *Peer) ListenUDP(local netip.AddrPort) (*gonet.UDPConn, error) {
	fa, proto := fullAddr(local)
	return gonet.DialUDP(p.Stack, &fa, nil, proto)
}
