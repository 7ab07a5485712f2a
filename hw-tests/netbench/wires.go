//go:build linux

// Package netbench puts two Linux hosts, each in a network namespace of its
// own, on the two ports of a QEMU guest (tap devices: the first is the
// guest's lan port, ENET1, the second its wan port, ENET2) and measures the
// guest's whole-system cost per frame of named workloads between them.
// Nothing here knows the guest: it reports its clock, idle time and frame
// counters through a Probe. Everything it creates is named after
// Options.Prefix and removed by Close. Needs root.
package netbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Options name and address the two hosts.
type Options struct {
	// Prefix starts the name of each namespace and tap device:
	// <Prefix>lan and <Prefix>wan (Linux allows 15 bytes in all).
	Prefix string
	// LAN and WAN are the hosts' IPv4 addresses, LAN6 and WAN6 their
	// IPv6 ones; one subnet each, since the guest is expected to bridge.
	// Defaults 10.77.0.1/24, 10.77.0.2/24, fd77::1/64, fd77::2/64.
	LAN, WAN, LAN6, WAN6 netip.Prefix
}

// Host is one peer: a namespace holding one tap device of the same name.
type Host struct {
	Name  string
	MAC   net.HardwareAddr
	Addr  netip.Prefix
	Addr6 netip.Prefix
}

// Wires are the two hosts. LAN is on the guest's first NIC, WAN on its
// second.
type Wires struct {
	LAN, WAN *Host
}

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

