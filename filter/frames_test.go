// Test helpers that build Ethernet frames (IPv4/IPv6, TCP/UDP/ICMP, VLAN
// tags, fragments, extension headers). Checksums are left zero: the filter
// does not verify them.

package filter

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

var (
	macA = [6]byte{0x02, 0, 0, 0, 0, 0x0a}
	macB = [6]byte{0x02, 0, 0, 0, 0, 0x0b}
)

func ether(etype uint16, l3 []byte) []byte {
	b := make([]byte, 0, 14+len(l3))
	b = append(b, macB[:]...)
	b = append(b, macA[:]...)
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, l3...)
}

// tag inserts an 802.1Q (or other TPID) tag in front of the EtherType.
func tag(f []byte, tpid, vid uint16) []byte {
	out := append([]byte{}, f[:12]...)
	out = binary.BigEndian.AppendUint16(out, tpid)
	out = binary.BigEndian.AppendUint16(out, vid)
	return append(out, f[12:]...)
}

type ip4opt struct {
	id      uint16
	fragOff int // bytes, multiple of 8
	more    bool
	options []byte // IPv4 options, padded by the caller to 4 bytes
}

func ipv4(src, dst string, proto uint8, l4 []byte, o ip4opt) []byte {
	hl := 20 + len(o.options)
	b := make([]byte, hl, hl+len(l4))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(l4)))
	binary.BigEndian.PutUint16(b[4:], o.id)
	ff := uint16(o.fragOff / 8)
	if o.more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], ff)
	b[8] = 64
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], o.options)
	return append(b, l4...)
}

// ext is one IPv6 extension header: its type and body (next header and
// length bytes are filled in).
type ext struct {
	typ  uint8
	body []byte // length+2 must be a multiple of 8 (fragment: exactly 6)
}

func ipv6(src, dst string, proto uint8, l4 []byte, exts ...ext) []byte {
	var chain []byte
	for i, e := range exts {
		next := proto
		if i+1 < len(exts) {
			next = exts[i+1].typ
		}
		h := []byte{next, 0}
		switch e.typ {
		case 44:
		case 51: // AH counts 4-octet units, minus 2 (RFC 4302 2.2)
			h[1] = byte((len(e.body)+2)/4 - 2)
		default:
			h[1] = byte((len(e.body)+2)/8 - 1)
		}
		chain = append(chain, h...)
		chain = append(chain, e.body...)
	}
	first := proto
	if len(exts) > 0 {
		first = exts[0].typ
	}
	b := make([]byte, 40, 40+len(chain)+len(l4))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(chain)+len(l4)))
	b[6] = first
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	b = append(b, chain...)
	return append(b, l4...)
}

func fragExt(off int, more bool, id uint32) ext {
	body := make([]byte, 6)
	v := uint16(off/8) << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(body[0:], v)
	binary.BigEndian.PutUint32(body[2:], id)
	return ext{typ: 44, body: body}
}

type tcpSeg struct {
	sport, dport uint16
	flags        uint8
	seq, ack     uint32
	win          uint16
	wscale       int // -1: no option
	payload      int
}

func (s tcpSeg) bytes() []byte {
	hl := 20
	if s.wscale >= 0 {
		hl = 24
	}
	b := make([]byte, hl+s.payload)
	binary.BigEndian.PutUint16(b[0:], s.sport)
	binary.BigEndian.PutUint16(b[2:], s.dport)
	binary.BigEndian.PutUint32(b[4:], s.seq)
	binary.BigEndian.PutUint32(b[8:], s.ack)
	b[12] = byte(hl/4) << 4
	b[13] = s.flags
	win := s.win
	if win == 0 {
		win = 65535
	}
	binary.BigEndian.PutUint16(b[14:], win)
	if s.wscale >= 0 {
		copy(b[20:], []byte{1, 3, 3, byte(s.wscale)})
	}
	return b
}

func udpSeg(sport, dport uint16, payload int) []byte {
	b := make([]byte, 8+payload)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+payload))
	return b
}

func icmpMsg(typ, code uint8, id uint16) []byte {
	b := make([]byte, 8)
	b[0], b[1] = typ, code
	binary.BigEndian.PutUint16(b[4:], id)
	return b
}

func tcp4(src, dst string, sport, dport uint16, flags uint8) []byte {
	return ether(etIPv4, ipv4(src, dst, protoTCP, tcpSeg{sport: sport, dport: dport, flags: flags, wscale: -1}.bytes(), ip4opt{}))
}

func udp4(src, dst string, sport, dport uint16) []byte {
	return ether(etIPv4, ipv4(src, dst, protoUDP, udpSeg(sport, dport, 4), ip4opt{}))
}

func tcp6(src, dst string, sport, dport uint16, flags uint8) []byte {
	return ether(etIPv6, ipv6(src, dst, protoTCP, tcpSeg{sport: sport, dport: dport, flags: flags, wscale: -1}.bytes()))
}

func udp6(src, dst string, sport, dport uint16) []byte {
	return ether(etIPv6, ipv6(src, dst, protoUDP, udpSeg(sport, dport, 4)))
}

func ping4(src, dst string, typ uint8, id uint16) []byte {
	return ether(etIPv4, ipv4(src, dst, protoICMP, icmpMsg(typ, 0, id), ip4opt{}))
}

func ping6(src, dst string, typ uint8, id uint16) []byte {
	return ether(etIPv6, ipv6(src, dst, protoICMP6, icmpMsg(typ, 0, id)))
}

func arpFrame() []byte { return ether(etARP, make([]byte, 28)) }

// newEngine loads rules into a fresh engine with a fixed hash seed.
func newEngine(t testing.TB, rules string, opts Options) *Engine {
	t.Helper()
	if opts.HashSeed == 0 {
		opts.HashSeed = 42
	}
	e := NewEngine(opts)
	if err := e.Load("test.rules", []byte(rules)); err != nil {
		t.Fatalf("rules do not load: %v", err)
	}
	return e
}

var (
	inLAN  = Meta{Port: 0, Dir: In}
	inWAN  = Meta{Port: 1, Dir: In}
	outWAN = Meta{Port: 1, Dir: Out}
)

func at(m Meta, now int64) Meta { m.Now = now; return m }

// ahHeader is an AH header (RFC 4302 2) of n bytes in all (n/4-2 in its
// length field) in front of protocol next; the ICV is left zero.
func ahHeader(next uint8, n int) []byte {
	b := make([]byte, n)
	b[0], b[1] = next, byte(n/4-2)
	return b
}

// mut returns a copy of b changed by f.
func mut(b []byte, f func([]byte)) []byte { c := append([]byte{}, b...); f(c); return c }
