// Package craft builds Ethernet frames byte by byte for the wire tests,
// well-formed or deliberately not: VLAN tag stacks, IPv4 options and
// fragments, IPv6 extension-header chains and fragments, TCP with any
// flags, UDP and ICMP. Checksums are right (gVisor's checksum package)
// unless a test changes the bytes afterwards, so a frame that should have
// been dropped and crossed would be taken by the receiving host.
package craft

import (
	"encoding/binary"
	"net"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip/checksum"
)

// EtherTypes and VLAN tag protocol identifiers.
const (
	IPv4  = 0x0800
	IPv6  = 0x86dd
	Dot1Q = 0x8100 // IEEE 802.1Q customer tag
	Dot1A = 0x88a8 // IEEE 802.1ad service tag
	QinQ  = 0x9100 // the pre-802.1ad double-tag identifier
)

// IP protocol numbers.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flags (RFC 9293 3.1).
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
	URG = 0x20
)

// Tag is one VLAN tag: its TPID and VLAN id.
type Tag struct {
	TPID uint16
	VID  uint16
}

// Eth is an Ethernet header with any number of VLAN tags (outermost first).
type Eth struct {
	Dst, Src net.HardwareAddr
	Tags     []Tag
}

// Frame is the header, etype and payload.
func (e Eth) Frame(etype uint16, payload []byte) []byte {
	f := append(append([]byte{}, e.Dst...), e.Src...)
	for _, t := range e.Tags {
		f = binary.BigEndian.AppendUint16(f, t.TPID)
		f = binary.BigEndian.AppendUint16(f, t.VID&0x0fff)
	}
	f = binary.BigEndian.AppendUint16(f, etype)
	return append(f, payload...)
}

// V4 is an IPv4 header (RFC 791).
type V4 struct {
	Src, Dst netip.Addr
	Proto    uint8
	ID       uint16
	// FragOff is the fragment offset in bytes (a multiple of 8); More
	// sets MF.
	FragOff int
	More    bool
	// Reserved sets the flag bit RFC 791 reserves (must be zero).
	Reserved bool
	Options  []byte // padded to 4 bytes here
}

// Packet is the header followed by payload, with length and checksum set.
func (h V4) Packet(payload []byte) []byte {
	opts := append([]byte{}, h.Options...)
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	hl := 20 + len(opts)
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[4:], h.ID)
	ff := uint16(h.FragOff / 8)
	if h.More {
		ff |= 0x2000
	}
	if h.Reserved {
		ff |= 0x8000
	}
	binary.BigEndian.PutUint16(b[6:], ff)
	b[8], b[9] = 64, h.Proto
	copy(b[12:], h.Src.AsSlice())
	copy(b[16:], h.Dst.AsSlice())
	copy(b[20:], opts)
	checksum.Put(b[10:], ^checksum.Checksum(b, 0))
	return append(b, payload...)
}

// Ext is one IPv6 extension header: Proto is its own number (0 hop-by-hop,
// 43 routing, 44 fragment, 60 destination options); Body is everything
// after the next-header and length bytes, padded here to 8-byte units.
type Ext struct {
	Proto uint8
	Body  []byte
}

// Fragment is an IPv6 fragment header's body (RFC 8200 4.5): offset in
// bytes (a multiple of 8), M flag, identification.
func Fragment(off int, more bool, id uint32) Ext {
	b := make([]byte, 6)
	v := uint16(off/8) << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b, v)
	binary.BigEndian.PutUint32(b[2:], id)
	return Ext{Proto: 44, Body: b}
}

// Options is a hop-by-hop or destination options body of n bytes of PadN
// (RFC 8200 4.2); n+2 must be a multiple of 8.
func Options(n int) []byte {
	b := make([]byte, n)
	if n >= 2 {
		b[0], b[1] = 1, byte(n-2) // PadN
	}
	return b
}

// V6 is an IPv6 header (RFC 8200) and its extension chain.
type V6 struct {
	Src, Dst netip.Addr
	Proto    uint8 // the upper-layer protocol after the chain
	Flow     uint32
	Ext      []Ext
}

