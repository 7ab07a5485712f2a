package link

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// fakePort is a TX ring of fixed depth whose frames, once flushed, a
// goroutine carries to the other side's Deliver, the way a cable would.
type fakePort struct {
	mac     tcpip.LinkAddress
	pending [][]byte // queued, not yet flushed
	wire    chan []byte
	flushes int
	full    bool // when set, With fails
}

func newFakePort(mac tcpip.LinkAddress) *fakePort {
	return &fakePort{mac: mac, wire: make(chan []byte, 1024)}
}

func (p *fakePort) LinkAddress() tcpip.LinkAddress { return p.mac }

func (p *fakePort) With(max int, fill func([]byte) int) error {
	if p.full || max > 2048 {
		return errors.New("fake: full")
	}
	buf := make([]byte, max)
	if n := fill(buf); n > 0 && n <= max {
		p.pending = append(p.pending, buf[:n])
	}
	return nil
}

func (p *fakePort) Flush() {
	p.flushes++
	for _, f := range p.pending {
		p.wire <- f
	}
	p.pending = p.pending[:0]
}

func newStack(t *testing.T, mac tcpip.LinkAddress, ip [4]byte) (*stack.Stack, *Endpoint, *fakePort) {
	t.Helper()
	port := newFakePort(mac)
	nic, ep := NewNIC(Options{Port: port})
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	if err := s.CreateNIC(1, nic); err != nil {
		t.Fatal(err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(ip), PrefixLen: 24}}
	if err := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
		t.Fatal(err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1}})
	t.Cleanup(s.Close)
	return s, ep, port
}

func carry(from *fakePort, to *Endpoint, done <-chan struct{}) {
	for {
		select {
		case f := <-from.wire:
			to.Deliver(f)
		case <-done:
			return
		}
	}
}

// Two stacks over two endpoints: ARP resolves, TCP carries 1 MiB intact,
// and the doorbell rang fewer times than frames were sent (bulking).
func TestTCPThroughEndpoints(t *testing.T) {
	sa, epa, pa := newStack(t, "\x02\x00\x00\x00\x00\x01", [4]byte{10, 1, 0, 1})
	sb, epb, pb := newStack(t, "\x02\x00\x00\x00\x00\x02", [4]byte{10, 1, 0, 2})
	done := make(chan struct{})
	defer close(done)
	go carry(pa, epb, done)
	go carry(pb, epa, done)

	ln, err := gonet.ListenTCP(sb, tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4([4]byte{10, 1, 0, 2}), Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, sa, tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4([4]byte{10, 1, 0, 2}), Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := make([]byte, 1<<20)
	for i := range sent {
		sent[i] = byte(i * 31)
	}
	go c.Write(sent)
	got := make([]byte, len(sent))
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("echo differs")
	}
	if epa.Stats().TxFrames == 0 || epa.Stats().RxFrames == 0 {
		t.Fatalf("counters did not move: tx %d rx %d", epa.Stats().TxFrames, epa.Stats().RxFrames)
	}
	if b := epa.Stats().TxBatches; b != uint64(pa.flushes) || b > epa.Stats().TxFrames {
		t.Fatalf("%d batches, %d flushes, %d frames", b, pa.flushes, epa.Stats().TxFrames)
	}
	t.Logf("a: %d frames in %d doorbells", epa.Stats().TxFrames, epa.Stats().TxBatches)
}

// A full TX ring is a counted drop with an error, not a panic or a block.
func TestTxRingFull(t *testing.T) {
	port := newFakePort("\x02\x00\x00\x00\x00\x09")
	port.full = true
	e := New(Options{Port: port})
	var list stack.PacketBufferList
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{ReserveHeaderBytes: 64})
	copy(pkt.LinkHeader().Push(14), make([]byte, 14))
	list.PushBack(pkt)
	n, err := e.WritePackets(list)
	list.DecRef()
	if n != 0 || err == nil {
		t.Fatalf("WritePackets = %d, %v; want 0 and an error", n, err)
	}
	if e.Stats().TxDropped != 1 || port.flushes != 0 {
		t.Fatalf("dropped %d, flushes %d", e.Stats().TxDropped, port.flushes)
	}
}

// Runts and frames before Attach are counted drops.
func TestDeliverDrops(t *testing.T) {
	e := New(Options{Port: newFakePort("\x02\x00\x00\x00\x00\x09")})
	e.Deliver(make([]byte, 60)) // not attached
	e.Deliver(make([]byte, 3))
	if e.Stats().RxDropped != 2 || e.Stats().RxFrames != 0 {
		t.Fatalf("dropped %d, delivered %d", e.Stats().RxDropped, e.Stats().RxFrames)
	}
}
