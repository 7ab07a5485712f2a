//go:build hwtest && linux

// Bridge tests: the appliance between two real Linux hosts, each in its own
// network namespace on a tap device: lan (ENET1) and wan (ENET2). The hosts
// share the management subnet (hostile.go): the bridge is transparent.
// One boot serves every test here, in file order; after each test the
// pool's pages in flight must be back at their idle value.
package hwtests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/hw-tests/linuxhost"
	"github.com/fosbury-net/fosbury/mgmt"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var netPrefix = flag.String("netprefix", "", "name prefix of the tests' network namespaces and taps (default fb<pid>)")

// netName names a namespace and its tap; the pid keeps concurrent runs apart.
func netName(s string) string {
	p := *netPrefix
	if p == "" {
		p = fmt.Sprintf("fb%d", os.Getpid())
	}
	return p + s
}

// The appliance's wan address (fosbury.conf); its lan addresses are
// applianceV4 and applianceV6.
var applianceWanV4 = netip.MustParseAddr("192.168.77.1")

type bridge struct {
	run      *Run
	lan, wan *linuxhost.Host
	monitor  string
	token    string // the API token the console printed
	idle     uint64 // pool pages in flight with nothing in flight
	err      error
}

var (
	br     bridge
	brOnce sync.Once
)

func (b *bridge) stop() {
	if b.run != nil {
		b.run.Stop()
	}
	for _, h := range []*linuxhost.Host{b.lan, b.wan} {
		if h != nil {
			h.Close()
		}
	}
	if b.monitor != "" {
		os.RemoveAll(filepath.Dir(b.monitor))
	}
	b.err = errors.New("the bridge boot was stopped for another one")
}

// slackPages: besides the RX rings' buffers, each port may legitimately
// hold one page more at rest: its RX ring's spare (taken ahead of a
// refill) and its TX ring's half-used copy page.
const slackPages = 2 * 2

// bootBridge boots the firmware once with both taps, brings the hosts up
// and records the idle pool; every test that calls it is followed by the
// check that the pool is back at rest.
func bootBridge(t *testing.T) *bridge {
	t.Helper()
	if err := linuxhost.Available(); err != nil {
		t.Skip(err)
	}
	brOnce.Do(func() { br.err = br.boot(t) })
	if br.err != nil {
		t.Fatal(br.err)
	}
	t.Cleanup(func() { br.checkAtRest(t) })
	return &br
}

func (b *bridge) boot(t *testing.T) error {
	exclusiveBoot(b.stop)
	var err error
	if b.lan, err = linuxhost.New(netName("lan")); err != nil {
		return err
	}
	if b.wan, err = linuxhost.New(netName("wan")); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "fosbury-bridge")
	if err != nil {
		return err
	}
	b.monitor = filepath.Join(dir, "monitor.sock")
	tap := func(id, name string) []string {
		return []string{"-netdev", fmt.Sprintf("tap,id=%s,ifname=%s,script=no,downscript=no", id, name), "-net", "nic,netdev=" + id}
	}
	args := append(tap("lan", b.lan.Name), tap("wan", b.wan.Name)...)
	b.run, err = Boot(need(t, firmware, "firmware"), 30*time.Minute, append(args, "-monitor", "unix:"+b.monitor+",server=on,wait=off")...)
	if err != nil {
		return err
	}
	_, wall, err := b.run.WaitLine("fosbury: ready")
	if err != nil {
		return fmt.Errorf("%v\nconsole:\n%s", err, b.run.Output())
	}
	t.Logf("appliance ready after %v wall time", wall)
	b.token = consoleToken(b.run)
	// QEMU holds the taps now: move them to their hosts.
	if err := b.lan.Attach(lanHostMAC, []netip.Prefix{netip.MustParsePrefix("10.0.2.20/24"), netip.MustParsePrefix("fd00::20/64")}); err != nil {
		return err
	}
	if err := b.wan.Attach(wanHostMAC, []netip.Prefix{netip.MustParsePrefix("10.0.2.30/24"), netip.MustParsePrefix("fd00::30/64"),
		netip.MustParsePrefix("192.168.77.30/24")}); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := b.tryStatus()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/status unreachable from the lan host: %v", err)
		}
		time.Sleep(time.Second)
	}
	// At rest: the lowest of a few readings (a reading's own TX may still
	// hold a page).
	b.idle = ^uint64(0)
	for i := 0; i < 3; i++ {
		time.Sleep(time.Second)
		st, err := b.tryStatus()
		if err != nil {
			return err
		}
		b.idle = min(b.idle, readCounters(st).inFlight)
	}
	t.Logf("pool at rest: %d pages in flight", b.idle)
	return nil
}

