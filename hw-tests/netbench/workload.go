//go:build linux

// The named workloads: host-side traffic from the lan host, through the
// guest, to the wan host (or dropped by it), and TCP throughput.
package netbench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/craft"
)

// Traffic is what the hosts saw of one workload run.
type Traffic struct {
	Sent     uint64 // frames, datagrams or echo requests the sender offered
	Received uint64 // what arrived at the far host, where the tool says (0 if it cannot)
	Wall     time.Duration
	Bits     float64 // bits/s the receiver saw (iperf3), else 0
	// Pacing counts the frames that only paced the run (echo requests
	// and replies of drop-pinged), not its subject; see Result.Net.
	Pacing uint64
}

// Workload is one named kind of traffic. Run offers about frames frames
// to the guest (for ping: frames/2 requests, each answered).
type Workload struct {
	Name string
	Doc  string
	Run  func(ctx context.Context, w *Wires, frames int) (Traffic, error)
}

// Workloads are the measured kinds of traffic, by name.
var Workloads = []Workload{
	PingTo("ping", netip.Addr{}),
	{"udp1200", "1200-byte UDP datagrams at 200 Mbit/s, lan to wan host (iperf3 -u)", runUDP},
	Dropped("drop-paced", 1, 500*time.Microsecond),
	Dropped("drop-burst", 64, 2*time.Millisecond),
	// A ring's worth: 256 descriptors is the appliance's RX ring.
	Dropped("drop-ring", 256, 10*time.Millisecond),
	DropPingedTo("drop-pinged", netip.Addr{}),
	Forwarded("fwd-burst", 64, 2*time.Millisecond),
	Forwarded("fwd-ring", 256, 10*time.Millisecond),
}

// Lookup finds a workload by name.
func Lookup(name string) (Workload, error) {
	for _, wl := range Workloads {
		if wl.Name == name {
			return wl, nil
		}
	}
	return Workload{}, fmt.Errorf("netbench: no workload %q", name)
}

var pingSummary = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// PingTo is ping -f from the lan host to addr (the wan host if addr is
// the zero Addr, through the guest's bridge; else, say, the guest's own
// address).
func PingTo(name string, addr netip.Addr) Workload {
	to := "the wan host"
	if addr.IsValid() {
		to = addr.String()
	}
	return Workload{name, "ping -f, 56 bytes, lan host to " + to + ": one frame in flight at a time (paced)",
		func(ctx context.Context, w *Wires, frames int) (Traffic, error) { return runPing(ctx, w, frames, addr) }}
}

func runPing(ctx context.Context, w *Wires, frames int, to netip.Addr) (Traffic, error) {
	if !to.IsValid() {
		to = w.WAN.Addr.Addr()
	}
	n := max(frames/2, 1)
	start := time.Now()
	// -w: a deadline, so a guest that stops answering ends the run.
	deadline := strconv.Itoa(max(60, n/50))
	out, err := w.LAN.Command(ctx, "ping", "-f", "-q", "-c", strconv.Itoa(n), "-s", "56", "-w", deadline,
		to.String()).CombinedOutput()
	t := Traffic{Wall: time.Since(start)}
	m := pingSummary.FindSubmatch(out)
	if m == nil {
		return t, fmt.Errorf("netbench: ping: %v: %s", err, out)
	}
	t.Sent, _ = strconv.ParseUint(string(m[1]), 10, 64)
	t.Received, _ = strconv.ParseUint(string(m[2]), 10, 64)
	return t, nil // ping exits 1 when a reply was lost: the counts say so
}

