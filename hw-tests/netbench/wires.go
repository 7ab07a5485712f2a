//go:build linux

// Package netbench puts two Linux hosts, each in a network namespace of its
// own, on the two ports of a QEMU guest (tap devices: the first is the
// guest's lan port, ENET1, the second its wan port, ENET2) and measures the
// guest's whole-system cost per frame of named workloads between them.
// Nothing here knows the guest: it reports its clock, idle time and frame
// counters through a Probe. The hosts are linuxhost's; everything here is
// named after Options.Prefix and removed by Close. Needs root.
package netbench

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/linuxhost"
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

// Host is one peer: a linuxhost.Host (a namespace holding a tap of the
// same name) with its addresses.
type Host struct {
	*linuxhost.Host
	Addr, Addr6 netip.Prefix
}

// Wires are the two hosts. LAN is on the guest's first NIC, WAN on its
// second.
type Wires struct {
	LAN, WAN *Host
}

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)

// The hosts' MACs, locally administered.
var (
	lanMAC = net.HardwareAddr{0x02, 0, 0, 0x77, 0, 1}
	wanMAC = net.HardwareAddr{0x02, 0, 0, 0x77, 0, 2}
)

// New creates the namespaces and the taps (still in the root namespace,
// where QEMU opens them by name).
func New(o Options) (*Wires, error) {
	if !prefixRE.MatchString(o.Prefix) {
		return nil, fmt.Errorf("netbench: prefix %q: want 1-12 lower-case letters and digits, starting with a letter", o.Prefix)
	}
	if err := linuxhost.Available(); err != nil {
		return nil, err
	}
	def := func(p *netip.Prefix, s string) {
		if !p.IsValid() {
			*p = netip.MustParsePrefix(s)
		}
	}
	def(&o.LAN, "10.77.0.1/24")
	def(&o.WAN, "10.77.0.2/24")
	def(&o.LAN6, "fd77::1/64")
	def(&o.WAN6, "fd77::2/64")
	w := &Wires{LAN: &Host{Addr: o.LAN, Addr6: o.LAN6}, WAN: &Host{Addr: o.WAN, Addr6: o.WAN6}}
	for i, h := range w.hosts() {
		var err error
		if h.Host, err = linuxhost.New(o.Prefix + [...]string{"lan", "wan"}[i]); err != nil {
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
// namespace and configures the host (linuxhost.Host.Attach: a quiet host,
// IPv6 usable at once).
func (w *Wires) Attach() error {
	for i, h := range w.hosts() {
		if err := h.Host.Attach([...]net.HardwareAddr{lanMAC, wanMAC}[i], []netip.Prefix{h.Addr, h.Addr6}); err != nil {
			return fmt.Errorf("netbench: %v", err)
		}
	}
	return nil
}

// Close removes the taps and namespaces. Stop the guest first.
func (w *Wires) Close() {
	for _, h := range w.hosts() {
		if h.Host != nil {
			h.Host.Close()
		}
	}
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