// counters is what the bridge tests read of /status.
type counters struct {
	inFlight, forwarded uint64
	dropped             uint64              // the filter's drops, all reasons
	reasons             filter.ReasonCounts // its drops by reason
	links               [2]bool
	linkChanges         [2]uint64
}

// readCounters is the one place the bridge tests read the shape of
// /status.
func readCounters(st mgmt.Status) counters {
	c := counters{inFlight: uint64(st.Pool.InFlight), forwarded: st.Datapath.Forwarded,
		dropped: st.Filter.Verdicts[filter.Drop], reasons: st.Filter.Reasons}
	for i, p := range st.Ports {
		if i < len(c.links) {
			c.links[i], c.linkChanges[i] = p.Link.Up, p.Driver.LinkChanges
		}
	}
	return c
}

// tryStatus fetches /status from the lan host.
func (b *bridge) tryStatus() (mgmt.Status, error) {
	var st mgmt.Status
	body, err := httpGet(b.lan, netip.AddrPortFrom(applianceV4, 80), "/status", b.token)
	if err == nil {
		err = json.Unmarshal(body, &st)
	}
	return st, err
}

func (b *bridge) counters(t *testing.T) counters {
	t.Helper()
	st, err := b.tryStatus()
	if err != nil {
		t.Fatalf("/status: %v", err)
	}
	return readCounters(st)
}

// httpGet is an HTTP GET from host h with the API token.
func httpGet(h *linuxhost.Host, to netip.AddrPort, path, token string) ([]byte, error) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return h.Dial(ctx, "tcp", to.String()) }}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest("GET", "http://appliance"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return body, err
}

// checkAtRest waits (bounded) for the pool to come back to its idle value:
// a page held across the bridge and never given back is a leak.
func (b *bridge) checkAtRest(t *testing.T) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := b.tryStatus()
		if err == nil && readCounters(st).inFlight <= b.idle+slackPages {
			t.Logf("pool at rest again: %d pages in flight (idle %d)", readCounters(st).inFlight, b.idle)
			return
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%d pages in flight", readCounters(st).inFlight)
			}
			t.Errorf("pool not back at rest (idle %d + %d): %v", b.idle, slackPages, err)
			return
		}
		time.Sleep(time.Second)
	}
}

