// Tuple: what a log line says about a frame (addresses, protocol, ports
// or ICMP type), decoded by the filter's own decoder into a fixed-size
// value without pointers, so a logger can keep it in a preallocated ring.

package filter

import (
	"net/netip"
	"strconv"
)

// Tuple is the decoded header summary of one frame.
type Tuple struct {
	EtherType uint16 // after any VLAN tags; 0 for an 802.3 length frame
	VLAN      uint16 // the outer tag's VLAN id, 0 if untagged
	Family    uint8  // 0 (not IP), 4 or 6
	Proto     uint8  // IP protocol
	HasPorts  bool   // TCP, UDP or SCTP: SrcPort and DstPort are valid
	HasICMP   bool   // ICMP or ICMPv6: ICMPType and ICMPCode are valid
	Fragment  bool   // a later fragment: no transport header
	ICMPType  uint8
	ICMPCode  uint8
	TCPFlags  uint8
	SrcPort   uint16
	DstPort   uint16
	src, dst  addr
}

// Decode fills t from frame (Ethernet header first). It reports whether
// the frame decoded; a malformed frame leaves t with what was read of
// its Ethernet header.
func (t *Tuple) Decode(frame []byte) bool {
	var p pkt
	ok := decode(frame, &p)
	*t = Tuple{EtherType: p.etype, Family: p.family, Proto: p.proto, HasPorts: p.hasPorts, HasICMP: p.hasICMP,
		Fragment: p.frag == fragLater, ICMPType: p.icmpType, ICMPCode: p.icmpCode, TCPFlags: p.tcpFlags,
		SrcPort: p.sport, DstPort: p.dport, src: p.src, dst: p.dst}
	if p.ntags > 0 {
		t.VLAN = p.vlan[0]
	}
	return ok
}

// Src is the source address (invalid unless Family is 4 or 6).
func (t *Tuple) Src() netip.Addr { return t.src.netip(t.Family) }

// Dst is the destination address (invalid unless Family is 4 or 6).
func (t *Tuple) Dst() netip.Addr { return t.dst.netip(t.Family) }

func (a addr) netip(family uint8) netip.Addr {
	switch family {
	case 4:
		v := uint32(a.lo)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	case 6:
		var b [16]byte
		for i := 0; i < 8; i++ {
			b[i] = byte(a.hi >> (56 - 8*i))
			b[8+i] = byte(a.lo >> (56 - 8*i))
		}
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

// ProtoName is the protocol's name in the rule language ("tcp", "icmp6"),
// or its number.
func ProtoName(proto uint8) string {
	switch proto {
	case protoICMP:
		return "icmp"
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP6:
		return "icmp6"
	case 132:
		return "sctp"
	}
	return strconv.Itoa(int(proto))
}
