// The client on a gVisor stack: one goroutine per port runs the Machine
// and puts its lease into the stack. Replies arrive on a UDP endpoint
// bound to port 68 on the NIC: gVisor gives every IPv4 NIC the address
// 255.255.255.255, so broadcasts reach it before there is an address
// (hence requests ask for broadcast replies). Requests sent before there
// is an address go out at the link layer from 0.0.0.0, through
// Stack.WritePacketToRemote (what gVisor's packet endpoints use), with
// IPv4 and UDP headers built here; gVisor's UDP cannot send without a
// local address. Renewals go through the UDP endpoint.

package dhcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Options configures a Client.
type Options struct {
	Stack    *stack.Stack
	NIC      tcpip.NICID
	Name     string // the port's, for Logf
	MAC      [6]byte
	Hostname string
	// Fallback are the port's static IPv4 addresses and FallbackGateway
	// its static IPv4 gateway (or invalid), already in the stack with
	// their routes (netstack.New's): replaced while a lease is bound (the
	// gateway only by a lease that names a router), put back when it ends.
	Fallback        []netip.Prefix
	FallbackGateway netip.Addr
	// OnChange runs on the client's goroutine after a new lease (or a
	// changed address, router or server list) is in the stack, and with
	// nil after a lease was removed.
	OnChange func(*Lease)
	// Logf, if set, reports bindings and losses.
	Logf func(format string, a ...any)
}

// Client runs DHCP on one NIC.
type Client struct {
	o    Options
	m    *Machine
	conn *gonet.UDPConn
	rx   chan *Message
	done chan struct{}
	wg   sync.WaitGroup

	applied *Lease         // the lease in the stack
	addrs   []netip.Prefix // IPv4 addresses this client manages, in the stack
	routes  []tcpip.Route  // routes this client manages, in the stack

	mu       sync.Mutex // guards pub, for Status
	pub      Status
	pubLease *Lease

	malformed, rxDropped, sendErrors, stackErrors atomic.Uint64
}

// Status is one port's DHCP state for /status. Times are wall-clock
// (real once SNTP has set the clock), taken when Status is called.
type Status struct {
	State   string       `json:"state"`
	Address netip.Prefix `json:"address"`
	Server  netip.Addr   `json:"server"`
	Router  netip.Addr   `json:"router"`
	NTP     []netip.Addr `json:"ntp,omitempty"`
	Renew   *time.Time   `json:"renew_at,omitempty"`
	Rebind  *time.Time   `json:"rebind_at,omitempty"`
	Expires *time.Time   `json:"expires,omitempty"`
	Stats
	Malformed   uint64 `json:"malformed"`    // replies that did not parse
	RxDropped   uint64 `json:"rx_dropped"`   // replies arriving faster than handled
	SendErrors  uint64 `json:"send_errors"`  // requests the stack refused
	StackErrors uint64 `json:"stack_errors"` // addresses the stack refused
}

// Start opens the client's endpoint and starts discovery.
func Start(o Options) (*Client, error) {
	var wq waiter.Queue
	ep, terr := o.Stack.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		return nil, fmt.Errorf("dhcp: %v", terr)
	}
	ep.SocketOptions().SetBroadcast(true) // rebinding broadcasts from the lease
	if terr := ep.Bind(tcpip.FullAddress{NIC: o.NIC, Port: ClientPort}); terr != nil {
		ep.Close()
		return nil, fmt.Errorf("dhcp: bind port %d on NIC %d: %v", ClientPort, o.NIC, terr)
	}
	c := &Client{o: o, m: New(Config{MAC: o.MAC, Hostname: o.Hostname}), conn: gonet.NewUDPConn(&wq, ep),
		rx: make(chan *Message, 8), done: make(chan struct{}), addrs: slices.Clone(o.Fallback), routes: fallbackRoutes(o)}
	c.publish()
	c.wg.Add(2)
	go c.receive()
	go c.run()
	return c, nil
}

// Close stops the client; the lease stays in the stack.
func (c *Client) Close() {
	close(c.done)
	c.conn.Close()
	c.wg.Wait()
}

func (c *Client) run() {
	defer c.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.rx:
			c.do(c.m.Receive(time.Now(), msg))
		case <-timer.C:
			c.do(c.m.Tick(time.Now()))
		}
		timer.Stop()
		if n := c.m.Next(); !n.IsZero() {
			timer.Reset(time.Until(n))
		}
	}
}