// iperf3 runs one iperf3 client in the lan host against a one-off server
// in the wan host and returns its report.
func iperf3(ctx context.Context, w *Wires, args ...string) (iperfReport, time.Duration, error) {
	var r iperfReport
	srv := w.WAN.Command(ctx, "iperf3", "-s", "-1", "-B", w.WAN.Addr.Addr().String())
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		return r, 0, err
	}
	defer func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	}()
	client := append([]string{"-c", w.WAN.Addr.Addr().String(), "-J"}, args...)
	// The server needs a moment to listen; probing it with a connection
	// would use up its one test, so the client retries instead.
	for try := 0; ; try++ {
		start := time.Now()
		out, err := w.LAN.Command(ctx, "iperf3", client...).Output()
		wall := time.Since(start)
		r = iperfReport{}
		if jerr := json.Unmarshal(out, &r); jerr != nil && err == nil {
			err = jerr
		}
		if err == nil && r.Error == "" {
			return r, wall, nil
		}
		if !strings.Contains(r.Error, "unable to connect") || try == 20 {
			return r, 0, fmt.Errorf("netbench: iperf3 %v: %v %q (server: %s)", client, err, r.Error, srvOut.Bytes())
		}
		select {
		case <-ctx.Done():
			return r, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type iperfSum struct {
	Packets       uint64  `json:"packets"`
	BitsPerSecond float64 `json:"bits_per_second"`
}

type iperfReport struct {
	Error string `json:"error"`
	End   struct {
		SumSent     iperfSum `json:"sum_sent"`
		SumReceived iperfSum `json:"sum_received"`
	} `json:"end"`
}

func runUDP(ctx context.Context, w *Wires, frames int) (Traffic, error) {
	r, wall, err := iperf3(ctx, w, "-u", "-b", "200M", "-l", "1200", "-k", strconv.Itoa(frames))
	if err != nil {
		return Traffic{}, err
	}
	if r.End.SumSent.Packets == 0 {
		return Traffic{}, errors.New("netbench: iperf3 sent no datagrams")
	}
	return Traffic{Sent: r.End.SumSent.Packets, Received: r.End.SumReceived.Packets, Wall: wall,
		Bits: r.End.SumReceived.BitsPerSecond}, nil
}

// TCPThroughput runs one iperf3 TCP test of the given length from the lan
// host to the wan host and returns the bits/s the receiver saw.
func TCPThroughput(ctx context.Context, w *Wires, d time.Duration) (float64, error) {
	r, _, err := iperf3(ctx, w, "-t", strconv.Itoa(max(int(d.Seconds()), 1)))
	if err != nil {
		return 0, err
	}
	if r.End.SumReceived.BitsPerSecond <= 0 {
		return 0, errors.New("netbench: iperf3 reported no throughput")
	}
	return r.End.SumReceived.BitsPerSecond, nil
}

// Dropped is a workload of LLDP-type frames (0x88cc, which the rules
// drop) from the lan host to the wan host: burst frames back to back,
// then the next burst interval later (wall time).
func Dropped(name string, burst int, interval time.Duration) Workload {
	return Workload{name, fmt.Sprintf("LLDP-type frames (0x88cc) to the wan host, %d back to back every %v", burst, interval),
		func(ctx context.Context, w *Wires, frames int) (Traffic, error) {
			return sendBursts(ctx, w, LLDPFrame(w.WAN.MAC, w.LAN.MAC), frames, burst, interval)
		}}
}

// Forwarded is a workload of minimum-size UDP frames from the lan host to
// the wan host's MAC, which the rules pass (from lan, keeping state):
// burst frames back to back, then the next burst interval later. Their
// IPv4 destination is one address past the wan host's, which it does not
// own, so it drops them without a reply (no forwarding in its namespace):
// only lan-to-wan frames cross the guest.
func Forwarded(name string, burst int, interval time.Duration) Workload {
	return Workload{name, fmt.Sprintf("60-byte UDP frames to the wan host's MAC, %d back to back every %v", burst, interval),
		func(ctx context.Context, w *Wires, frames int) (Traffic, error) {
			return sendBursts(ctx, w, ForwardFrame(w), frames, burst, interval)
		}}
}

// ForwardFrame is Forwarded's frame: UDP port 9 (discard) with 18 bytes
// of payload, 60 bytes in all.
func ForwardFrame(w *Wires) []byte {
	src, dst := w.LAN.Addr.Addr(), w.WAN.Addr.Addr().Next()
	return craft.Eth{Dst: w.WAN.MAC, Src: w.LAN.MAC}.Frame(craft.IPv4, craft.V4{Src: src, Dst: dst, Proto: craft.ProtoUDP}.Packet(
		craft.UDP(src, dst, 40000, 9, make([]byte, 18))))
}

const etherTypeLLDP = 0x88cc

// LLDPFrame is an LLDP-type frame from src to dst (not to LLDP's
// link-local group: a Linux bridge hands those to the port's own stack
// before its filter hooks, and the rules are what is measured here). It
// carries chassis ID, port ID and TTL TLVs (IEEE 802.1AB 8.5) and is
// padded to the 60-byte minimum.
func LLDPFrame(dst, src net.HardwareAddr) []byte {
	var b []byte
	tlv := func(typ, n int) { b = binary.BigEndian.AppendUint16(b, uint16(typ<<9|n)) }
	tlv(1, 7) // chassis ID, subtype 4: MAC address
	b = append(append(b, 4), src...)
	tlv(2, 7) // port ID, subtype 3: MAC address
	b = append(append(b, 3), src...)
	tlv(3, 2) // TTL
	b = binary.BigEndian.AppendUint16(b, 120)
	tlv(0, 0) // end
	f := craft.Eth{Dst: dst, Src: src}.Frame(etherTypeLLDP, b)
	return append(f, make([]byte, max(0, 60-len(f)))...)
}

// sendBursts sends frames copies of frame from the lan host through a
// packet socket, in groups of burst frames back to back, one group per
// interval. A frame the tap could not queue is not resent: the guest's
// counters say what it got.
func sendBursts(ctx context.Context, w *Wires, frame []byte, frames, burst int, interval time.Duration) (Traffic, error) {
	raw, err := w.LAN.Raw()
	if err != nil {
		return Traffic{}, err
	}
	defer raw.Close()
	var t Traffic
	start := time.Now()
	next := start
	for sent := 0; sent < frames; {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		for i := 0; i < burst && sent < frames; i++ {
			sent++
			if err := raw.Send(frame); err == nil {
				t.Sent++
			} else if !errors.Is(err, syscall.ENOBUFS) {
				return t, fmt.Errorf("netbench: send on %s: %v", w.LAN.Name, err)
			}
		}
		next = next.Add(interval)
		time.Sleep(time.Until(next))
	}
	t.Wall = time.Since(start)
	return t, nil
}

// Ping sends n echo requests (one every 10 ms, each waiting at most a
// second) from the host to addr and returns how many were answered.
func (h *Host) Ping(ctx context.Context, addr netip.Addr, n int) (int, error) {
	out, err := h.Command(ctx, "ping", "-q", "-c", strconv.Itoa(n), "-i", "0.01", "-W", "1", addr.String()).CombinedOutput()
	m := pingSummary.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("netbench: ping %s from %s: %v: %s", addr, h.Name, err, out)
	}
	got, _ := strconv.Atoi(string(m[2]))
	return got, nil
}

// HTTPGets is TCP to the guest's own stack: about frames/5 HTTP GETs of
// path from the lan host to addr, one after the other, each on a new
// connection (handshake, request, reply, close: about 5 frames into the
// guest each). The Authorization header carries authz, if any.
func HTTPGets(name string, addr netip.AddrPort, path, authz string) Workload {
	return Workload{name, fmt.Sprintf("HTTP GET %s from the lan host to %v, a new connection each", path, addr),
		func(ctx context.Context, w *Wires, frames int) (Traffic, error) {
			client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true,
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return w.LAN.Dial(ctx, "tcp", addr.String())
				}}}
			defer client.CloseIdleConnections()
			var t Traffic
			start := time.Now()
			for i := 0; i < max(frames/5, 1); i++ {
				req, err := http.NewRequestWithContext(ctx, "GET", "http://guest"+path, nil)
				if err != nil {
					return t, err
				}
				if authz != "" {
					req.Header.Set("Authorization", authz)
				}
				t.Sent++
				resp, err := client.Do(req)
				if err != nil {
					return t, fmt.Errorf("netbench: GET %s: %v", path, err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					return t, fmt.Errorf("netbench: GET %s: status %d, %v", path, resp.StatusCode, err)
				}
				t.Received++
			}
			t.Wall = time.Since(start)
			return t, nil
		}}
}
