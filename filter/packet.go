// Header decoding: one pass over an Ethernet frame into a fixed-size pkt
// value. Reads the caller's buffer, never writes or keeps it, never panics:
// every read is behind a length check, and a frame that fails one is
// reported as malformed.

package filter

import "encoding/binary"

// addr is an IP address as two integers: IPv4 lives in the low 32 bits of
// lo with hi zero (the family field tells the two apart).
type addr struct{ hi, lo uint64 }

func (a addr) less(b addr) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

type fragKind uint8

const (
	fragNone  fragKind = iota
	fragFirst          // offset 0, more fragments follow: headers present
	fragLater          // offset > 0: no transport header
)

const (
	etIPv4 = 0x0800
	etIPv6 = 0x86dd
	etARP  = 0x0806

	maxVLANTags   = 2 // 802.1Q plus one outer QinQ tag
	maxExtHeaders = 8 // IPv6 extension headers, or IPv4 AH headers, walked before giving up
	noWindScale   = 0xff
	maxWindScale  = 14 // RFC 7323 2.3
)

// pkt is what the matcher and conntrack see of a frame. It has no slices
// so it lives on the stack and can be copied into a state entry.
type pkt struct {
	port uint8
	dir  Dir

	dstMAC, srcMAC [6]byte
	ntags          uint8 // tags with a VLAN id (priority-only tags not counted)
	vlan           [maxVLANTags]uint16
	etype          uint16 // after the tags; 0 for 802.3 length frames

	family   uint8 // 0 (not IP), 4 or 6
	proto    uint8
	src, dst addr
	frag     fragKind
	fragID   uint32
	// fragProto is the protocol field all fragments carry (IPv4 header,
	// IPv6 fragment header); proto is what follows AH, in the first only.
	fragProto uint8
	fragOff   uint16 // byte offset of a later fragment
	hdrEnd    uint16 // a first fragment: where the headers judged end, from fragOff 0

	hasPorts     bool // TCP, UDP or SCTP: sport/dport valid
	sport, dport uint16
	hasICMP      bool
	icmpType     uint8
	icmpCode     uint8
	icmpID       uint16 // echo identifier (echo request/reply only)

	srcRoute bool // IPv4 LSRR/SSRR option or IPv6 type 0 routing header

	tcpFlags uint8
	seq, ack uint32
	win      uint16
	wscale   uint8 // window scale option on a SYN, noWindScale if absent
	payload  int   // TCP payload bytes

	l3off, l4off, l3end int // offsets into the frame (for replies)
}

func be16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }
func be32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
func be64(b []byte, off int) uint64 { return binary.BigEndian.Uint64(b[off:]) }

// Tag protocol identifiers the decoder strips (IEEE 802.1Q).
const (
	tpid8021Q  = 0x8100 // C-tag
	tpid8021AD = 0x88a8 // S-tag (802.1ad, QinQ)
	tpidQinQ   = 0x9100 // the pre-802.1ad QinQ S-tag some switches still send
	// ethHeader is destination, source and type: the shortest frame decoded.
	ethHeader = 14
)

// isVLANTag reports the tag protocol identifiers the decoder strips.
func isVLANTag(et uint16) bool { return et == tpid8021Q || et == tpid8021AD || et == tpidQinQ }

// decode fills p from frame. It returns false if the frame is malformed:
// truncated, inconsistent lengths, too many tags or extension headers.
func decode(frame []byte, p *pkt) bool {
	if len(frame) < ethHeader {
		return false
	}
	copy(p.dstMAC[:], frame[0:6])
	copy(p.srcMAC[:], frame[6:12])
	off := 12
	et := be16(frame, off)
	for tags := 0; isVLANTag(et); tags++ {
		if tags == maxVLANTags || len(frame) < off+6 {
			return false
		}
		// VID 0 carries a priority only (802.1Q null VLAN ID): such a
		// frame belongs to the untagged segment, as a bridge sees it.
		if vid := be16(frame, off+2) & 0x0fff; vid != 0 {
			p.vlan[p.ntags] = vid
			p.ntags++
		}
		off += 4
		et = be16(frame, off)
	}
	off += 2
	if et < 0x0600 {
		et = 0 // 802.3 length field, LLC follows
	}
	p.etype = et
	p.l3off = off
	switch et {
	case etIPv4:
		return decodeIPv4(frame, off, p)
	case etIPv6:
		return decodeIPv6(frame, off, p)
	}
	return true
}

