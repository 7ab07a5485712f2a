// ICMP echo through the peer's stack: the stack resolves the neighbour
// (ARP or NDP) and fills in the identifier and checksum; the caller checks
// sequence numbers and payloads.
package peer

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Pinger is an ICMP echo socket towards one address.
type Pinger struct {
	ep  tcpip.Endpoint
	wq  waiter.Queue
	dst tcpip.FullAddress
	v6  bool
}

// NewPinger opens an echo socket towards dst.
func (p *Peer) NewPinger(dst netip.Addr) (*Pinger, error) {
	pg := &Pinger{dst: tcpip.FullAddress{NIC: NIC, Addr: tcpip.AddrFromSlice(dst.AsSlice())}, v6: dst.Is6()}
	tproto, nproto := icmp.ProtocolNumber4, ipv4.ProtocolNumber
	if pg.v6 {
		tproto, nproto = icmp.ProtocolNumber6, ipv6.ProtocolNumber
	}
	ep, err := p.Stack.NewEndpoint(tproto, nproto, &pg.wq)
	if err != nil {
		return nil, fmt.Errorf("peer: echo socket: %v", err)
	}
	pg.ep = ep
	return pg, nil
}

// Close releases the socket.
func (pg *Pinger) Close() { pg.ep.Close() }

// Ping sends one echo request with seq and payload and waits for the reply
// with the same seq; it returns the reply's payload.
func (pg *Pinger) Ping(ctx context.Context, seq uint16, payload []byte) ([]byte, error) {
	msg := make([]byte, header.ICMPv4MinimumSize+len(payload))
	msg[0] = byte(header.ICMPv4Echo)
	if pg.v6 {
		msg[0] = byte(header.ICMPv6EchoRequest)
	}
	binary.BigEndian.PutUint16(msg[6:8], seq)
	copy(msg[8:], payload)

	we, ch := waiter.NewChannelEntry(waiter.ReadableEvents)
	pg.wq.EventRegister(&we)
	defer pg.wq.EventUnregister(&we)

	if _, err := pg.ep.Write(bytes.NewReader(msg), tcpip.WriteOptions{To: &pg.dst}); err != nil {
		return nil, fmt.Errorf("peer: echo write: %v", err)
	}
	wantType := byte(header.ICMPv4EchoReply)
	if pg.v6 {
		wantType = byte(header.ICMPv6EchoReply)
	}
	var reply bytes.Buffer
	for {
		reply.Reset()
		_, err := pg.ep.Read(&reply, tcpip.ReadOptions{})
		if _, ok := err.(*tcpip.ErrWouldBlock); ok {
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ErrTimeout
			}
		}
		if err != nil {
			return nil, fmt.Errorf("peer: echo read: %v", err)
		}
		b := reply.Bytes()
		if len(b) < header.ICMPv4MinimumSize || b[0] != wantType {
			continue
		}
		if binary.BigEndian.Uint16(b[6:8]) != seq {
			continue // a late reply to an earlier request
		}
		return append([]byte(nil), b[8:]...), nil
	}
}