// New creates the namespaces and the taps (still in the root namespace,
// where QEMU opens them by name). Leftovers of a killed run with the same
// prefix are removed first.
func New(o Options) (*Wires, error) {
	if !prefixRE.MatchString(o.Prefix) {
		return nil, fmt.Errorf("netbench: prefix %q: want 1-12 lower-case letters and digits, starting with a letter", o.Prefix)
	}
	if !o.LAN.IsValid() {
		o.LAN = netip.MustParsePrefix("10.77.0.1/24")
	}
	if !o.WAN.IsValid() {
		o.WAN = netip.MustParsePrefix("10.77.0.2/24")
	}
	if !o.LAN6.IsValid() {
		o.LAN6 = netip.MustParsePrefix("fd77::1/64")
	}
	if !o.WAN6.IsValid() {
		o.WAN6 = netip.MustParsePrefix("fd77::2/64")
	}
	w := &Wires{
		LAN: &Host{Name: o.Prefix + "lan", MAC: net.HardwareAddr{0x02, 0, 0, 0x77, 0, 1}, Addr: o.LAN, Addr6: o.LAN6},
		WAN: &Host{Name: o.Prefix + "wan", MAC: net.HardwareAddr{0x02, 0, 0, 0x77, 0, 2}, Addr: o.WAN, Addr6: o.WAN6},
	}
	w.Close()
	for _, h := range w.hosts() {
		if err := ip("netns", "add", h.Name); err != nil {
			w.Close()
			return nil, err
		}
		if err := ip("tuntap", "add", "dev", h.Name, "mode", "tap"); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

func (w *Wires) hosts() []*Host { return []*Host{w.LAN, w.WAN} }

// QEMUArgs attach the taps to the guest's two NICs, lan first.
func (w *Wires) QEMUArgs() []string {
	var a []string
	for i, h := range w.hosts() {
		id := [...]string{"lan", "wan"}[i]
		a = append(a, "-netdev", fmt.Sprintf("tap,id=%s,ifname=%s,script=no,downscript=no", id, h.Name),
			"-net", "nic,netdev="+id)
	}
	return a
}

// Attach moves each tap, which QEMU must hold open by now, into its
// namespace and configures the host: address, MAC, no IPv6 duplicate
// address detection nor router solicitations (their frames would land in
// the first measurement).
func (w *Wires) Attach() error {
	for _, h := range w.hosts() {
		steps := [][]string{
			{"link", "set", h.Name, "netns", h.Name},
			{"-n", h.Name, "link", "set", "lo", "up"},
			{"-n", h.Name, "link", "set", h.Name, "address", h.MAC.String()},
		}
		for _, s := range steps {
			if err := ip(s...); err != nil {
				return err
			}
		}
		sysctl := fmt.Sprintf("echo 0 >/proc/sys/net/ipv6/conf/%[1]s/accept_dad && echo 0 >/proc/sys/net/ipv6/conf/%[1]s/router_solicitations", h.Name)
		if out, err := h.Command(context.Background(), "sh", "-c", sysctl).CombinedOutput(); err != nil {
			return fmt.Errorf("netbench: %s: %v: %s", h.Name, err, out)
		}
		for _, s := range [][]string{
			{"-n", h.Name, "addr", "add", h.Addr.String(), "dev", h.Name},
			{"-n", h.Name, "addr", "add", h.Addr6.String(), "dev", h.Name, "nodad"},
			{"-n", h.Name, "link", "set", h.Name, "up"},
		} {
			if err := ip(s...); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close removes the taps and namespaces. Stop the guest first: a tap QEMU
// still holds disappears only when QEMU closes it.
func (w *Wires) Close() error {
	var errs []error
	for _, h := range w.hosts() {
		// The tap is in its namespace after Attach, in the root one
		// before (or not at all): one of these fails, which is fine.
		_ = exec.Command("ip", "-n", h.Name, "tuntap", "del", "dev", h.Name, "mode", "tap").Run()
		_ = exec.Command("ip", "tuntap", "del", "dev", h.Name, "mode", "tap").Run()
		if _, err := os.Stat("/run/netns/" + h.Name); err == nil {
			if err := ip("netns", "del", h.Name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Command runs a program inside the host's namespace.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// TapCounters are the host side of one wire, from the tap's own counters:
// TX is what the host offered the guest (TXDropped of it never reached
// QEMU), RX what the guest sent the host.
type TapCounters struct {
	RX, TX, TXDropped uint64
}

// Counters reads the host's tap counters.
func (h *Host) Counters() (TapCounters, error) {
	out, err := exec.Command("ip", "-n", h.Name, "-s", "-j", "link", "show", "dev", h.Name).Output()
	if err != nil {
		return TapCounters{}, fmt.Errorf("netbench: counters of %s: %v", h.Name, err)
	}
	var links []struct {
		Stats struct {
			RX struct{ Packets uint64 }          `json:"rx"`
			TX struct{ Packets, Dropped uint64 } `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return TapCounters{}, fmt.Errorf("netbench: counters of %s: %v in %q", h.Name, err, out)
	}
	s := links[0].Stats
	return TapCounters{RX: s.RX.Packets, TX: s.TX.Packets, TXDropped: s.TX.Dropped}, nil
}

// inNS runs f on an OS thread switched into the host's namespace. A socket
// made there stays in that namespace whichever thread uses it later.
func (h *Host) inNS(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Left locked if the way back fails: the runtime then ends this
		// thread with the goroutine instead of reusing it.
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + h.Name)
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("netbench: setns %s: %v", h.Name, err)
			return
		}
		ferr := f()
		if err := setns(self); err != nil {
			done <- errors.Join(ferr, fmt.Errorf("netbench: setns back: %v", err))
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

func ip(args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("netbench: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// waitQuiet waits until the host's tap stops moving frames (QEMU took or
// the tap dropped all it was offered), at most limit.
func (h *Host) waitQuiet(limit time.Duration) error {
	prev, err := h.Counters()
	if err != nil {
		return err
	}
	for end := time.Now().Add(limit); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		c, err := h.Counters()
		if err != nil {
			return err
		}
		if c == prev {
			return nil
		}
		prev = c
	}
	return fmt.Errorf("netbench: %s still busy after %v", h.Name, limit)
}