func decodeIPv4(frame []byte, off int, p *pkt) bool {
	b := frame[off:]
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(be16(b, 2))
	if ihl < 20 || total < ihl || total > len(b) {
		return false
	}
	b = b[:total] // drop Ethernet padding
	if ihl > 20 && !checkIPv4Options(b[20:ihl], p) {
		return false
	}
	p.family = 4
	p.proto = b[9]
	p.src = addr{lo: uint64(be32(b, 12))}
	p.dst = addr{lo: uint64(be32(b, 16))}
	p.l3end = off + total
	p.l4off = off + ihl
	p.fragProto = p.proto
	ff := be16(b, 6)
	fragOff := int(ff&0x1fff) * 8
	more := ff&0x2000 != 0
	if ff&0x8000 != 0 {
		return false // reserved bit (RFC 791 3.1)
	}
	if fragOff != 0 || more {
		p.fragID = uint32(be16(b, 4))
		if fragOff != 0 {
			p.frag = fragLater
			p.fragOff = uint16(fragOff)
			// A later fragment that overlaps the TCP header could rewrite
			// the flags or ports the first fragment was judged on
			// (RFC 1858 3.2).
			if p.proto == protoTCP && fragOff < 20 {
				return false
			}
			return true
		}
		p.frag = fragFirst
	}
	pos := ihl
	for n := 0; p.proto == protoAH; n++ {
		next, end, ok := skipAH(b, pos, 4)
		if !ok || n == maxExtHeaders {
			return false
		}
		p.proto, pos = next, end
	}
	p.l4off = off + pos
	hl, ok := decodeL4(b[pos:], p)
	p.hdrEnd = uint16(pos - ihl + hl)
	return ok
}

// skipAH returns the protocol after the AH header at b[pos:] and where
// it ends. RFC 4302 2.2: the length counts 4-octet units minus 2, the 12
// octets of fixed fields come first, and in IPv6 the header is a multiple
// of 8 octets.
func skipAH(b []byte, pos int, family uint8) (next uint8, end int, ok bool) {
	if len(b) < pos+12 {
		return 0, 0, false
	}
	end = pos + (int(b[pos+1])+2)*4
	if end-pos < 12 || family == 6 && (end-pos)%8 != 0 || end > len(b) {
		return 0, 0, false
	}
	return b[pos], end, true
}

// checkIPv4Options walks the options (RFC 791 3.1): every length must stay
// inside the header. Loose and strict source routes are flagged.
func checkIPv4Options(opts []byte, p *pkt) bool {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of option list
			return true
		case 1: // no operation
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return false
		}
		if opts[i] == 131 || opts[i] == 137 {
			p.srcRoute = true
		}
		i += int(opts[i+1])
	}
	return true
}

// isIPv6Ext reports the extension headers with the generic
// (next header, length in 8-octet units - 1) layout (RFC 8200 4, RFC 7045).
func isIPv6Ext(nh uint8) bool {
	switch nh {
	case 0, 43, 60, 135, 139, 140:
		return true
	}
	return false
}

