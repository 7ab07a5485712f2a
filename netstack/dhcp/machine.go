// The client state machine of RFC 2131 §4.4 (its figure 5) without I/O
// or clocks: the driver (client.go) hands it replies and the time and
// carries out the Output it returns. INIT-REBOOT is left out: the
// appliance keeps no lease across boots. The first offer is taken, and
// the offered address is not ARP-probed (no DECLINE).

package dhcp

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"time"
)

// State is a client state of RFC 2131 §4.4.
type State uint8

const (
	Init State = iota // no lease; waiting to start discovery
	Selecting
	Requesting
	Bound
	Renewing
	Rebinding
)

func (s State) String() string {
	return [...]string{"init", "selecting", "requesting", "bound", "renewing", "rebinding"}[s]
}

// Timing (RFC 2131 §4.1, §4.4.5) and the bounds this client adds.
const (
	firstWait    = 4 * time.Second  // first retransmission, doubling
	maxWait      = 64 * time.Second // retransmission cap
	jitter       = time.Second      // ± on every retransmission wait
	requestTries = 4                // REQUESTs before discovery starts over
	minRetry     = 60 * time.Second // RENEWING/REBINDING retransmission floor
	nakWait      = 4 * time.Second  // pause after a NAK: no DISCOVER/NAK storm
	// minLease bounds how often a server can make us renew.
	minLease = 10 * time.Second
)

var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Lease is what a server granted.
type Lease struct {
	Addr     netip.Prefix // the address, with the subnet's prefix length
	Server   netip.Addr   // server identifier (option 54)
	Router   netip.Addr   // first router (option 3); invalid if none
	DNS, NTP []netip.Addr
	// Duration may be Infinite; then T1 and T2 are too.
	Duration, T1, T2 time.Duration
	// Start is when the REQUEST that got the lease was first sent: the
	// lease runs from then (RFC 2131 §4.4.1).
	Start time.Time
}

// At returns Start+d, or the zero Time for Infinite.
func (l *Lease) At(d time.Duration) time.Time {
	if d == Infinite {
		return time.Time{}
	}
	return l.Start.Add(d)
}

// Output is what the driver does after a call.
type Output struct {
	Send []byte     // a message to send, or nil
	To   netip.Addr // its destination: broadcast or the server
	// NoAddr: send from 0.0.0.0 at the link layer, there is no address.
	NoAddr bool
	Lost   bool   // the lease ended: remove it from the stack (first)
	Bound  *Lease // a lease granted or extended: apply it
}

// Config of a Machine.
type Config struct {
	MAC      [6]byte
	Hostname string     // option 12, if not empty
	Rand     *rand.Rand // transaction ids and retransmission jitter
}

// Stats are a Machine's counters.
type Stats struct {
	Discovers uint64 `json:"discovers"` // sent, retransmissions included
	Requests  uint64 `json:"requests"`
	Offers    uint64 `json:"offers"` // accepted
	Acks      uint64 `json:"acks"`
	Naks      uint64 `json:"naks"`
	Renewals  uint64 `json:"renewals"` // leases extended while renewing
	Rebinds   uint64 `json:"rebinds"`  // ... while rebinding
	Expired   uint64 `json:"expired"`  // leases that ran out
	// Ignored replies were not for this exchange (op, hardware address,
	// xid, type or server); Invalid ones were, but offered no usable
	// address, lease time or server identifier.
	Ignored uint64 `json:"ignored"`
	Invalid uint64 `json:"invalid"`
}

// Machine is one port's client.
type Machine struct {
	cfg   Config
	state State
	xid   uint32
	next  time.Time // when Tick is due; zero: never
	began time.Time // this acquisition or renewal began (secs field)
	sent  time.Time // first REQUEST of this exchange: the lease's start
	tries int       // messages sent in this state
	offer Lease     // Requesting: the offer taken
	lease *Lease    // Bound, Renewing, Rebinding
	stats Stats
}

