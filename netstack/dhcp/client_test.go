package dhcp

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/internal/stackpair"
	"github.com/fosbury-net/fosbury/netstack"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// serverStack is the peer: 10.0.2.2/24 with srv answering on port 67.
func serverStack(t *testing.T, link *channel.Endpoint, srv *lockedServer) *stack.Stack {
	s, err := stackpair.NewPeer(link, netip.MustParsePrefix("10.0.2.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	var wq waiter.Queue
	ep, _ := s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	ep.SocketOptions().SetBroadcast(true)
	if err := ep.Bind(tcpip.FullAddress{NIC: 1, Port: ServerPort}); err != nil { // NIC: broadcasts need it
		t.Fatal(err)
	}
	conn := gonet.NewUDPConn(&wq, ep)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			req, err := Parse(buf[:n])
			if err != nil {
				continue
			}
			if r := srv.handle(req); r != nil {
				to := net.IPv4bcast
				if req.CIAddr.IsValid() && !req.CIAddr.IsUnspecified() {
					to = req.CIAddr.AsSlice()
				}
				conn.WriteTo(r.Append(nil), &net.UDPAddr{IP: to, Port: ClientPort})
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done; s.Close() })
	return s
}

// lockedServer shares a fakeServer between its goroutine and the test.
type lockedServer struct {
	mu sync.Mutex
	s  *fakeServer
}

func (l *lockedServer) handle(req *Message) *Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.handle(req)
}

func (l *lockedServer) set(f func(*fakeServer)) {
	l.mu.Lock()
	f(l.s)
	l.mu.Unlock()
}

func addrsOf(s *stack.Stack, nic tcpip.NICID) []netip.Prefix {
	var out []netip.Prefix
	for _, pa := range s.AllAddresses()[nic] {
		if pa.Protocol == ipv4.ProtocolNumber && pa.AddressWithPrefix.Address != header.IPv4Broadcast {
			out = append(out, netip.PrefixFrom(netip.AddrFrom4(pa.AddressWithPrefix.Address.As4()), pa.AddressWithPrefix.PrefixLen))
		}
	}
	return out
}

func hasDefaultVia(s *stack.Stack, gw string) bool {
	for _, r := range s.GetRouteTable() {
		if r.Destination == header.IPv4EmptySubnet && r.Gateway == tcpip.AddrFrom4(netip.MustParseAddr(gw).As4()) {
			return true
		}
	}
	return false
}

// The client over gVisor against the fake server on a second stack: it
// leases 10.0.2.50 and its router in place of the fallback 10.0.2.15 and
// 10.0.2.1, answers TCP on it,
// renews at T1, and after a NAK goes back to the fallback and leases
// again. Lease 10 s (the minimum): the test takes about 15 s.
// rig is the appliance side: netstack.New with a static fallback, the
// client on it, a fake server on a peer stack across a cable.
type rig struct {
	ns      *netstack.Stack
	nic     tcpip.NICID
	peer    *stack.Stack
	c       *Client
	changes chan *Lease
}