func (c *Client) receive() {
	defer c.wg.Done()
	buf := make([]byte, MaxLen+1)
	for {
		n, from, err := c.conn.ReadFrom(buf)
		if err != nil {
			return // closed: no deadline is set, so nothing else ends a read
		}
		ua, _ := from.(*net.UDPAddr)
		msg, err := Parse(buf[:n])
		if err != nil || ua == nil || ua.Port != ServerPort {
			c.malformed.Add(1)
			continue
		}
		select {
		case c.rx <- msg:
		default:
			c.rxDropped.Add(1)
		}
	}
}

func (c *Client) do(out Output) {
	changed := out.Lost && c.unbind()
	if out.Bound != nil {
		changed = c.bind(out.Bound) || changed
	}
	c.publish()
	if changed && c.o.OnChange != nil {
		c.o.OnChange(c.applied)
	}
	if out.Send == nil {
		return
	}
	var err error
	if out.NoAddr {
		err = c.sendFromNoAddress(out.Send)
	} else {
		_, err = c.conn.WriteTo(out.Send, &net.UDPAddr{IP: out.To.AsSlice(), Port: ServerPort})
	}
	if err != nil {
		c.sendErrors.Add(1)
	}
}

// sendFromNoAddress broadcasts payload from 0.0.0.0:68 to
// 255.255.255.255:67 in one Ethernet broadcast frame.
func (c *Client) sendFromNoAddress(payload []byte) error {
	pkt := make([]byte, header.IPv4MinimumSize+header.UDPMinimumSize+len(payload))
	ip := header.IPv4(pkt)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(len(pkt)), TTL: 64, Protocol: uint8(udp.ProtocolNumber),
		SrcAddr: header.IPv4Any, DstAddr: header.IPv4Broadcast})
	ip.SetChecksum(^ip.CalculateChecksum())
	u := header.UDP(pkt[header.IPv4MinimumSize:])
	u.Encode(&header.UDPFields{SrcPort: ClientPort, DstPort: ServerPort, Length: uint16(len(u))})
	copy(u[header.UDPMinimumSize:], payload)
	xsum := header.PseudoHeaderChecksum(udp.ProtocolNumber, header.IPv4Any, header.IPv4Broadcast, uint16(len(u)))
	if x := ^u.CalculateChecksum(checksum.Checksum(payload, xsum)); x != 0 {
		u.SetChecksum(x)
	} else {
		u.SetChecksum(0xffff) // RFC 768: zero means no checksum
	}
	if err := c.o.Stack.WritePacketToRemote(c.o.NIC, header.EthernetBroadcastAddress, ipv4.ProtocolNumber, buffer.MakeWithData(pkt)); err != nil {
		return errors.New(err.String())
	}
	return nil
}

// bind puts l into the stack in place of the fallback or the lease
// before; it reports whether anything OnChange cares for changed.
func (c *Client) bind(l *Lease) bool {
	old := c.applied
	c.applied = l
	if old != nil && old.Addr == l.Addr && old.Router == l.Router && slices.Equal(old.NTP, l.NTP) {
		return false // a renewal: the stack stays as it is
	}
	gw := l.Router
	if !gw.IsValid() {
		gw = c.o.FallbackGateway
	}
	routes := []tcpip.Route{onLink(l.Addr, c.o.NIC)}
	if gw.IsValid() {
		routes = append(routes, defaultVia(gw, c.o.NIC))
	}
	c.sync([]netip.Prefix{l.Addr}, routes)
	c.logf("dhcp: %s: bound %v from %v, router %v, lease %v", c.o.Name, l.Addr, l.Server, l.Router, l.Duration)
	return true
}

// unbind removes the lease and puts the fallback back.
func (c *Client) unbind() bool {
	if c.applied == nil {
		return false
	}
	c.logf("dhcp: %s: lease of %v ended; back to %v; discovery restarts", c.o.Name, c.applied.Addr, c.o.Fallback)
	c.applied = nil
	c.sync(c.o.Fallback, fallbackRoutes(c.o))
	return true
}