func decodeIPv6(frame []byte, off int, p *pkt) bool {
	b := frame[off:]
	if len(b) < 40 || b[0]>>4 != 6 {
		return false
	}
	plen := int(be16(b, 4))
	if plen == 0 || 40+plen > len(b) {
		return false // jumbograms do not exist on a 100 Mbit/s link
	}
	b = b[:40+plen]
	p.family = 6
	p.src = addr{hi: be64(b, 8), lo: be64(b, 16)}
	p.dst = addr{hi: be64(b, 24), lo: be64(b, 32)}
	p.l3end = off + len(b)
	nh := b[6]
	pos := 40
	fragStart := 40 // where the fragmentable part begins
	sawFrag := false
	for n := 0; ; n++ {
		if n > maxExtHeaders {
			return false
		}
		switch {
		case isIPv6Ext(nh):
			if nh == 0 && n != 0 {
				return false // hop-by-hop must come first (RFC 8200 4.3)
			}
			if len(b) < pos+8 {
				return false
			}
			next := b[pos]
			// Type 0 routing headers are deprecated (RFC 5095 3): with
			// segments left they steer a packet past the filter.
			if nh == 43 && b[pos+2] == 0 && b[pos+3] != 0 {
				p.srcRoute = true
			}
			pos += (int(b[pos+1]) + 1) * 8
			if pos > len(b) {
				return false
			}
			nh = next
			continue
		case nh == protoAH:
			next, end, ok := skipAH(b, pos, 6)
			if !ok {
				return false
			}
			nh, pos = next, end
			continue
		case nh == 44: // fragment header (RFC 8200 4.5)
			if sawFrag || len(b) < pos+8 {
				return false
			}
			sawFrag = true
			next := b[pos]
			fo := be16(b, pos+2)
			more := fo&1 != 0
			id := be32(b, pos+4)
			pos += 8
			nh = next
			if fo>>3 == 0 && !more {
				continue // atomic fragment: a whole packet (RFC 6946)
			}
			p.fragID, p.fragProto, fragStart = id, nh, pos
			if fo>>3 != 0 {
				p.frag = fragLater
				p.fragOff = fo &^ 7
				p.proto = nh
				p.l4off = off + pos
				return true
			}
			p.frag = fragFirst
			continue
		}
		break
	}
	p.proto = nh
	p.l4off = off + pos
	if nh == 59 { // no next header
		return true
	}
	hl, ok := decodeL4(b[pos:], p)
	p.hdrEnd = uint16(pos - fragStart + hl)
	return ok
}

// decodeL4 reads the transport header and returns its length (0 for
// protocols without one here). A first fragment must hold the whole
// header, else the rules could not judge it (RFC 7112 for IPv6).
func decodeL4(b []byte, p *pkt) (int, bool) {
	switch p.proto {
	case protoTCP:
		if len(b) < 20 {
			return 0, false
		}
		doff := int(b[12]>>4) * 4
		if doff < 20 || doff > len(b) {
			return 0, false
		}
		p.hasPorts = true
		p.sport, p.dport = be16(b, 0), be16(b, 2)
		p.seq, p.ack = be32(b, 4), be32(b, 8)
		p.tcpFlags = b[13]
		p.win = be16(b, 14)
		p.payload = len(b) - doff
		p.wscale = noWindScale
		if p.tcpFlags&flagSYN != 0 {
			p.wscale = tcpWindowScale(b[20:doff])
		}
		return doff, true
	case protoUDP:
		if len(b) < 8 {
			return 0, false
		}
		ulen := int(be16(b, 4))
		if ulen < 8 || (p.frag == fragNone && ulen > len(b)) {
			return 0, false
		}
		p.hasPorts = true
		p.sport, p.dport = be16(b, 0), be16(b, 2)
		return 8, true
	case 132: // SCTP common header (RFC 9260 3.1)
		if len(b) < 12 {
			return 0, false
		}
		p.hasPorts = true
		p.sport, p.dport = be16(b, 0), be16(b, 2)
		return 12, true
	case protoICMP, protoICMP6:
		if (p.proto == protoICMP) != (p.family == 4) {
			return 0, true // ICMP in IPv6 or ICMPv6 in IPv4: just a protocol number
		}
		if len(b) < 8 {
			return 0, false
		}
		p.hasICMP = true
		p.icmpType, p.icmpCode = b[0], b[1]
		if isEcho(p.family, p.icmpType) {
			p.icmpID = be16(b, 4)
		}
		return 8, true
	}
	return 0, true
}

// tcpWindowScale walks TCP options for the window scale (RFC 7323 2.2).
func tcpWindowScale(opts []byte) uint8 {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of options
			return noWindScale
		case 1: // no-op
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return noWindScale
		}
		if opts[i] == 3 && opts[i+1] == 3 {
			s := opts[i+2]
			if s > maxWindScale {
				s = maxWindScale
			}
			return s
		}
		i += int(opts[i+1])
	}
	return noWindScale
}

// ICMP echo types (RFC 792, RFC 4443 4.1, 4.2).
func isEcho(family, typ uint8) bool {
	if family == 4 {
		return typ == 8 || typ == 0
	}
	return typ == 128 || typ == 129
}

func isEchoRequest(family, typ uint8) bool {
	return family == 4 && typ == 8 || family == 6 && typ == 128
}
