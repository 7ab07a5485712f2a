// The host mechanics without QEMU: a namespace with its tap, sockets
// opened inside it, a raw socket on the tap, and cleanup.
//
//go:build linux

package linuxhost

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestHostInNamespace(t *testing.T) {
	if err := Available(); err != nil {
		t.Skip(err)
	}
	h, err := New(fmt.Sprintf("fbt%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 0x42}
	if err := h.Attach(mac, []netip.Prefix{netip.MustParsePrefix("192.0.2.42/24"), netip.MustParsePrefix("2001:db8::42/64")}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := h.Run(ctx, "ip", "-br", "addr", "show", "dev", h.Name); err != nil || !contains(out, "192.0.2.42/24", "2001:db8::42/64") {
		t.Fatalf("addresses in the namespace: %q %v", out, err)
	}
	// Not visible outside it.
	if err := exec.Command("ip", "link", "show", h.Name).Run(); err == nil {
		t.Error("the tap is still in the initial namespace")
	}
	ln, err := h.Listen("tcp", "192.0.2.42:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("inside"))
			c.Close()
		}
	}()
	c, err := h.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	c.Close()
	if err != nil || string(got) != "inside" {
		t.Fatalf("read %q, %v", got, err)
	}
	// The address is the namespace's: the initial namespace cannot reach it.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("dialled the namespace's listener from outside")
	}
	r, err := h.Raw()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Recv(time.Now().Add(100 * time.Millisecond)); err == nil {
		t.Error("a frame arrived on a tap with no other end")
	}
	r.Close()
	h.Close()
	if err := exec.Command("ip", "netns", "pids", h.Name).Run(); err == nil {
		t.Error("namespace still there after Close")
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