// fallbackRoutes are the routes netstack.New gives the static addresses
// and gateway.
func fallbackRoutes(o Options) []tcpip.Route {
	var routes []tcpip.Route
	for _, p := range o.Fallback {
		routes = appendNew(routes, onLink(p, o.NIC))
	}
	if o.FallbackGateway.IsValid() {
		routes = append(routes, defaultVia(o.FallbackGateway, o.NIC))
	}
	return routes
}

func defaultVia(gw netip.Addr, nic tcpip.NICID) tcpip.Route {
	return tcpip.Route{Destination: header.IPv4EmptySubnet, Gateway: tcpip.AddrFrom4(gw.As4()), NIC: nic}
}

// sync makes the managed addresses and routes the given ones, removing
// first, touching nothing that is in both.
func (c *Client) sync(addrs []netip.Prefix, routes []tcpip.Route) {
	s, nic := c.o.Stack, c.o.NIC
	for _, r := range c.routes {
		if !hasRoute(routes, r) {
			s.RemoveRoutes(func(x tcpip.Route) bool { return sameRoute(x, r) })
		}
	}
	for _, p := range c.addrs {
		if !slices.Contains(addrs, p) {
			if err := s.RemoveAddress(nic, tcpip.AddrFrom4(p.Addr().As4())); err != nil {
				c.stackErrors.Add(1)
			}
		}
	}
	for _, p := range addrs {
		if !slices.Contains(c.addrs, p) {
			pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: addrWithPrefix(p)}
			if err := s.AddProtocolAddress(nic, pa, stack.AddressProperties{}); err != nil {
				c.stackErrors.Add(1)
			}
		}
	}
	for _, r := range routes {
		if !hasRoute(c.routes, r) {
			s.AddRoute(r)
		}
	}
	c.addrs, c.routes = slices.Clone(addrs), slices.Clone(routes)
}

func addrWithPrefix(p netip.Prefix) tcpip.AddressWithPrefix {
	return tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(p.Addr().As4()), PrefixLen: p.Bits()}
}

// onLink is a subnet's route on the NIC.
func onLink(p netip.Prefix, nic tcpip.NICID) tcpip.Route {
	return tcpip.Route{Destination: addrWithPrefix(p).Subnet(), NIC: nic}
}

// sameRoute compares every field but the table's list links;
// tcpip.Route.Equal ignores the gateway.
func sameRoute(a, b tcpip.Route) bool {
	return a.Destination == b.Destination && a.Gateway == b.Gateway && a.NIC == b.NIC && a.SourceHint == b.SourceHint && a.MTU == b.MTU
}

func hasRoute(rs []tcpip.Route, r tcpip.Route) bool {
	return slices.ContainsFunc(rs, func(x tcpip.Route) bool { return sameRoute(x, r) })
}

// appendNew appends r unless it is there.
func appendNew(rs []tcpip.Route, r tcpip.Route) []tcpip.Route {
	if hasRoute(rs, r) {
		return rs
	}
	return append(rs, r)
}

func (c *Client) logf(format string, a ...any) {
	if c.o.Logf != nil {
		c.o.Logf(format, a...)
	}
}

// publish records what Status reports; Lease values are never changed
// once made, so the pointer is enough.
func (c *Client) publish() {
	c.mu.Lock()
	c.pub.State = c.m.State().String()
	c.pub.Stats = c.m.Stats()
	c.pubLease = c.m.Lease()
	c.mu.Unlock()
}

// Status returns the port's DHCP state and counters.
func (c *Client) Status() Status {
	c.mu.Lock()
	st, l := c.pub, c.pubLease
	c.mu.Unlock()
	st.Malformed, st.RxDropped = c.malformed.Load(), c.rxDropped.Load()
	st.SendErrors, st.StackErrors = c.sendErrors.Load(), c.stackErrors.Load()
	if l == nil {
		return st
	}
	st.Address, st.Server, st.Router, st.NTP = l.Addr, l.Server, l.Router, l.NTP
	now := time.Now()
	wall := func(d time.Duration) *time.Time {
		if d == Infinite {
			return nil
		}
		t := now.Add(l.At(d).Sub(now)).Round(0)
		return &t
	}
	st.Renew, st.Rebind, st.Expires = wall(l.T1), wall(l.T2), wall(l.Duration)
	return st
}
