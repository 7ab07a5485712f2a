// Reject replies: which reply a rejected frame earns (rate-limited per
// engine), and BuildReply, which writes it into a caller's buffer.

package filter

import "errors"

// replyKind says what a reject of p should send. No reply to non-IP, to
// broadcast or multicast, to a RST, to an ICMP error, or to a later
// fragment (RFC 1122 3.2.2; RFC 4443 2.4 e).
func replyKind(p *pkt) Reply {
	if p.family == 0 || p.frag == fragLater || p.dstMAC[0]&1 != 0 {
		return ReplyNone
	}
	// Nor to a source that cannot be answered: unspecified, broadcast or
	// multicast (RFC 1812 4.3.2.7).
	if p.family == 4 {
		d, s := uint32(p.dst.lo), uint32(p.src.lo)
		if d == 0xffffffff || d>>28 == 0xe || s == 0 || s == 0xffffffff || s>>28 == 0xe {
			return ReplyNone
		}
	} else if p.dst.hi>>56 == 0xff || p.src.hi>>56 == 0xff || p.src == (addr{}) {
		return ReplyNone
	}
	switch {
	case p.proto == protoTCP && p.hasPorts:
		if p.tcpFlags&flagRST != 0 {
			return ReplyNone
		}
		return ReplyTCPReset
	case p.hasICMP && isICMPError(p.family, p.icmpType):
		return ReplyNone
	case p.family == 4:
		return ReplyICMPUnreach
	}
	return ReplyICMP6Unreach
}

// reply returns the reply for a rejected p, or ReplyNone when the reply
// budget (Options.RejectRate) is spent.
func (e *Engine) reply(p *pkt, now int64) Reply {
	k := replyKind(p)
	if k == ReplyNone {
		return k
	}
	if !e.rejectBucket.allow(now, e.rejectInterval, e.rejectBurst) {
		e.stats.repliesLimited.Add(1)
		return ReplyNone
	}
	e.stats.replies.Add(1)
	return k
}

// Errors of BuildReply.
var (
	ErrNoReply    = errors.New("filter: no reply for this frame")
	ErrShortReply = errors.New("filter: reply buffer too small")
)

// MaxReplyLen is a buffer size BuildReply never exceeds: a minimum IPv6
// MTU packet behind two VLAN tags.
const MaxReplyLen = 14 + 8 + 1280

// BuildReply writes into out the reply that verdict v asks for in answer
// to frame: Ethernet addresses swapped, VLAN tags kept, then a TCP RST or
// an ICMP/ICMPv6 destination unreachable quoting the frame. It returns the
// reply's length. It reads frame, keeps neither buffer, and allocates
// nothing. Call it only with the verdict Decide gave for this frame (the
// rate limit was applied there).
func BuildReply(frame []byte, v Verdict, out []byte) (int, error) {
	var p pkt
	if v.Action != Reject || v.Reply == ReplyNone || !decode(frame, &p) || replyKind(&p) != v.Reply {
		return 0, ErrNoReply
	}
	l2 := p.l3off
	if len(out) < l2 {
		return 0, ErrShortReply
	}
	copy(out[0:6], frame[6:12])
	copy(out[6:12], frame[0:6])
	copy(out[12:l2], frame[12:l2])
	var n int
	var ok bool
	switch v.Reply {
	case ReplyTCPReset:
		n, ok = buildRST(frame, &p, out[l2:])
	case ReplyICMPUnreach:
		n, ok = buildICMP4(frame, &p, out[l2:])
	case ReplyICMP6Unreach:
		n, ok = buildICMP6(frame, &p, out[l2:])
	}
	if !ok {
		return 0, ErrShortReply
	}
	return l2 + n, nil
}

func put16(b []byte, off int, v uint16) { b[off], b[off+1] = byte(v>>8), byte(v) }
func put32(b []byte, off int, v uint32) {
	put16(b, off, uint16(v>>16))
	put16(b, off+2, uint16(v))
}

