//go:build linux

// Dropped frames paced the way ping -f paces its requests. Open-loop
// pacing (one frame every so many µs of wall time) leaves the guest idle
// in between, and under -icount sleep=off an idle guest's clock jumps from
// timer to timer, so its periodic work, not the frames, fills the
// measurement. Here each dropped frame travels with an echo request and
// the next pair leaves when the reply is back (or after 10 ms, as ping -f).
package netbench

import (
	"context"
	"encoding/binary"
	"fmt"
	"syscall"
	"time"
)

const etherTypeIPv4 = 0x0800

func runDropPinged(ctx context.Context, w *Wires, frames int) (Traffic, error) {
	fd, err := w.LAN.packetSocket(etherTypeIPv4) // sends anything, receives IPv4
	if err != nil {
		return Traffic{}, err
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval((10 * time.Millisecond).Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return Traffic{}, err
	}
	lldp := LLDPFrame(w.WAN.MAC, w.LAN.MAC)
	req := make([]byte, 98)
	buf := make([]byte, 2048)
	id := uint16(time.Now().UnixNano())
	var t Traffic
	start := time.Now()
	for seq := 0; seq < frames; seq++ {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		echoRequest(req, w, id, uint16(seq))
		for _, f := range [][]byte{lldp, req} {
			if _, err := syscall.Write(fd, f); err != nil {
				return t, fmt.Errorf("netbench: send on %s: %v", w.LAN.Name, err)
			}
		}
		t.Sent++
		t.Pacing += 2 // the request and its reply, even one too late for us
		for deadline := time.Now().Add(10 * time.Millisecond); time.Now().Before(deadline); {
			n, _, err := syscall.Recvfrom(fd, buf, 0)
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			if err != nil {
				return t, fmt.Errorf("netbench: receive on %s: %v", w.LAN.Name, err)
			}
			if isEchoReply(buf[:n], id, uint16(seq)) {
				t.Received++
				break
			}
		}
	}
	t.Wall = time.Since(start)
	return t, nil
}

// echoRequest fills f (98 bytes: what ping -s 56 sends) with an ICMP echo
// request from the lan host to the wan host (RFC 792, RFC 791).
func echoRequest(f []byte, w *Wires, id, seq uint16) {
	copy(f, w.WAN.MAC)
	copy(f[6:], w.LAN.MAC)
	binary.BigEndian.PutUint16(f[12:], etherTypeIPv4)
	ip := f[14:34]
	clear(ip)
	ip[0] = 0x45                               // version 4, 5 words
	binary.BigEndian.PutUint16(ip[2:], 84)     // total length
	binary.BigEndian.PutUint16(ip[4:], seq)    // identification
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // don't fragment
	ip[8], ip[9] = 64, 1                       // TTL, ICMP
	src, dst := w.LAN.Addr.Addr().As4(), w.WAN.Addr.Addr().As4()
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	icmp := f[34:]
	clear(icmp)
	icmp[0] = 8 // echo request
	binary.BigEndian.PutUint16(icmp[4:], id)
	binary.BigEndian.PutUint16(icmp[6:], seq)
	for i := 8; i < len(icmp); i++ {
		icmp[i] = byte(i)
	}
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
}

// isEchoReply reports whether f is an Ethernet frame carrying the ICMP
// echo reply to (id, seq).
func isEchoReply(f []byte, id, seq uint16) bool {
	if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != etherTypeIPv4 || f[14]>>4 != 4 || f[14+9] != 1 {
		return false
	}
	hl := int(f[14]&0xf) * 4
	if hl < 20 || len(f) < 14+hl+8 {
		return false
	}
	icmp := f[14+hl:]
	return icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id && binary.BigEndian.Uint16(icmp[6:]) == seq
}

// checksum is the Internet checksum (RFC 1071) of b, whose checksum field
// is zero.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
