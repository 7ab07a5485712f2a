//go:build linux

// Dropped frames paced the way ping -f paces its requests. Open-loop
// pacing (one frame every so many µs of wall time) leaves the guest idle
// in between, and under -icount sleep=off an idle guest's clock jumps from
// timer to timer, so its periodic work, not the frames, fills the
// measurement. Here each dropped frame travels with an echo request and
// the next pair leaves when the reply is back (or after 10 ms, as ping -f).
// The echo goes to the wan host through the guest, or to the guest itself
// (a one-port guest has no wan host).
package netbench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/craft"
)

// DropPingedTo pairs each LLDP-type frame with an echo request to addr:
// the wan host if addr is the zero Addr, else an address on the lan
// host's link whose MAC it has resolved (ping it first).
func DropPingedTo(name string, addr netip.Addr) Workload {
	to := "the wan host"
	if addr.IsValid() {
		to = addr.String()
	}
	return Workload{name, "LLDP-type frames (0x88cc) to the wan host, each with an echo request to " + to +
		"; the next pair when the reply is back", func(ctx context.Context, w *Wires, frames int) (Traffic, error) {
		return runDropPinged(ctx, w, frames, addr)
	}}
}

func runDropPinged(ctx context.Context, w *Wires, frames int, to netip.Addr) (Traffic, error) {
	toMAC := w.WAN.MAC
	if !to.IsValid() {
		to = w.WAN.Addr.Addr()
	} else {
		var err error
		if toMAC, err = w.LAN.Neighbor(ctx, to); err != nil {
			return Traffic{}, err
		}
	}
	raw, err := w.LAN.Raw()
	if err != nil {
		return Traffic{}, err
	}
	defer raw.Close()
	lldp := LLDPFrame(w.WAN.MAC, w.LAN.MAC)
	id := uint16(time.Now().UnixNano())
	body := make([]byte, 56) // what ping -s 56 sends
	var t Traffic
	start := time.Now()
	for seq := 0; seq < frames; seq++ {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		req := craft.Eth{Dst: toMAC, Src: w.LAN.MAC}.Frame(craft.IPv4, craft.V4{
			Src: w.LAN.Addr.Addr(), Dst: to, Proto: craft.ProtoICMP, ID: uint16(seq),
		}.Packet(craft.ICMP(8, 0, uint32(id)<<16|uint32(uint16(seq)), body)))
		for _, f := range [][]byte{lldp, req} {
			if err := raw.Send(f); err != nil {
				return t, fmt.Errorf("netbench: send on %s: %v", w.LAN.Name, err)
			}
		}
		t.Sent++
		t.Pacing += 2 // the request and its reply, even one too late for us
		for deadline := time.Now().Add(10 * time.Millisecond); ; {
			f, err := raw.Recv(deadline)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				return t, fmt.Errorf("netbench: receive on %s: %v", w.LAN.Name, err)
			}
			if isEchoReply(f, id, uint16(seq)) {
				t.Received++
				break
			}
		}
	}
	t.Wall = time.Since(start)
	return t, nil
}

// isEchoReply reports whether f is an Ethernet frame carrying the ICMP
// echo reply to (id, seq) (RFC 792).
func isEchoReply(f []byte, id, seq uint16) bool {
	if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != craft.IPv4 || f[14]>>4 != 4 || f[14+9] != craft.ProtoICMP {
		return false
	}
	hl := int(f[14]&0xf) * 4
	if hl < 20 || len(f) < 14+hl+8 {
		return false
	}
	icmp := f[14+hl:]
	return icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id && binary.BigEndian.Uint16(icmp[6:]) == seq
}

// Neighbor is the MAC the host has resolved for addr (ip neigh).
func (h *Host) Neighbor(ctx context.Context, addr netip.Addr) (net.HardwareAddr, error) {
	out, err := h.Command(ctx, "ip", "-j", "neigh", "show", addr.String()).Output()
	if err != nil {
		return nil, fmt.Errorf("netbench: ip neigh in %s: %v", h.Name, err)
	}
	var ns []struct {
		LLAddr string `json:"lladdr"`
	}
	if err := json.Unmarshal(out, &ns); err != nil || len(ns) != 1 || ns[0].LLAddr == "" {
		return nil, fmt.Errorf("netbench: %s has not resolved %v: %q", h.Name, addr, out)
	}
	return net.ParseMAC(ns[0].LLAddr)
}
