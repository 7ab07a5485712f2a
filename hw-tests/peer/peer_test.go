package peer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// freePorts returns two UDP ports free on loopback right now.
func freePorts(t *testing.T) (int, int) {
	t.Helper()
	var ports []int
	for len(ports) < 2 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
		defer c.Close()
	}
	return ports[0], ports[1]
}

// pair joins two peers back to back over UDP, as QEMU's socket NIC would.
func pair(t *testing.T) (*Peer, *Peer) {
	t.Helper()
	pa, pb := freePorts(t)
	a, err := New(Options{
		Listen: fmt.Sprintf("127.0.0.1:%d", pa), Remote: fmt.Sprintf("127.0.0.1:%d", pb),
		MAC:   net.HardwareAddr{2, 0, 0, 0, 0, 0xa},
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24"), netip.MustParsePrefix("fd00::1/64")},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{
		Listen: fmt.Sprintf("127.0.0.1:%d", pb), Remote: fmt.Sprintf("127.0.0.1:%d", pa),
		MAC:     net.HardwareAddr{2, 0, 0, 0, 0, 0xb},
		Addrs:   []netip.Prefix{netip.MustParsePrefix("10.9.0.2/24"), netip.MustParsePrefix("fd00::2/64")},
		Capture: 1024,
	})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestPingBothFamilies(t *testing.T) {
	a, _ := pair(t)
	for _, dst := range []string{"10.9.0.2", "fd00::2"} {
		pg, err := a.NewPinger(netip.MustParseAddr(dst))
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint16(1); seq <= 20; seq++ {
			payload := bytes.Repeat([]byte{byte(seq)}, int(seq)*10)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			got, err := pg.Ping(ctx, seq, payload)
			cancel()
			if err != nil {
				t.Fatalf("%s seq %d: %v", dst, seq, err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("%s seq %d: payload differs", dst, seq)
			}
		}
		pg.Close()
	}
}

func TestTCPAndCapture(t *testing.T) {
	a, b := pair(t)
	ln, err := b.ListenTCP(netip.MustParseAddrPort("10.9.0.2:7"))
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
	c, err := a.DialTCP(ctx, netip.MustParseAddrPort("10.9.0.2:7"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := bytes.Repeat([]byte("fosbury"), 10000)
	go c.Write(sent)
	got := make([]byte, len(sent))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("echo differs")
	}
	// b captured a's frames raw: the first is the ARP request for 10.9.0.2.
	select {
	case f := <-b.Captured():
		if len(f) < 14 || !bytes.Equal(f[6:12], a.MAC()) {
			t.Fatalf("captured frame not from a: % x", f[:min(len(f), 14)])
		}
	default:
		t.Fatal("nothing captured")
	}
	if b.FramesIn.Load() == 0 || a.FramesOut.Load() == 0 {
		t.Fatal("frame counters did not move")
	}
}
