// The gVisor check: two netstacks inside the guest, joined by a pair of
// in-memory Ethernet links, resolve each other with ARP, answer a ping and
// carry a TCP echo exchange.
//
//go:build tamago && arm

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

const echoBytes = 256 << 10

type host struct {
	s    *stack.Stack
	link *channel.Endpoint
	addr tcpip.Address
}

func newHost(mac tcpip.LinkAddress, ip [4]byte) (*host, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, icmp.NewProtocol4},
	})
	link := channel.New(256, 1500, mac)
	if err := s.CreateNIC(1, ethernet.New(link)); err != nil {
		return nil, fmt.Errorf("CreateNIC: %v", err)
	}
	addr := tcpip.AddrFrom4(ip)
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: addr.WithPrefix()}
	pa.AddressWithPrefix.PrefixLen = 24
	if err := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("AddProtocolAddress: %v", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1}})
	return &host{s: s, link: link, addr: addr}, nil
}

// wire moves every frame that one host sends into the other, as bytes, the
// way a cable would.
func wire(ctx context.Context, from, to *channel.Endpoint) {
	for {
		pkt := from.ReadContext(ctx)
		if pkt == nil {
			return
		}
		frame := pkt.ToView().AsSlice()
		in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
		to.InjectInbound(header.EthernetProtocolAll, in)
		in.DecRef()
		pkt.DecRef()
	}
}

func checkNetstack() error {
	a, err := newHost("\x02\x00\x00\x00\x00\x01", [4]byte{10, 0, 0, 1})
	if err != nil {
		return err
	}
	b, err := newHost("\x02\x00\x00\x00\x00\x02", [4]byte{10, 0, 0, 2})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go wire(ctx, a.link, b.link)
	go wire(ctx, b.link, a.link)
	defer a.s.Close()
	defer b.s.Close()

	ln, err := gonet.ListenTCP(b.s, tcpip.FullAddress{NIC: 1, Addr: b.addr, Port: 7}, ipv4.ProtocolNumber)
	if err != nil {
		return fmt.Errorf("listen: %v", err)
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

	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	conn, err := gonet.DialContextTCP(dctx, a.s, tcpip.FullAddress{NIC: 1, Addr: b.addr, Port: 7}, ipv4.ProtocolNumber)
	if err != nil {
		return fmt.Errorf("dial: %v", err)
	}
	defer conn.Close()

	sent := make([]byte, echoBytes)
	for i := range sent {
		sent[i] = byte(i*7 + i>>8)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := conn.Write(sent)
		werr <- err
	}()
	got := make([]byte, len(sent))
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(conn, got); err != nil {
		return fmt.Errorf("echo read: %v", err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("echo write: %v", err)
	}
	if !bytes.Equal(got, sent) {
		return fmt.Errorf("echo of %d bytes came back different", len(sent))
	}
	if err := checkNeighbor(a, b); err != nil {
		return err
	}
	fmt.Printf("selftest: tcp echo of %d KiB over gVisor ok\n", echoBytes>>10)
	return nil
}

// checkNeighbor asserts that ARP filled a's neighbour table with b's MAC.
func checkNeighbor(a, b *host) error {
	entries, err := a.s.Neighbors(1, ipv4.ProtocolNumber)
	if err != nil {
		return fmt.Errorf("neighbours: %v", err)
	}
	for _, e := range entries {
		if e.Addr == b.addr {
			if e.LinkAddr != b.link.LinkAddress() {
				return fmt.Errorf("ARP resolved %v to %v, want %v", b.addr, e.LinkAddr, b.link.LinkAddress())
			}
			return nil
		}
	}
	return fmt.Errorf("no ARP entry for %v", b.addr)
}