// waitDrops waits (bounded) until at least n more frames were dropped
// than in before, and returns the counters then.
func (b *bridge) waitDrops(t *testing.T, before counters, n uint64) counters {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := b.counters(t)
		if c.dropped-before.dropped >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// wantDrops checks the filter's drops between two readings: per reason as
// many as want says, exactly except for the default policy (the hosts'
// own traffic may add some there); reasons want does not name are logged.
func wantDrops(t *testing.T, before, after counters, want map[filter.Reason]uint64) {
	t.Helper()
	var sum uint64
	for _, n := range want {
		sum += n
	}
	if got := after.dropped - before.dropped; got < sum {
		t.Errorf("%d frames dropped, want at least %d", got, sum)
	}
	for r := filter.ReasonNone + 1; r < filter.NumReasons; r++ {
		d, n := after.reasons[r]-before.reasons[r], want[r]
		if d != 0 || n != 0 {
			t.Logf("dropped as %v: %d (want %d)", r, d, n)
		}
		if d < n || d > n && n > 0 && r != filter.ReasonDefault {
			t.Errorf("%d drops counted as %v, want %d", d, r, n)
		}
	}
}

// monitorCmd runs one QEMU monitor command.
func (b *bridge) monitorCmd(cmd string) error {
	c, err := net.Dial("unix", b.monitor)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString(')'); err != nil { // banner up to the first "(qemu)" prompt
		return err
	}
	fmt.Fprintf(c, "%s\n", cmd)
	_, err = r.ReadString(')')
	return err
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// ping runs Linux ping from h until count replies came (losses on the
// host side are retried within the deadline) and fails the test otherwise.
func ping(t *testing.T, h *linuxhost.Host, dst netip.Addr, count int) {
	t.Helper()
	out, err := h.Run(ctxFor(t, 2*time.Minute), "ping", "-n", "-c", fmt.Sprint(count), "-i", "0.2", "-w", "60", dst.String())
	if err != nil {
		t.Fatalf("ping %v from %s: %v\n%s", dst, h.Name, err, out)
	}
	t.Logf("ping %v from %s: %s", dst, h.Name, lastLines(out, 2))
}

// noPing checks that h gets no echo reply from dst.
func noPing(t *testing.T, h *linuxhost.Host, dst netip.Addr, count int) {
	t.Helper()
	out, err := h.Run(ctxFor(t, time.Minute), "ping", "-n", "-c", fmt.Sprint(count), "-i", "0.2", "-W", "1", dst.String())
	if err == nil || !strings.Contains(out, " 0 received") {
		t.Errorf("ping %v from %s was answered (%v):\n%s", dst, h.Name, err, out)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], " / ")
}

// pattern is byte i of a test stream (mgmt's, which a dropped, repeated
// or reordered segment cannot imitate).
func pattern(i int) byte { return mgmt.Pattern(i) }

// sendPattern writes n pattern bytes, counting progress.
func sendPattern(w io.Writer, n int, progress *atomic.Int64) error {
	buf := make([]byte, 32<<10)
	for off := 0; off < n; {
		k := min(len(buf), n-off)
		for i := range buf[:k] {
			buf[i] = pattern(off + i)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		off += k
		if progress != nil {
			progress.Store(int64(off))
		}
	}
	return nil
}

// checkPattern reads n bytes and checks each.
func checkPattern(r io.Reader, n int, progress *atomic.Int64) error {
	buf := make([]byte, 32<<10)
	for off := 0; off < n; {
		k, err := r.Read(buf[:min(len(buf), n-off)])
		for i, c := range buf[:k] {
			if c != pattern(off+i) {
				return fmt.Errorf("byte %d is %#x, want %#x", off+i, c, pattern(off+i))
			}
		}
		off += k
		if progress != nil {
			progress.Store(int64(off))
		}
		if err != nil {
			if off == n {
				return nil
			}
			return fmt.Errorf("after %d of %d bytes: %v", off, n, err)
		}
	}
	return nil
}

// transfer opens a TCP connection from the lan host to a listener on the
// wan host and moves up and down bytes each way at once, checked byte for
// byte on both ends. rcvbuf > 0 sets the lan socket's receive buffer
// before it connects, which bounds the window it offers.
func transfer(t *testing.T, b *bridge, dst netip.Addr, up, down, rcvbuf int, progress *atomic.Int64) {
	t.Helper()
	ln, err := b.wan.Listen("tcp", netip.AddrPortFrom(dst, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srv <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Minute)) // a hang guard, not a timing
		sent := make(chan error, 1)
		go func() { sent <- sendPattern(c, down, nil) }()
		err = checkPattern(c, up, nil)
		if err == nil {
			err = <-sent
		}
		srv <- err
	}()
	start := time.Now()
	d := &net.Dialer{}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			return errors.Join(err, serr)
		}
	}
	c, err := b.lan.DialWith(ctxFor(t, time.Minute), d, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("connect to %v: %v", ln.Addr(), err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	sent := make(chan error, 1)
	go func() { sent <- sendPattern(c, up, nil) }()
	if err := checkPattern(c, down, progress); err != nil {
		t.Fatalf("lan host receiving: %v", err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("lan host sending: %v", err)
	}
	if err := <-srv; err != nil {
		t.Fatalf("wan host: %v", err)
	}
	wall := time.Since(start)
	t.Logf("TCP %v: %d bytes up, %d down, checked, in %v (%.1f Mbit/s through QEMU)", dst, up, down, wall.Round(time.Millisecond),
		float64(up+down)*8/wall.Seconds()/1e6)
}

func udpNetwork(a netip.Addr) string {
	if a.Is6() {
		return "udp6"
	}
	return "udp4"
}

// udpEcho sends n datagrams from the lan host to an echo server on the
// wan host; each must come back unchanged (retried: UDP may be lost on the
// host side).
func udpEcho(t *testing.T, b *bridge, dst netip.Addr, n int) {
	t.Helper()
	srv, err := b.wan.ListenPacket("udp", netip.AddrPortFrom(dst, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:k], from)
		}
	}()
	c, err := b.lan.Dial(ctxFor(t, time.Minute), udpNetwork(dst), srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	retries := 0
	buf := make([]byte, 2048)
	for i := 0; i < n; i++ {
		msg := make([]byte, 1+i*1400/n)
		for j := range msg {
			msg[j] = byte(i ^ j)
		}
		for try := 0; ; try++ {
			if try == 5 {
				t.Fatalf("UDP %v: datagram %d (%d bytes) not echoed in 5 tries", dst, i, len(msg))
			}
			c.Write(msg)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, err := c.Read(buf)
			if err == nil && bytes.Equal(buf[:k], msg) {
				break
			}
			retries++
		}
	}
	t.Logf("UDP %v: %d datagrams of 1-1400 bytes echoed (%d retries)", dst, n, retries)
}

// Lan host to wan host: ARP and neighbour discovery across the bridge,
// ping over IPv4 and IPv6, TCP both ways at once checked byte for byte,
// UDP echoes, and iperf3; every reply comes back through the state lan
// opened (from wan nothing else passes: TestBridgeWANInitiated).
func TestBridgeLANToWAN(t *testing.T) {
	b := bootBridge(t)
	before := b.counters(t)
	for _, h := range []*linuxhost.Host{b.lan, b.wan} {
		h.Run(ctxFor(t, time.Minute), "ip", "neigh", "flush", "all")
	}
	ping(t, b.lan, wanHostV4, 10)
	ping(t, b.lan, wanHostV6, 10)
	for _, c := range []struct {
		h   *linuxhost.Host
		dst netip.Addr
		mac net.HardwareAddr
	}{{b.lan, wanHostV4, wanHostMAC}, {b.lan, wanHostV6, wanHostMAC}, {b.wan, lanHostV4, lanHostMAC}, {b.wan, lanHostV6, lanHostMAC}} {
		out, _ := c.h.Run(ctxFor(t, time.Minute), "ip", "neigh", "show", c.dst.String())
		if !strings.Contains(out, "lladdr "+c.mac.String()) {
			t.Errorf("%s did not resolve %v to %v across the bridge: %q", c.h.Name, c.dst, c.mac, out)
		}
	}
	transfer(t, b, wanHostV4, 4<<20, 4<<20, 0, nil)
	transfer(t, b, wanHostV6, 1<<20, 2<<20, 0, nil)
	udpEcho(t, b, wanHostV4, 200)
	udpEcho(t, b, wanHostV6, 100)
	iperf(t, b)
	// No segment of these flows is refused by the TCP tracking (before
	// the ACK-lag fix, TestTCPAckLagWithinReceiverWindow, iperf3's ACKs
	// were, by the thousand). Other drops (the wan host's own router
	// solicitations, MLD reports) are reported, not asserted.
	after := b.counters(t)
	t.Logf("forwarded %d frames, dropped %d", after.forwarded-before.forwarded, after.dropped-before.dropped)
	if d := after.reasons[filter.ReasonBadState] - before.reasons[filter.ReasonBadState]; d != 0 {
		t.Errorf("%d segments of lan-opened flows dropped as %v", d, filter.ReasonBadState)
	}
	if after.forwarded-before.forwarded < 2*(4<<20)/1500 {
		t.Errorf("only %d frames forwarded for 8 MiB of TCP", after.forwarded-before.forwarded)
	}
}

// iperf runs iperf3 from the lan host to a server on the wan host, both
// directions; the figures are logged, not asserted.
func iperf(t *testing.T, b *bridge) {
	t.Helper()
	ctx := ctxFor(t, 3*time.Minute)
	srv := b.wan.Command(ctx, "iperf3", "-s", "-B", wanHostV4.String(), "-p", "5201")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	for _, reverse := range []bool{false, true} {
		args := []string{"-c", wanHostV4.String(), "-p", "5201", "-t", "3", "-J", "--connect-timeout", "5000"}
		if reverse {
			args = append(args, "-R")
		}
		var out string
		var err error
		var r struct {
			Error string `json:"error"` // iperf3 3.12 -J exits 0 on "connection refused"
			End   struct {
				SumReceived struct {
					Bytes         uint64  `json:"bytes"`
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
			} `json:"end"`
		}
		for try := 0; try < 10; try++ { // until the server listens
			out, err = b.lan.Run(ctx, "iperf3", args...)
			if err == nil {
				r.Error = ""
				if err = json.Unmarshal([]byte(out), &r); err == nil && r.Error != "" {
					err = errors.New(r.Error)
				}
			}
			if err == nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil || r.End.SumReceived.Bytes == 0 {
			t.Fatalf("iperf3 %v: %v\n%s", args, err, out)
		}
		dir := "lan -> wan"
		if reverse {
			dir = "wan -> lan"
		}
		t.Logf("iperf3 TCP %s: %d bytes, %.1f Mbit/s through QEMU", dir, r.End.SumReceived.Bytes, r.End.SumReceived.BitsPerSecond/1e6)
	}
}

// fromWAN returns the frames of a lan capture that the wan host sent and
// the link-layer rules do not pass anyway: ARP, neighbour discovery and
// MLD cross by design.
func fromWAN(frames [][]byte, src net.HardwareAddr) [][]byte {
	var out [][]byte
	for _, f := range frames {
		if len(f) < 14 || !bytes.Equal(f[6:12], src) {
			continue
		}
		eth := header.Ethernet(f)
		switch eth.Type() {
		case header.ARPProtocolNumber:
			continue
		case header.IPv6ProtocolNumber:
			ip := header.IPv6(f[14:])
			if len(ip) > 40 && ip.NextHeader() == uint8(header.ICMPv6ProtocolNumber) {
				switch header.ICMPv6(ip.Payload()).Type() {
				case header.ICMPv6NeighborSolicit, header.ICMPv6NeighborAdvert, header.ICMPv6RouterAdvert:
					continue
				}
			}
			if len(ip) > 40 && ip.NextHeader() == 0 { // hop-by-hop: MLD reports
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// dialTimesOut checks that a TCP connection from h to dst neither opens
// nor is refused: its SYN was dropped on the way.
func dialTimesOut(t *testing.T, h *linuxhost.Host, dst netip.AddrPort) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := h.Dial(ctx, "tcp", dst.String())
	switch {
	case err == nil:
		c.Close()
		t.Errorf("%s connected to %v", h.Name, dst)
	case !errors.Is(err, context.DeadlineExceeded) && !os.IsTimeout(err):
		t.Errorf("%s to %v: %v, want a timeout (a refusal means the SYN got through)", h.Name, dst, err)
	}
}

// nmapPorts runs nmap from h and returns the state it reports per port.
func nmapPorts(t *testing.T, h *linuxhost.Host, args ...string) map[string]int {
	t.Helper()
	args = append([]string{"-n", "-Pn", "-T4", "--max-retries", "1", "--host-timeout", "120s", "-oG", "-"}, args...)
	out, err := h.Run(ctxFor(t, 3*time.Minute), "nmap", args...)
	if err != nil {
		t.Fatalf("nmap %v: %v\n%s", args, err, out)
	}
	states := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		_, ports, ok := strings.Cut(line, "Ports: ")
		if !ok {
			continue
		}
		for _, p := range strings.Split(ports, ", ") {
			if f := strings.Split(p, "/"); len(f) > 1 {
				states[f[1]]++
			}
		}
		if _, ignored, ok := strings.Cut(line, "Ignored State: "); ok {
			var state string
			var n int
			fmt.Sscanf(strings.ReplaceAll(ignored, "(", " "), "%s %d", &state, &n)
			states[state] += n
		}
	}
	t.Logf("nmap %s: %v", strings.Join(args[9:], " "), states)
	return states
}

// Wan-initiated traffic to the lan host is dropped, IPv4 and IPv6: ping,
// TCP (Go and nmap SYN scans), UDP. The lan host captures everything and
// sees none of it; its listeners accept nothing.
func TestBridgeWANInitiated(t *testing.T) {
	b := bootBridge(t)
	var accepted atomic.Int64
	for _, a := range []netip.Addr{lanHostV4, lanHostV6} {
		ln, err := b.lan.Listen("tcp", netip.AddrPortFrom(a, 7001).String())
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				c.Close()
			}
		}()
		pc, err := b.lan.ListenPacket("udp", netip.AddrPortFrom(a, hostileUDPPort).String())
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 2048)
			for {
				if _, _, err := pc.ReadFrom(buf); err != nil {
					return
				}
				accepted.Add(1)
			}
		}()
	}
	raw, err := b.lan.Raw()
	if err != nil {
		t.Fatal(err)
	}
	capture := raw.Capture()
	before := b.counters(t)

	probes := uint64(0)
	for _, dst := range []netip.Addr{lanHostV4, lanHostV6} {
		noPing(t, b.wan, dst, 3)
		dialTimesOut(t, b.wan, netip.AddrPortFrom(dst, 7001))
		c, err := b.wan.Dial(ctxFor(t, time.Minute), udpNetwork(dst), netip.AddrPortFrom(dst, hostileUDPPort).String())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			c.Write([]byte("from wan"))
		}
		c.Close()
		probes += 3 + 1 + 5
	}
	for _, dst := range []string{lanHostV4.String(), lanHostV6.String()} {
		v6 := []string{}
		if strings.Contains(dst, ":") {
			v6 = []string{"-6"}
		}
		st := nmapPorts(t, b.wan, append(v6, "-sS", "-p", "22,80,443,7001", dst)...)
		if st["filtered"] != 4 {
			t.Errorf("nmap SYN scan of %s from wan: %v, want 4 filtered ports", dst, st)
		}
		st = nmapPorts(t, b.wan, append(v6, "-sU", "-p", fmt.Sprint(hostileUDPPort), dst)...)
		if st["open|filtered"] != 1 {
			t.Errorf("nmap UDP scan of %s from wan: %v, want open|filtered (no answer at all)", dst, st)
		}
		probes += 4 + 1
	}
	after := b.waitDrops(t, before, probes)
	time.Sleep(time.Second) // anything still crossing would arrive by now
	if crossed := fromWAN(capture.Stop(), wanHostMAC); len(crossed) > 0 {
		t.Errorf("%d frames from the wan host reached the lan host, the first: % x", len(crossed), crossed[0][:min(64, len(crossed[0]))])
	}
	if n := accepted.Load(); n > 0 {
		t.Errorf("the lan host's listeners got %d connections or datagrams from wan", n)
	}
	wantDrops(t, before, after, map[filter.Reason]uint64{filter.ReasonDefault: probes})
}

