// Package linuxhost puts real Linux hosts on the appliance's wires: one
// network namespace per host, with a tap device that QEMU attaches a NIC
// to. A host runs Debian's tools (ping, iperf3, nmap) in its namespace,
// opens Go sockets there, and sends or captures raw frames on its tap
// (AF_PACKET). It needs root (CAP_NET_ADMIN) and iproute2; it owns the
// namespaces and taps it creates, nothing else.
//
//go:build linux

package linuxhost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Available says why hosts cannot be made here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("linuxhost: needs root for network namespaces and tap devices")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("linuxhost: %v", err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("linuxhost: iproute2's ip is not installed")
	}
	return nil
}

// Host is one Linux host: a namespace and its tap, both named Name.
type Host struct {
	Name string
	MAC  net.HardwareAddr
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// New creates the namespace and, in the initial namespace, a tap of the
// same name for QEMU's `-netdev tap,ifname=NAME` (Attach moves it once
// QEMU holds it). Leftovers of an earlier run under the same name are
// removed first. Names must fit IFNAMSIZ (15 bytes).
func New(name string) (*Host, error) {
	if len(name) > 15 {
		return nil, fmt.Errorf("linuxhost: name %q is longer than 15 bytes", name)
	}
	h := &Host{Name: name}
	h.Close()
	if err := ip("netns", "add", name); err != nil {
		return nil, err
	}
	if err := ip("tuntap", "add", "dev", name, "mode", "tap"); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Attach moves the tap into the namespace and configures it: MAC,
// addresses (IPv6 without duplicate address detection, so they work at
// once), no router solicitations or autoconfiguration (a quiet host),
// loopback, and the link up.
func (h *Host) Attach(mac net.HardwareAddr, addrs []netip.Prefix) error {
	if err := ip("link", "set", h.Name, "netns", h.Name); err != nil {
		return err
	}
	h.MAC = mac
	steps := [][]string{{"link", "set", h.Name, "address", mac.String()}}
	for _, a := range addrs {
		s := []string{"addr", "add", a.String(), "dev", h.Name}
		if a.Addr().Is6() {
			s = append(s, "nodad")
		}
		steps = append(steps, s)
	}
	steps = append(steps, []string{"link", "set", "lo", "up"}, []string{"link", "set", h.Name, "up"})
	for _, k := range []string{"accept_dad=0", "router_solicitations=0", "accept_ra=0"} {
		if err := h.Sysctl("net.ipv6.conf." + h.Name + "." + k); err != nil {
			return err
		}
	}
	for _, s := range steps {
		if err := ip(append([]string{"-n", h.Name}, s...)...); err != nil {
			return err
		}
	}
	return nil
}

// Sysctl sets one key=value inside the namespace.
func (h *Host) Sysctl(kv string) error {
	k, v, _ := strings.Cut(kv, "=")
	return h.Do(func() error {
		// /proc/sys/net shows the reading thread's namespace.
		return os.WriteFile("/proc/sys/"+strings.ReplaceAll(k, ".", "/"), []byte(v), 0o644)
	})
}

// Command is a command that runs inside the namespace.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its combined output.
func (h *Host) Run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := h.Command(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// Do runs f on an OS thread inside the namespace: the sockets f opens
// belong to it, and stay usable from any goroutine afterwards.
func (h *Host) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread goes back to its own namespace; if it cannot, it
		// stays locked and ends with this goroutine.
		self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(self)
		ns, err := unix.Open("/run/netns/"+h.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(ns)
		if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %v", h.Name, err)
			return
		}
		err = f()
		if unix.Setns(self, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// Dial connects from inside the namespace.
func (h *Host) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return h.DialWith(ctx, &net.Dialer{}, network, addr)
}

// DialWith connects from inside the namespace with d (its Control sets
// socket options before the connection opens).
func (h *Host) DialWith(ctx context.Context, d *net.Dialer, network, addr string) (c net.Conn, err error) {
	err = h.Do(func() error {
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Listen listens inside the namespace (tcp, tcp6, ...).
func (h *Host) Listen(network, addr string) (l net.Listener, err error) {
	err = h.Do(func() error {
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// ListenPacket opens a datagram socket inside the namespace.
func (h *Host) ListenPacket(network, addr string) (c net.PacketConn, err error) {
	err = h.Do(func() error {
		c, err = net.ListenPacket(network, addr)
		return err
	})
	return c, err
}

// Close deletes the tap and the namespace (a tap left in a namespace goes
// with it). It is safe to call more than once.
func (h *Host) Close() {
	exec.Command("ip", "-n", h.Name, "link", "del", h.Name).Run()
	exec.Command("ip", "link", "del", h.Name).Run()
	exec.Command("ip", "netns", "del", h.Name).Run()
}

// Raw is an AF_PACKET socket on the host's tap: whole Ethernet frames in
// and out, the frames the host itself sends left out.
type Raw struct {
	f *os.File
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Raw opens the host's raw socket.
func (h *Host) Raw() (*Raw, error) {
	var fd int
	err := h.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(h.Name)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
		}
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		}
		if err == nil {
			err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
		if err != nil {
			unix.Close(fd)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("linuxhost: raw socket on %s: %v", h.Name, err)
	}
	return &Raw{f: os.NewFile(uintptr(fd), "packet:"+h.Name)}, nil
}

// Send puts one frame on the wire as it is.
func (r *Raw) Send(frame []byte) error {
	_, err := r.f.Write(frame)
	return err
}

// Recv returns the next frame received, or an error at the deadline.
func (r *Raw) Recv(deadline time.Time) ([]byte, error) {
	var buf [65536]byte
	r.f.SetReadDeadline(deadline)
	n, err := r.f.Read(buf[:])
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), buf[:n]...), nil
}

// Close closes the socket.
func (r *Raw) Close() error { return r.f.Close() }

// Capture keeps every frame received from Start until Stop.
type Capture struct {
	r      *Raw
	mu     sync.Mutex
	frames [][]byte
	done   chan struct{}
}

// Capture starts recording the frames the socket receives.
func (r *Raw) Capture() *Capture {
	c := &Capture{r: r, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			f, err := r.Recv(time.Time{})
			if err != nil {
				return // closed by Stop
			}
			c.mu.Lock()
			c.frames = append(c.frames, f)
			c.mu.Unlock()
		}
	}()
	return c
}

// Frames is what was captured so far.
func (c *Capture) Frames() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.frames...)
}

// Stop ends the capture, closes its socket and returns every frame.
func (c *Capture) Stop() [][]byte {
	c.r.Close()
	<-c.done
	return c.Frames()
}
