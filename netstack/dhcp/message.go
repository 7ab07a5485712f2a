// The DHCPv4 message format (RFC 2131 §2, options RFC 2132): Parse and
// Append, option overload into sname/file (RFC 2131 §4.1) and long
// options split over several instances (RFC 3396). Hand-written because
// neither maintained Go library fits the firmware (see the package doc).

package dhcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// UDP ports (RFC 2131 §4.1).
const (
	ServerPort = 67
	ClientPort = 68
)

const (
	headerLen = 236 // op .. file
	cookieLen = 4
	magic     = 0x63825363 // RFC 2131 §3: 99.130.83.99
	// minLen is the BOOTP minimum (RFC 1542 §3.2.1): some relays and
	// servers drop shorter messages, so Append pads to it.
	minLen = 300
	// MaxLen bounds a message Parse accepts: one Ethernet frame's UDP
	// payload.
	MaxLen = 1500 - 20 - 8
)

// Op codes.
const (
	BootRequest = 1
	BootReply   = 2
)

// MessageType is option 53 (RFC 2132 §9.6).
type MessageType byte

const (
	Discover MessageType = 1
	Offer    MessageType = 2
	Request  MessageType = 3
	Decline  MessageType = 4
	Ack      MessageType = 5
	Nak      MessageType = 6
	Release  MessageType = 7
	Inform   MessageType = 8
)