// New returns a Machine in Init; Tick starts discovery. Without
// cfg.Rand it draws from a generator seeded by crypto/rand.
func New(cfg Config) *Machine {
	if cfg.Rand == nil {
		var seed [32]byte
		crand.Read(seed[:])
		cfg.Rand = rand.New(rand.NewChaCha8(seed))
	}
	return &Machine{cfg: cfg}
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Lease returns the lease held, or nil.
func (m *Machine) Lease() *Lease { return m.lease }

// Stats returns the counters.
func (m *Machine) Stats() Stats { return m.stats }

// Next is when Tick must be called if no reply comes first; the zero
// Time means now in Init (the first call) and never otherwise (an
// infinite lease).
func (m *Machine) Next() time.Time { return m.next }

// Tick runs the timers due at now: retransmissions, T1, T2, expiry.
func (m *Machine) Tick(now time.Time) Output {
	if l := m.lease; l != nil {
		if exp := l.At(l.Duration); !exp.IsZero() && !now.Before(exp) {
			m.lease = nil
			m.stats.Expired++
			out := m.discover(now)
			out.Lost = true
			return out
		}
		if t2 := l.At(l.T2); (m.state == Bound || m.state == Renewing) && !t2.IsZero() && !now.Before(t2) {
			m.enter(Rebinding, now)
			return m.sendRenewal(now)
		}
		if t1 := l.At(l.T1); m.state == Bound && !t1.IsZero() && !now.Before(t1) {
			m.enter(Renewing, now)
			return m.sendRenewal(now)
		}
	}
	if m.state == Init && !m.next.IsZero() && now.Before(m.next) ||
		m.state != Init && (m.next.IsZero() || now.Before(m.next)) {
		return Output{}
	}
	switch m.state {
	case Init:
		return m.discover(now)
	case Selecting:
		return m.sendDiscover(now)
	case Requesting:
		if m.tries >= requestTries {
			return m.discover(now)
		}
		return m.sendRequest(now)
	case Renewing, Rebinding:
		return m.sendRenewal(now)
	}
	return Output{}
}

// Receive handles one reply from the server port.
func (m *Machine) Receive(now time.Time, msg *Message) Output {
	if msg.Op != BootReply || msg.HType != 1 || msg.HLen != 6 || !bytes.Equal(msg.CHAddr[:6], m.cfg.MAC[:]) || msg.XID != m.xid {
		m.stats.Ignored++
		return Output{}
	}
	server, hasServer := msg.Addr(OptServerID)
	switch t := msg.Type(); {
	case m.state == Selecting && t == Offer:
		l, ok := leaseFrom(msg, false)
		if !ok || !hasServer {
			m.stats.Invalid++
			return Output{}
		}
		m.stats.Offers++
		m.offer = *l
		m.offer.Server = server
		m.state, m.tries = Requesting, 0
		return m.sendRequest(now)
	case m.state == Requesting && (t == Ack || t == Nak):
		if server != m.offer.Server {
			m.stats.Ignored++
			return Output{}
		}
		return m.answer(now, msg, t, server)
	case (m.state == Renewing || m.state == Rebinding) && (t == Ack || t == Nak):
		if !hasServer {
			server = m.lease.Server
		}
		if m.state == Renewing && server != m.lease.Server {
			m.stats.Ignored++
			return Output{}
		}
		return m.answer(now, msg, t, server)
	}
	m.stats.Ignored++
	return Output{}
}

// answer takes an ACK or NAK to a REQUEST.
func (m *Machine) answer(now time.Time, msg *Message, t MessageType, server netip.Addr) Output {
	if t == Nak {
		m.stats.Naks++
		lost := m.lease != nil
		m.lease = nil
		m.state, m.next = Init, now.Add(m.wiggle(nakWait))
		return Output{Lost: lost}
	}
	l, ok := leaseFrom(msg, true)
	if !ok {
		m.stats.Invalid++
		return Output{}
	}
	l.Server, l.Start = server, m.sent
	m.stats.Acks++
	switch m.state {
	case Renewing:
		m.stats.Renewals++
	case Rebinding:
		m.stats.Rebinds++
	}
	m.lease, m.state = l, Bound
	m.next = l.At(l.T1)
	return Output{Bound: l}
}

// enter starts a new exchange in state s.
func (m *Machine) enter(s State, now time.Time) {
	m.state, m.xid, m.began, m.tries = s, m.cfg.Rand.Uint32(), now, 0
}

func (m *Machine) discover(now time.Time) Output {
	m.enter(Selecting, now)
	return m.sendDiscover(now)
}

func (m *Machine) sendDiscover(now time.Time) Output {
	msg := m.message(Discover, now)
	msg.Flags = FlagBroadcast
	m.stats.Discovers++
	m.next = now.Add(m.backoff())
	return Output{Send: msg.Append(nil), To: broadcast, NoAddr: true}
}

func (m *Machine) sendRequest(now time.Time) Output {
	msg := m.message(Request, now)
	msg.Flags = FlagBroadcast
	msg.SetAddr(OptRequestedIP, m.offer.Addr.Addr())
	msg.SetAddr(OptServerID, m.offer.Server)
	if m.tries == 0 {
		m.sent = now
	}
	m.stats.Requests++
	m.next = now.Add(m.backoff())
	return Output{Send: msg.Append(nil), To: broadcast, NoAddr: true}
}

// sendRenewal sends a REQUEST from the leased address: unicast to the
// server while renewing, broadcast while rebinding. Retransmissions wait
// half the time left to T2 (or expiry), at least minRetry, not past it.
func (m *Machine) sendRenewal(now time.Time) Output {
	l := m.lease
	msg := m.message(Request, now)
	msg.CIAddr = l.Addr.Addr()
	if m.tries == 0 {
		m.sent = now
	}
	m.tries++
	m.stats.Requests++
	to, until := l.Server, l.At(l.T2)
	if m.state == Rebinding {
		to, until = broadcast, l.At(l.Duration)
	}
	m.next = now.Add(max(minRetry, until.Sub(now)/2))
	if m.next.After(until) {
		m.next = until
	}
	return Output{Send: msg.Append(nil), To: to}
}

// backoff is the wait before retransmission number m.tries (RFC 2131
// §4.1: 4 s doubling to 64 s, ±1 s), counting this send.
func (m *Machine) backoff() time.Duration {
	d := firstWait << min(m.tries, 4)
	m.tries++
	return m.wiggle(min(d, maxWait))
}

func (m *Machine) wiggle(d time.Duration) time.Duration {
	return d - jitter + time.Duration(m.cfg.Rand.Int64N(int64(2*jitter)))
}

func (m *Machine) message(t MessageType, now time.Time) *Message {
	msg := &Message{Op: BootRequest, HType: 1, HLen: 6, XID: m.xid,
		Secs: uint16(min(now.Sub(m.began)/time.Second, 0xffff)), Options: map[byte][]byte{}}
	copy(msg.CHAddr[:], m.cfg.MAC[:])
	msg.Options[OptMessageType] = []byte{byte(t)}
	msg.Options[OptClientID] = append([]byte{1}, m.cfg.MAC[:]...)
	msg.Options[OptParams] = []byte{OptSubnetMask, OptRouter, OptDNS, OptNTP, OptLeaseTime, OptServerID, OptT1, OptT2}
	msg.Options[OptMaxSize] = binary.BigEndian.AppendUint16(nil, MaxLen+28)
	if m.cfg.Hostname != "" {
		msg.Options[OptHostname] = []byte(m.cfg.Hostname)
	}
	return msg
}

// leaseFrom reads the address and parameters of an OFFER or ACK; an ACK
// must carry the lease time (RFC 2131 §4.3.1, table 3).
func leaseFrom(msg *Message, ack bool) (*Lease, bool) {
	a := msg.YIAddr
	if !usable(a) {
		return nil, false
	}
	bits, ok := msg.PrefixLen()
	if !ok {
		bits = classful(a)
	}
	p := netip.PrefixFrom(a, bits)
	if bits == 0 {
		return nil, false // everything on-link: not a subnet
	}
	if bits <= 30 && (a == p.Masked().Addr() || a == lastAddr(p)) {
		return nil, false // the subnet's network or broadcast address
	}
	l := &Lease{Addr: p}
	d, ok := msg.Seconds(OptLeaseTime)
	if !ok && ack {
		return nil, false
	}
	l.Duration = max(d, minLease)
	l.T1, l.T2 = Infinite, Infinite
	if l.Duration != Infinite {
		l.T2, _ = msg.Seconds(OptT2)
		if l.T2 <= 0 || l.T2 >= l.Duration {
			l.T2 = l.Duration / 8 * 7
		}
		l.T1, _ = msg.Seconds(OptT1)
		if l.T1 <= 0 || l.T1 >= l.T2 {
			if l.T1 = l.Duration / 2; l.T1 >= l.T2 {
				l.T1 = l.T2 / 2
			}
		}
	}
	for _, r := range msg.Addrs(OptRouter) {
		if usable(r) {
			l.Router = r
			break
		}
	}
	for _, d := range msg.Addrs(OptDNS) {
		if usable(d) {
			l.DNS = append(l.DNS, d)
		}
	}
	for _, n := range msg.Addrs(OptNTP) {
		if usable(n) {
			l.NTP = append(l.NTP, n)
		}
	}
	return l, true
}

// usable is a unicast IPv4 address a host may have or talk to.
func usable(a netip.Addr) bool {
	return a.Is4() && a.IsGlobalUnicast() && a.As4()[0] != 0 && a.As4()[0] < 240
}

func classful(a netip.Addr) int {
	switch b := a.As4()[0]; {
	case b < 128:
		return 8
	case b < 192:
		return 16
	}
	return 24
}

func lastAddr(p netip.Prefix) netip.Addr {
	v := binary.BigEndian.Uint32(as4(p.Masked().Addr())) | (1<<(32-p.Bits()) - 1)
	return netip.AddrFrom4([4]byte(binary.BigEndian.AppendUint32(nil, v)))
}