func newRig(t *testing.T, srv *lockedServer) *rig {
	cable := stackpair.NewCable("\x52\x54\x00\x12\x34\x56", "\x02\x00\x00\x00\x00\x02")
	t.Cleanup(cable.Close)
	r := &rig{peer: serverStack(t, cable.B, srv), changes: make(chan *Lease, 8)}
	cfg, err := netstack.ParseConfig("t", []byte("port lan address 10.0.2.15/24\nport lan gateway 10.0.2.1\nport lan dhcp\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.ns, err = netstack.New(cfg, []netstack.NIC{{Name: "lan", Link: ethernet.New(cable.A)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.ns.Close)
	r.nic, _ = r.ns.NICID("lan")
	r.c, err = Start(Options{Stack: r.ns.Stack, NIC: r.nic, Name: "lan", MAC: [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, Hostname: "fosbury",
		Fallback: cfg.Port("lan").Addrs, FallbackGateway: cfg.Port("lan").Gateways[0], OnChange: func(l *Lease) { r.changes <- l }, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.c.Close)
	return r
}

// wait returns the next lease change.
func (r *rig) wait(t *testing.T, what string) *Lease {
	t.Helper()
	select {
	case l := <-r.changes:
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s within 30 s; status %+v", what, r.c.Status())
	}
	return nil
}

// until polls the client's status until ok holds.
func (r *rig) until(t *testing.T, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st := r.c.Status(); ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30 s; status %+v", what, r.c.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClientOverGVisor(t *testing.T) {
	t.Parallel()
	srv := &lockedServer{s: newFakeServer()}
	srv.s.Lease = 10 * time.Second
	r := newRig(t, srv)
	ns, nic, peer, c := r.ns, r.nic, r.peer, r.c
	lease, fallback := netip.MustParsePrefix("10.0.2.50/24"), netip.MustParsePrefix("10.0.2.15/24")
	if l := r.wait(t, "lease"); l == nil || l.Addr != lease {
		t.Fatalf("lease %+v", l)
	}
	if a := addrsOf(ns.Stack, nic); !slices.Equal(a, []netip.Prefix{lease}) || !hasDefaultVia(ns.Stack, "10.0.2.2") || hasDefaultVia(ns.Stack, "10.0.2.1") {
		t.Fatalf("stack addresses %v, routes %v: want only the lease and a default route via its router 10.0.2.2", a, ns.GetRouteTable())
	}
	// The appliance answers on the leased address.
	ln, err := gonet.ListenTCP(ns.Stack, tcpip.FullAddress{Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if conn, err := ln.Accept(); err == nil {
			conn.Write([]byte("hi"))
			conn.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := gonet.DialContextTCP(ctx, peer, tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4(lease.Addr().As4()), Port: 80}, ipv4.ProtocolNumber)
	cancel()
	if err != nil {
		t.Fatalf("TCP to the leased address: %v", err)
	}
	conn.Close()

	// Renewal at T1 (5 s): nothing in the stack changes.
	st := r.until(t, "renewal", func(st Status) bool { return st.Renewals > 0 })
	if st.State != "bound" || st.Address != lease || st.Expires == nil || st.Renew == nil || !st.Renew.Before(*st.Expires) {
		t.Fatalf("status after renewal %+v", st)
	}
	// A NAK at the next renewal: the lease goes, the fallback comes back.
	srv.set(func(s *fakeServer) { s.Nak = true })
	if l := r.wait(t, "loss after NAK"); l != nil {
		t.Fatalf("change %+v, want the lease removed", l)
	}
	if a := addrsOf(ns.Stack, nic); !slices.Equal(a, []netip.Prefix{fallback}) || hasDefaultVia(ns.Stack, "10.0.2.2") || !hasDefaultVia(ns.Stack, "10.0.2.1") ||
		len(ns.GetRouteTable()) != 3 {
		t.Fatalf("after the NAK: addresses %v, routes %v, want the fallback address and gateway back", a, ns.GetRouteTable())
	}
	srv.set(func(s *fakeServer) { s.Nak = false })
	if l := r.wait(t, "lease after the NAK"); l == nil || l.Addr != lease {
		t.Fatalf("lease %+v", l)
	}
	if st := c.Status(); st.Naks != 1 || st.Acks < 3 || st.SendErrors != 0 || st.StackErrors != 0 || st.Malformed != 0 {
		t.Errorf("status %+v", st)
	}
}

// A server whose identifier is not its address: renewals, unicast to
// the identifier, go nowhere; at T2 the client broadcasts from its
// leased address through the UDP endpoint, the server answers, and the
// lease goes on with nothing changed in the stack.
func TestClientRebindsOverGVisor(t *testing.T) {
	t.Parallel()
	srv := &lockedServer{s: newFakeServer()}
	srv.s.Lease, srv.s.ID = 10*time.Second, netip.MustParseAddr("10.0.2.9")
	r := newRig(t, srv)
	if l := r.wait(t, "lease"); l == nil || l.Server != srv.s.ID {
		t.Fatalf("lease %+v", l)
	}
	st := r.until(t, "rebinding", func(st Status) bool { return st.Rebinds > 0 })
	if st.State != "bound" || st.Renewals != 0 || st.Address != netip.MustParsePrefix("10.0.2.50/24") || st.SendErrors != 0 {
		t.Fatalf("status %+v", st)
	}
	select {
	case l := <-r.changes:
		t.Fatalf("the stack changed on rebinding: %+v", l)
	default:
	}
}