// Packet is the header, chain and payload with every next-header and
// length set.
func (h V6) Packet(payload []byte) []byte {
	var chain []byte
	for i, e := range h.Ext {
		next := h.Proto
		if i+1 < len(h.Ext) {
			next = h.Ext[i+1].Proto
		}
		body := append([]byte{}, e.Body...)
		for (len(body)+2)%8 != 0 {
			body = append(body, 0)
		}
		units := (len(body)+2)/8 - 1
		if e.Proto == 44 {
			units = 0 // the fragment header's length field is reserved
		}
		chain = append(chain, next, byte(units))
		chain = append(chain, body...)
	}
	first := h.Proto
	if len(h.Ext) > 0 {
		first = h.Ext[0].Proto
	}
	b := make([]byte, 40, 40+len(chain)+len(payload))
	binary.BigEndian.PutUint32(b, 6<<28|h.Flow&0xfffff)
	binary.BigEndian.PutUint16(b[4:], uint16(len(chain)+len(payload)))
	b[6], b[7] = first, 64
	copy(b[8:], h.Src.AsSlice())
	copy(b[24:], h.Dst.AsSlice())
	b = append(b, chain...)
	return append(b, payload...)
}

// pseudo is the transport checksum's pseudo-header sum (RFC 9293 3.1,
// RFC 8200 8.1).
func pseudo(src, dst netip.Addr, proto uint8, n int) uint16 {
	s := checksum.Checksum(src.AsSlice(), 0)
	s = checksum.Checksum(dst.AsSlice(), s)
	var tail [8]byte
	binary.BigEndian.PutUint32(tail[:], uint32(n))
	tail[7] = proto
	return checksum.Checksum(tail[:], s)
}

// TCPSeg is a TCP segment (20-byte header, no options).
type TCPSeg struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint8
	Window           uint16
	Payload          []byte
}

// Bytes is the segment between src and dst, checksummed.
func (s TCPSeg) Bytes(src, dst netip.Addr) []byte {
	b := make([]byte, 20, 20+len(s.Payload))
	binary.BigEndian.PutUint16(b[0:], s.SrcPort)
	binary.BigEndian.PutUint16(b[2:], s.DstPort)
	binary.BigEndian.PutUint32(b[4:], s.Seq)
	binary.BigEndian.PutUint32(b[8:], s.Ack)
	b[12], b[13] = 5<<4, s.Flags
	w := s.Window
	if w == 0 {
		w = 64240
	}
	binary.BigEndian.PutUint16(b[14:], w)
	b = append(b, s.Payload...)
	checksum.Put(b[16:], ^checksum.Checksum(b, pseudo(src, dst, ProtoTCP, len(b))))
	return b
}

// UDP is a datagram between src and dst, checksummed.
func UDP(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	b = append(b, payload...)
	c := ^checksum.Checksum(b, pseudo(src, dst, ProtoUDP, len(b)))
	if c == 0 {
		c = 0xffff // RFC 768: zero means "no checksum"
	}
	checksum.Put(b[6:], c)
	return b
}

// ICMP is an ICMPv4 message (type, code, the 4 bytes after the checksum,
// body), checksummed (RFC 792).
func ICMP(typ, code uint8, rest uint32, body []byte) []byte {
	b := []byte{typ, code, 0, 0}
	b = binary.BigEndian.AppendUint32(b, rest)
	b = append(b, body...)
	checksum.Put(b[2:], ^checksum.Checksum(b, 0))
	return b
}

// ICMPv6 is the same for ICMPv6 between src and dst, whose checksum covers
// the pseudo-header (RFC 4443 2.3).
func ICMPv6(src, dst netip.Addr, typ, code uint8, rest uint32, body []byte) []byte {
	b := []byte{typ, code, 0, 0}
	b = binary.BigEndian.AppendUint32(b, rest)
	b = append(b, body...)
	checksum.Put(b[2:], ^checksum.Checksum(b, pseudo(src, dst, ProtoICMPv6, len(b))))
	return b
}