// csum adds b to a ones'-complement sum (RFC 1071).
func csum(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// ipHeader writes an IP header from p's destination back to its source
// and returns its length and the pseudo-header sum for the transport.
func ipHeader(frame []byte, p *pkt, out []byte, proto uint8, payload int) (int, uint32) {
	src := frame[p.l3off:]
	if p.family == 4 {
		clear(out[:20])
		out[0] = 0x45
		put16(out, 2, uint16(20+payload))
		out[6] = 0x40 // DF
		out[8] = 64
		out[9] = proto
		copy(out[12:16], src[16:20])
		copy(out[16:20], src[12:16])
		put16(out, 10, fold(csum(0, out[:20])))
		ps := csum(0, out[12:20]) + uint32(proto) + uint32(payload)
		return 20, ps
	}
	clear(out[:40])
	out[0] = 0x60
	put16(out, 4, uint16(payload))
	out[6] = proto
	out[7] = 255 // hop limit; 255 also lets a neighbour trust it
	copy(out[8:24], src[24:40])
	copy(out[24:40], src[8:24])
	ps := csum(0, out[8:40]) + uint32(proto) + uint32(payload)
	return 40, ps
}

// buildRST answers a TCP segment with a RST (RFC 9293 3.10.7.1): to an
// ACK, seq = its ack; otherwise ack = its seq + length.
func buildRST(frame []byte, p *pkt, out []byte) (int, bool) {
	hl := 20
	if p.family == 6 {
		hl = 40
	}
	if len(out) < hl+20 {
		return 0, false
	}
	n, ps := ipHeader(frame, p, out, protoTCP, 20)
	t := out[n : n+20]
	clear(t)
	put16(t, 0, p.dport)
	put16(t, 2, p.sport)
	if p.tcpFlags&flagACK != 0 {
		put32(t, 4, p.ack)
		t[13] = flagRST
	} else {
		put32(t, 8, segEnd(p))
		t[13] = flagRST | flagACK
	}
	t[12] = 5 << 4
	put16(t, 16, fold(csum(ps, t)))
	return n + 20, true
}

// buildICMP4 quotes the IP header and 8 bytes of payload (RFC 792; RFC
// 1812 4.3.2.3 allows more, 8 is enough to find the flow).
func buildICMP4(frame []byte, p *pkt, out []byte) (int, bool) {
	ihl := p.l4off - p.l3off
	quote := ihl + 8
	if p.l3end-p.l3off < quote {
		quote = p.l3end - p.l3off
	}
	if len(out) < 20+8+quote {
		return 0, false
	}
	n, _ := ipHeader(frame, p, out, protoICMP, 8+quote)
	m := out[n : n+8+quote]
	clear(m[:8])
	m[0] = 3  // destination unreachable
	m[1] = 13 // communication administratively prohibited (RFC 1812 5.2.7.1)
	if p.proto == protoUDP {
		m[1] = 3 // port unreachable
	}
	copy(m[8:], frame[p.l3off:p.l3off+quote])
	put16(m, 2, fold(csum(0, m)))
	return n + len(m), true
}

// buildICMP6 quotes as much of the packet as fits a 1280-byte reply
// (RFC 4443 3.1).
func buildICMP6(frame []byte, p *pkt, out []byte) (int, bool) {
	quote := p.l3end - p.l3off
	if quote > 1280-40-8 {
		quote = 1280 - 40 - 8
	}
	if len(out) < 40+8+quote {
		return 0, false
	}
	n, ps := ipHeader(frame, p, out, protoICMP6, 8+quote)
	m := out[n : n+8+quote]
	clear(m[:8])
	m[0] = 1 // destination unreachable
	m[1] = 1 // communication administratively prohibited
	if p.proto == protoUDP {
		m[1] = 4 // port unreachable
	}
	copy(m[8:], frame[p.l3off:p.l3off+quote])
	put16(m, 2, fold(csum(ps, m)))
	return n + len(m), true
}