// handshake opens a TCP connection from the lan host to the wan host and
// reads both initial sequence numbers off the wire.
func handshake(t *testing.T, b *bridge) (tcpFlow, net.Conn, net.Conn) {
	t.Helper()
	ln, err := b.wan.Listen("tcp", netip.AddrPortFrom(wanHostV4, 7100).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wr, err := b.wan.Raw()
	if err != nil {
		t.Fatal(err)
	}
	lr, err := b.lan.Raw()
	if err != nil {
		t.Fatal(err)
	}
	wc, lc := wr.Capture(), lr.Capture()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	lan, err := b.lan.Dial(ctxFor(t, time.Minute), "tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	wan := <-accepted
	if wan == nil {
		t.Fatal("accept failed")
	}
	time.Sleep(500 * time.Millisecond)
	flow := tcpFlow{lanPort: uint16(lan.LocalAddr().(*net.TCPAddr).Port), wanPort: 7100}
	isn := func(frames [][]byte, sport uint16, flags header.TCPFlags) (uint32, bool) {
		for _, f := range frames {
			if len(f) < 14+20+20 || header.Ethernet(f).Type() != header.IPv4ProtocolNumber {
				continue
			}
			ip := header.IPv4(f[14:])
			if ip.Protocol() != uint8(header.TCPProtocolNumber) {
				continue
			}
			tcp := header.TCP(ip.Payload())
			if tcp.SourcePort() == sport && tcp.Flags() == flags {
				return tcp.SequenceNumber(), true
			}
		}
		return 0, false
	}
	lanISN, ok1 := isn(wc.Stop(), flow.lanPort, header.TCPFlagSyn)
	wanISN, ok2 := isn(lc.Stop(), flow.wanPort, header.TCPFlagSyn|header.TCPFlagAck)
	if !ok1 || !ok2 {
		t.Fatalf("handshake not seen on the wire (SYN %v, SYN-ACK %v)", ok1, ok2)
	}
	flow.lanNext, flow.wanNext = lanISN+1, wanISN+1
	return flow, lan, wan
}

// Hostile frames from wan (hostile.go: VLAN tag stacks, IPv6 extension
// chains, IPv4 options, tiny, overlapping and orphan fragments, first
// fragments without ports, TCP flag combinations with and without a
// state, ICMP and ICMPv6 that is not a reply): none reaches the lan host,
// each is a drop counted under its reason, and the flow lan opened still
// works afterwards.
func TestBridgeHostileFrames(t *testing.T) {
	b := bootBridge(t)
	flow, lan, wan := handshake(t, b)
	defer lan.Close()
	defer wan.Close()
	frames := hostileFrames(flow)
	want := map[filter.Reason]uint64{}
	for _, h := range frames {
		want[h.reason]++
	}
	lr, err := b.lan.Raw()
	if err != nil {
		t.Fatal(err)
	}
	capture := lr.Capture()
	wr, err := b.wan.Raw()
	if err != nil {
		t.Fatal(err)
	}
	defer wr.Close()
	before := b.counters(t)
	for _, h := range frames {
		if err := wr.Send(h.frame); err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
	}
	after := b.waitDrops(t, before, uint64(len(frames)))
	time.Sleep(time.Second)
	for _, f := range capture.Stop() {
		if bytes.Equal(f[6:12], attackerMAC) {
			t.Errorf("a hostile frame reached the lan host: % x", f[:min(64, len(f))])
		}
	}
	t.Logf("%d hostile frames sent, by reason %v", len(frames), want)
	wantDrops(t, before, after, want)
	// The state survived every bad segment: the flow still carries data.
	lan.SetDeadline(time.Now().Add(time.Minute))
	wan.SetDeadline(time.Now().Add(time.Minute))
	if _, err := lan.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 10)
	if _, err := io.ReadFull(wan, got); err != nil || string(got) != "still here" {
		t.Errorf("lan's flow after the hostile frames: %q, %v", got, err)
	}
}

// The appliance's own addresses answer as the rules say: from lan, ping
// and HTTP on the lan address, and any other port is reached and refused
// by its stack; from wan, ping and HTTP on the wan address and nothing
// else (nmap: port 80 open, the rest filtered, each probe a counted drop).
// The lan address lives on the lan port only.
func TestBridgeManagement(t *testing.T) {
	b := bootBridge(t)
	ping(t, b.lan, applianceV4, 5)
	ping(t, b.lan, applianceV6, 5)
	for _, a := range []netip.Addr{applianceV4, applianceV6} {
		if body, err := httpGet(b.lan, netip.AddrPortFrom(a, 80), "/", b.token); err != nil || !bytes.HasPrefix(body, []byte("fosbury ")) {
			t.Errorf("HTTP to %v from lan: %q, %v", a, body, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c, err := b.lan.Dial(ctx, "tcp", netip.AddrPortFrom(applianceV4, 22).String())
	cancel()
	if err == nil {
		c.Close()
		t.Error("port 22 of the appliance accepted a connection")
	} else if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("port 22 from lan: %v, want a refusal by the appliance's stack", err)
	}
	st := nmapPorts(t, b.lan, "-sS", "-p", "1-200", applianceV4.String())
	if st["open"] != 1 || st["closed"] != 199 {
		t.Errorf("nmap of the lan address from lan: %v, want 1 open, 199 closed", st)
	}

	before := b.counters(t)
	ping(t, b.wan, applianceWanV4, 5)
	if body, err := httpGet(b.wan, netip.AddrPortFrom(applianceWanV4, 80), "/", b.token); err != nil || !bytes.HasPrefix(body, []byte("fosbury ")) {
		t.Errorf("HTTP to %v from wan: %q, %v", applianceWanV4, body, err)
	}
	dialTimesOut(t, b.wan, netip.AddrPortFrom(applianceWanV4, 22))
	st = nmapPorts(t, b.wan, "-sS", "-p", "1-200", applianceWanV4.String())
	if st["open"] != 1 || st["filtered"] != 199 {
		t.Errorf("nmap of the wan address from wan: %v, want 1 open, 199 filtered", st)
	}
	after := b.waitDrops(t, before, 1+199)
	wantDrops(t, before, after, map[filter.Reason]uint64{filter.ReasonDefault: 1 + 199})
	noPing(t, b.wan, applianceV4, 3)
}

// flapRcvBuf bounds the lan socket's receive buffer in TestBridgeLinkFlap
// (0: Linux's default, a window of megabytes). Before the ACK-lag fix
// (TestTCPAckLagWithinReceiverWindow) a download with the default window
// never resumed after a flap; the default now runs it that way.
var flapRcvBuf = flag.Int("flaprcvbuf", 0, "lan socket receive buffer in the link flap test (0: the system default)")

// The link of either port goes down and up (QEMU's set_link) in the middle
// of a transfer across the bridge: the link comes back on its own and the
// transfer completes, checked byte for byte.
func TestBridgeLinkFlap(t *testing.T) {
	b := bootBridge(t)
	before := b.counters(t)
	const n = 24 << 20
	var progress atomic.Int64
	done := make(chan struct{}) // the transfer failed: stop waiting for progress
	defer close(done)
	flapped := make(chan error, 1)
	go func() {
		for _, f := range []struct {
			port string
			at   int64
		}{{"lan", n / 4}, {"wan", n * 6 / 10}} {
			for progress.Load() < f.at {
				select {
				case <-done:
					flapped <- errors.New("the transfer ended before the flap")
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
			if err := b.monitorCmd("set_link " + f.port + " off"); err != nil {
				flapped <- err
				return
			}
			if at := progress.Load(); at == n {
				flapped <- fmt.Errorf("%s went down only after the transfer", f.port)
				return
			}
			time.Sleep(3 * time.Second) // the driver polls its PHY every second
			if err := b.monitorCmd("set_link " + f.port + " on"); err != nil {
				flapped <- err
				return
			}
			t.Logf("%s link down for 3 s, back up at %d of %d bytes", f.port, progress.Load(), n)
		}
		flapped <- nil
	}()
	transfer(t, b, wanHostV4, 1<<20, n, *flapRcvBuf, &progress)
	if err := <-flapped; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		c := b.counters(t)
		ok := true
		for i := range c.links {
			ok = ok && c.links[i] && c.linkChanges[i] >= before.linkChanges[i]+2
		}
		if ok {
			t.Logf("link changes lan %d -> %d, wan %d -> %d", before.linkChanges[0], c.linkChanges[0], before.linkChanges[1], c.linkChanges[1])
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("links %v, link changes %v (before %v)", c.links, c.linkChanges, before.linkChanges)
		}
		time.Sleep(time.Second)
	}
	ping(t, b.lan, wanHostV4, 5)
}