func (t MessageType) String() string {
	names := [...]string{"", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"}
	if int(t) < len(names) && t != 0 {
		return names[t]
	}
	return fmt.Sprintf("type-%d", byte(t))
}

// Option codes this client uses (RFC 2132).
const (
	OptPad         = 0
	OptSubnetMask  = 1
	OptRouter      = 3
	OptDNS         = 6
	OptHostname    = 12
	OptNTP         = 42
	OptRequestedIP = 50
	OptLeaseTime   = 51
	OptOverload    = 52
	OptMessageType = 53
	OptServerID    = 54
	OptParams      = 55
	OptMaxSize     = 57
	OptT1          = 58
	OptT2          = 59
	OptClientID    = 61
	OptEnd         = 255
)

// Message is one DHCP message. Addresses are IPv4; the zero Addr is
// encoded as 0.0.0.0. Options maps a code to its value, the values of a
// code given several times concatenated (RFC 3396). The sname and file
// fields are not kept (this client uses neither).
type Message struct {
	Op, HType, HLen, Hops byte
	XID                   uint32
	Secs, Flags           uint16
	CIAddr, YIAddr        netip.Addr
	SIAddr, GIAddr        netip.Addr
	CHAddr                [16]byte
	Options               map[byte][]byte
}

// FlagBroadcast asks servers to broadcast replies (RFC 2131 §4.1): a
// client without an address cannot receive unicast.
const FlagBroadcast = 0x8000

// Parse errors.
var (
	ErrShort     = errors.New("dhcp: message shorter than 240 bytes")
	ErrLong      = errors.New("dhcp: message longer than one frame")
	ErrCookie    = errors.New("dhcp: no magic cookie")
	ErrTruncated = errors.New("dhcp: option runs past the end of its field")
)

// Parse decodes a message; it keeps no reference to b.
func Parse(b []byte) (*Message, error) {
	if len(b) < headerLen+cookieLen {
		return nil, ErrShort
	}
	if len(b) > MaxLen {
		return nil, ErrLong
	}
	if binary.BigEndian.Uint32(b[headerLen:]) != magic {
		return nil, ErrCookie
	}
	m := &Message{
		Op: b[0], HType: b[1], HLen: b[2], Hops: b[3],
		XID:  binary.BigEndian.Uint32(b[4:]),
		Secs: binary.BigEndian.Uint16(b[8:]), Flags: binary.BigEndian.Uint16(b[10:]),
		CIAddr: addr4(b[12:]), YIAddr: addr4(b[16:]), SIAddr: addr4(b[20:]), GIAddr: addr4(b[24:]),
		Options: map[byte][]byte{},
	}
	copy(m.CHAddr[:], b[28:44])
	if err := m.parseOptions(b[headerLen+cookieLen:], true); err != nil {
		return nil, err
	}
	// Overload (RFC 2131 §4.1): file first, then sname. An overload
	// option inside them means nothing and is ignored.
	if ov := m.Options[OptOverload]; len(ov) == 1 {
		if ov[0]&1 != 0 {
			if err := m.parseOptions(b[108:236], false); err != nil {
				return nil, err
			}
		}
		if ov[0]&2 != 0 {
			if err := m.parseOptions(b[44:108], false); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Message) parseOptions(b []byte, main bool) error {
	for i := 0; i < len(b); {
		code := b[i]
		switch code {
		case OptPad:
			i++
			continue
		case OptEnd:
			return nil
		}
		if i+2 > len(b) || i+2+int(b[i+1]) > len(b) {
			return ErrTruncated
		}
		v := b[i+2 : i+2+int(b[i+1])]
		i += 2 + len(v)
		if code == OptOverload && !main {
			continue
		}
		m.Options[code] = append(m.Options[code], v...)
	}
	return nil // no end option: tolerated, the field ended
}

func addr4(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b[:4])) }

// Append encodes m after b: option 53 first, the others by code, each
// split into instances of at most 255 bytes, then end and padding to
// the BOOTP minimum.
func (m *Message) Append(b []byte) []byte {
	start := len(b)
	b = append(b, m.Op, m.HType, m.HLen, m.Hops)
	b = binary.BigEndian.AppendUint32(b, m.XID)
	b = binary.BigEndian.AppendUint16(b, m.Secs)
	b = binary.BigEndian.AppendUint16(b, m.Flags)
	for _, a := range []netip.Addr{m.CIAddr, m.YIAddr, m.SIAddr, m.GIAddr} {
		b = append(b, as4(a)...)
	}
	b = append(b, m.CHAddr[:]...)
	b = append(b, make([]byte, 64+128)...) // sname, file
	b = binary.BigEndian.AppendUint32(b, magic)
	codes := make([]byte, 0, len(m.Options))
	for c := range m.Options {
		if c != OptPad && c != OptEnd {
			codes = append(codes, c)
		}
	}
	slices.SortFunc(codes, func(x, y byte) int {
		if x == OptMessageType || y == OptMessageType {
			return boolInt(y == OptMessageType) - boolInt(x == OptMessageType)
		}
		return int(x) - int(y)
	})
	for _, c := range codes {
		v := m.Options[c]
		for first := true; first || len(v) > 0; first = false {
			n := min(len(v), 255)
			b = append(b, c, byte(n))
			b = append(b, v[:n]...)
			v = v[n:]
		}
	}
	b = append(b, OptEnd)
	for len(b)-start < minLen {
		b = append(b, OptPad)
	}
	return b
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func as4(a netip.Addr) []byte {
	if !a.Is4() {
		return make([]byte, 4)
	}
	v := a.As4()
	return v[:]
}

// Type returns the message type, or 0 when option 53 is absent or bad.
func (m *Message) Type() MessageType {
	if v := m.Options[OptMessageType]; len(v) == 1 {
		return MessageType(v[0])
	}
	return 0
}

// Addr returns an option holding one IPv4 address.
func (m *Message) Addr(code byte) (netip.Addr, bool) {
	v := m.Options[code]
	if len(v) != 4 {
		return netip.Addr{}, false
	}
	return addr4(v), true
}

// Addrs returns an option holding a list of IPv4 addresses.
func (m *Message) Addrs(code byte) []netip.Addr {
	v := m.Options[code]
	if len(v)%4 != 0 {
		return nil
	}
	var out []netip.Addr
	for i := 0; i < len(v); i += 4 {
		out = append(out, addr4(v[i:]))
	}
	return out
}

// Infinite is the lease time 0xffffffff (RFC 2131 §3.3).
const Infinite = time.Duration(1<<63 - 1)

// Seconds returns a 32-bit seconds option (lease time, T1, T2).
func (m *Message) Seconds(code byte) (time.Duration, bool) {
	v := m.Options[code]
	if len(v) != 4 {
		return 0, false
	}
	s := binary.BigEndian.Uint32(v)
	if s == 0xffffffff {
		return Infinite, true
	}
	return time.Duration(s) * time.Second, true
}

// PrefixLen returns the subnet mask option as a prefix length; a mask
// that is not contiguous ones then zeros is refused.
func (m *Message) PrefixLen() (int, bool) {
	v := m.Options[OptSubnetMask]
	if len(v) != 4 {
		return 0, false
	}
	mask := binary.BigEndian.Uint32(v)
	n := 0
	for ; n < 32 && mask&(1<<(31-n)) != 0; n++ {
	}
	if mask<<n != 0 {
		return 0, false
	}
	return n, true
}

// SetAddr sets an option to one IPv4 address.
func (m *Message) SetAddr(code byte, a netip.Addr) { m.Options[code] = as4(a) }

// SetSeconds sets a 32-bit seconds option.
func (m *Message) SetSeconds(code byte, d time.Duration) {
	s := uint32(0xffffffff)
	if d != Infinite {
		s = uint32(d / time.Second)
	}
	m.Options[code] = binary.BigEndian.AppendUint32(nil, s)
}
