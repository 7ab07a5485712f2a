//go:build hwtest

// Wire tests of the appliance firmware in QEMU: its lan port (ENET1) is a
// UDP socket cable to a host-side gVisor peer, its QEMU monitor a unix
// socket. One boot serves every test, in file order.
package hwtests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/hw-tests/peer"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/rxring"
)

var (
	applianceMAC = net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	applianceV4  = netip.MustParseAddr("10.0.2.15")
	applianceV6  = netip.MustParseAddr("fd00::15")
	peerMAC      = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
	peerV4       = netip.MustParseAddr("10.0.2.2")
)

type appliance struct {
	run     *Run
	peer    *peer.Peer
	monitor string
	token   string // the API token: from the console, or set by the test
	err     error
}

var (
	app     appliance
	appOnce sync.Once
)

func freeUDPPorts(n int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		defer c.Close()
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
	}
	return ports, nil
}

// Boots that serve a group of tests after this file's (the bridge's):
// one at a time, since a booted firmware keeps part of a host core busy
// even when idle. Starting one stops the previous; TestMain stops the
// last. This file's boot stays up for the whole run (the watchdog test
// checks it last).
var stopShared func()

func exclusiveBoot(stop func()) {
	if stopShared != nil {
		stopShared()
	}
	stopShared = stop
}

// TestMain stops the shared appliance boots after the last test.
func TestMain(m *testing.M) {
	code := m.Run()
	if stopShared != nil {
		stopShared()
	}
	app.stop()
	os.Exit(code)
}

// bootAppliance boots the firmware once, wired to a peer, for every test
// that does not need a boot of its own.
func bootAppliance(t *testing.T) *appliance {
	t.Helper()
	appOnce.Do(func() {
		// Not t.TempDir: the boot outlives the test that starts it.
		dir, err := os.MkdirTemp("", "fosbury-hwtest")
		if err != nil {
			app.err = err
			return
		}
		app = startAppliance(t, dir, 20*time.Minute)
	})
	if app.err != nil {
		t.Fatal(app.err)
	}
	return &app
}

// tokenLine is the console's line with a newly made API token.
var tokenLine = regexp.MustCompile(`auth: API token ([A-Za-z0-9_-]{43}) `)

// consoleToken is the API token the console printed ("": none).
func consoleToken(r *Run) string {
	if m := tokenLine.FindStringSubmatch(r.Output()); m != nil {
		return m[1]
	}
	return ""
}

// startAppliance boots the firmware with extra QEMU arguments (a card),
// its lan port wired to a new peer and its monitor a socket in dir; the
// result's err says what failed. The API token is the one the console
// printed, if it printed one.
func startAppliance(t *testing.T, dir string, timeout time.Duration, extra ...string) (a appliance) {
	ports, err := freeUDPPorts(2)
	if err != nil {
		a.err = err
		return a
	}
	a.monitor = filepath.Join(dir, "monitor.sock")
	os.Remove(a.monitor)
	a.run, err = Boot(need(t, firmware, "firmware"), timeout, append([]string{
		"-netdev", fmt.Sprintf("socket,id=lan,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", ports[0], ports[1]),
		"-net", "nic,netdev=lan",
		"-monitor", "unix:" + a.monitor + ",server=on,wait=off"}, extra...)...)
	if err != nil {
		a.err = err
		return a
	}
	if _, wall, err := a.run.WaitLine("fosbury: ready"); err != nil {
		a.err = fmt.Errorf("%v\nconsole:\n%s", err, a.run.Output())
		return a
	} else {
		t.Logf("appliance ready after %v wall time", wall)
	}
	a.token = consoleToken(a.run)
	a.peer, a.err = peer.New(peer.Options{
		Listen: fmt.Sprintf("127.0.0.1:%d", ports[0]), Remote: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		MAC:     peerMAC,
		Addrs:   []netip.Prefix{netip.MustParsePrefix("10.0.2.2/24"), netip.MustParsePrefix("fd00::2/64")},
		Capture: 8192,
	})
	return a
}

// stop ends the boot (QEMU is killed: to the firmware, a power cut); a
// second stop does nothing.
func (a *appliance) stop() {
	if a.peer != nil {
		a.peer.Close()
		a.peer = nil
	}
	if a.run != nil {
		a.run.Stop()
		a.run = nil
	}
}

// drainCapture empties the raw capture queue.
func (a *appliance) drainCapture() {
	for {
		select {
		case <-a.peer.Captured():
		default:
			return
		}
	}
}

// status fetches /status over the wire.
func (a *appliance) status(t *testing.T) mgmt.Status {
	t.Helper()
	body := a.get(t, "/status")
	var st mgmt.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("/status: %v: %s", err, body)
	}
	return st
}

func (a *appliance) get(t *testing.T, path string) []byte {
	t.Helper()
	code, body, err := a.request(applianceV4, "GET", path, "Bearer "+a.token, nil)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d, %v: %s", path, code, err, body)
	}
	return body
}

// request sends one HTTP request to the API at dst (from the peer's
// address of that family) with the Authorization value authz ("": none).
func (a *appliance) request(dst netip.Addr, method, path, authz string, body []byte) (int, []byte, error) {
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return a.peer.DialTCP(ctx, netip.AddrPortFrom(dst, 80))
		}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(method, "http://appliance"+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (a *appliance) ping(t *testing.T, dst netip.Addr, count int, size func(i int) int) {
	t.Helper()
	pg, err := a.peer.NewPinger(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for i := 0; i < count; i++ {
		payload := make([]byte, size(i))
		for j := range payload {
			payload[j] = byte(i + j)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got, err := pg.Ping(ctx, uint16(i+1), payload)
		cancel()
		if err != nil {
			t.Fatalf("ping %v #%d (%d bytes): %v", dst, i, len(payload), err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("ping %v #%d: reply payload differs", dst, i)
		}
	}
}

// waitPing pings once a second until an answer comes back.
func (a *appliance) waitPing(t *testing.T, dst netip.Addr, within time.Duration) {
	t.Helper()
	pg, err := a.peer.NewPinger(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	deadline := time.Now().Add(within)
	for seq := uint16(1); ; seq++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := pg.Ping(ctx, seq, []byte("are you there"))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no echo reply from %v within %v: %v", dst, within, err)
		}
	}
}

// counter reads one counter of the lan port (or the poll loop) from a
// /status snapshot, by the name the tests use for it.
func (a *appliance) counter(t *testing.T, st mgmt.Status, name string) uint64 {
	t.Helper()
	if len(st.Ports) == 0 {
		t.Fatal("/status lists no ports")
	}
	d := st.Ports[0].Driver
	switch name {
	case "rx_frames":
		return d.RX.Frames
	case "rx_polled": // every descriptor consumed, good or not
		n := d.RX.Frames + d.RX.RefillFail + d.RX.Continued
		for _, e := range d.RX.Errors {
			n += e
		}
		return n
	case "budget_exhausted":
		return d.BudgetExhausted
	case "link_changes":
		return d.LinkChanges
	case "rx_busy_ns":
		return st.Loop.BusyNS
	}
	t.Fatalf("no counter %q", name)
	return 0
}

// dropCounters are every counter of the lan port and the datapath that
// counts a dropped frame, by name.
func dropCounters(st mgmt.Status) map[string]uint64 {
	rx := st.Ports[0].Driver.RX
	m := map[string]uint64{"rx_refill_failed": rx.RefillFail, "datapath_dropped": st.Datapath.Dropped}
	for c := rxring.OK + 1; c < rxring.NumClasses; c++ {
		m["rx_"+c.String()] = rx.Errors[c]
	}
	for r := filter.ReasonNone + 1; r < filter.NumReasons; r++ {
		m["filter_"+r.String()] = st.Filter.Reasons[r]
	}
	return m
}

// monitorCmd runs one QEMU monitor command.
func (a *appliance) monitorCmd(t *testing.T, cmd string) {
	t.Helper()
	c, err := net.Dial("unix", a.monitor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	r.ReadString(')') // banner up to the first "(qemu)" prompt
	fmt.Fprintf(c, "%s\n", cmd)
	r.ReadString(')')
}

func TestARP(t *testing.T) {
	a := bootAppliance(t)
	a.drainCapture()
	req := make([]byte, 60) // minimum size, zero padded
	copy(req[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(req[6:12], peerMAC)
	binary.BigEndian.PutUint16(req[12:], 0x0806)
	arp := req[14:]
	binary.BigEndian.PutUint16(arp[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(arp[2:], 0x0800) // IPv4
	arp[4], arp[5] = 6, 4
	binary.BigEndian.PutUint16(arp[6:], 1) // request
	copy(arp[8:14], peerMAC)
	copy(arp[14:18], peerV4.AsSlice())
	copy(arp[24:28], applianceV4.AsSlice())
	if err := a.peer.SendFrame(req); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-a.peer.Captured():
			if len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && binary.BigEndian.Uint16(f[20:]) == 2 &&
				bytes.Equal(f[28:32], applianceV4.AsSlice()) {
				if !bytes.Equal(f[22:28], applianceMAC) || !bytes.Equal(f[0:6], peerMAC) {
					t.Fatalf("ARP reply says %v is at %x, sent to %x", applianceV4, f[22:28], f[0:6])
				}
				return
			}
		case <-deadline:
			t.Fatal("no ARP reply")
		}
	}
}

func TestPing1000(t *testing.T) {
	a := bootAppliance(t)
	for _, dst := range []netip.Addr{applianceV4, applianceV6} {
		a.ping(t, dst, 1000, func(i int) int { return 1 + i%200 })
	}
}

func TestHTTPStatus(t *testing.T) {
	a := bootAppliance(t)
	a.ping(t, applianceV4, 5, func(int) int { return 56 }) // traffic through every layer
	st := a.status(t)
	if st.Version == "" || len(st.Ports) == 0 || st.Ports[0].Name != "lan" || !st.Ports[0].Link.Up {
		t.Fatalf("status %+v", st)
	}
	// Every layer is present and has counted the traffic.
	p := st.Ports[0]
	var rulePackets uint64
	for _, r := range st.Filter.Rules {
		rulePackets += r.Packets
	}
	for name, v := range map[string]uint64{
		"poll loop drains": st.Loop.Drains, "poll loop passes": st.Loop.Passes,
		"MAC interrupts": p.Driver.Interrupts, "MAC polls": p.Driver.Polls,
		"RX ring frames": p.Driver.RX.Frames, "RX ring doorbells": p.Driver.RX.Doorbells, "RX ring reuse": p.Driver.RX.Reuses + p.Driver.RX.Flips,
		"TX ring frames": p.Driver.TX.BuiltFrames, "TX ring completions": p.Driver.TX.Completed, "TX ring doorbells": p.Driver.TX.Doorbells,
		"stack rx": p.Stack.RxFrames, "stack tx": p.Stack.TxFrames,
		"pool pages": uint64(st.Pool.Pages), "pool in flight": uint64(st.Pool.InFlight),
		"datapath local": st.Datapath.Local,
		"filter passed":  st.Filter.Verdicts[filter.Pass], "filter rules": uint64(len(st.Filter.Rules)), "filter rule hits": rulePackets,
	} {
		if v == 0 {
			t.Errorf("/status: %s is zero after traffic", name)
		}
	}
}

// The CPU halts between frames (board/idle's governor): across two
// /status reads its idle time grows, by no more than its uptime does.
func TestCPUIdle(t *testing.T) {
	a := bootAppliance(t)
	idle0, up0 := cpuTimes(a.status(t))
	time.Sleep(time.Second)
	idle1, up1 := cpuTimes(a.status(t))
	if up1 <= up0 || idle1 <= idle0 || idle1 > up1 || idle1-idle0 > up1-up0 {
		t.Fatalf("cpu idle %v of uptime %v, then %v of %v", idle0, up0, idle1, up1)
	}
	t.Logf("cpu idle %v of %v between two /status reads", idle1-idle0, up1-up0)
}

// cpuTimes is the CPU's idle time and uptime in a /status.
func cpuTimes(st mgmt.Status) (idle, uptime time.Duration) {
	return time.Duration(st.CPU.IdleNS), time.Duration(st.CPU.UptimeNS)
}

// Every Ethernet frame size from 60 to 1514 bytes (1518 with the FCS the
// MAC adds), as ICMP echo requests whose replies are checked.
func TestEveryFrameSize(t *testing.T) {
	a := bootAppliance(t)
	const hdr = 14 + 20 + 8
	a.ping(t, applianceV4, 1514-60+1, func(i int) int { return 60 + i - hdr })
}

func TestTCP10MB(t *testing.T) {
	a := bootAppliance(t)
	const n = 10 << 20
	start := time.Now()
	body := a.get(t, fmt.Sprintf("/pattern?bytes=%d", n))
	wall := time.Since(start)
	if len(body) != n {
		t.Fatalf("%d bytes, want %d", len(body), n)
	}
	for i, c := range body {
		if c != mgmt.Pattern(i) {
			t.Fatalf("byte %d differs", i)
		}
	}
	t.Logf("10 MiB over TCP in %v wall (%.1f Mbit/s through QEMU)", wall, float64(n*8)/wall.Seconds()/1e6)
}

// Runts, giants and truncated headers are dropped and counted; the
// appliance keeps answering.
func TestMalformedFrames(t *testing.T) {
	a := bootAppliance(t)
	before := a.status(t)
	dst := applianceMAC
	frame := func(n int, ethType uint16, fill byte) []byte {
		f := bytes.Repeat([]byte{fill}, n)
		copy(f, dst)
		if n > 6 {
			copy(f[6:], peerMAC)
		}
		if n >= 14 {
			binary.BigEndian.PutUint16(f[12:], ethType)
		}
		return f
	}
	var bad [][]byte
	for _, n := range []int{1, 6, 13, 14, 20, 33, 59} {
		bad = append(bad, frame(n, 0x0800, 0x45)) // runts
	}
	for _, n := range []int{1600, 2000, 4000, 9000} {
		bad = append(bad, frame(n, 0x0800, 0x45)) // giants
	}
	trunc := frame(60, 0x0800, 0)
	trunc[14] = 0x4f                             // IHL 15: 60-byte header in a 46-byte packet
	binary.BigEndian.PutUint16(trunc[16:], 1400) // total length past the frame
	bad = append(bad, trunc, frame(60, 0x86dd, 0x60), frame(60, 0x8100, 0x81))
	for i := 0; i < 10; i++ {
		for _, f := range bad {
			if err := a.peer.SendFrame(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 140 frames up to 9000 bytes in a tight loop can overflow QEMU's
	// socket buffer on the host: the first request after them may be lost
	// there. Wait for an answer, then every ping must be answered.
	a.waitPing(t, applianceV4, 30*time.Second)
	a.ping(t, applianceV4, 20, func(int) int { return 56 })
	after := a.status(t)
	var moved []string
	was := dropCounters(before)
	for k, v := range dropCounters(after) {
		if v > was[k] {
			moved = append(moved, fmt.Sprintf("%s +%d", k, v-was[k]))
		}
	}
	sort.Strings(moved)
	if len(moved) == 0 {
		t.Fatalf("no drop counter moved for %d malformed frames", 10*len(bad))
	}
	t.Logf("drops counted: %v", moved)
}

// A burst larger than the RX ring: the appliance keeps working and
// recovers; what it could not take is counted (by the ring or the filter).
func TestBurstOverrun(t *testing.T) {
	a := bootAppliance(t)
	before := a.status(t)
	f := make([]byte, 1514)
	copy(f[0:6], applianceMAC)
	copy(f[6:12], peerMAC)
	binary.BigEndian.PutUint16(f[12:], 0x88b5) // local experimental EtherType: the stack ignores it
	const burst = 4000
	for i := 0; i < burst; i++ {
		binary.BigEndian.PutUint32(f[14:], uint32(i))
		a.peer.SendFrame(f)
	}
	// The host drops what QEMU's socket buffer cannot hold, so the first
	// requests may be lost on the host side: wait for the first answer,
	// then every ping must be answered.
	a.waitPing(t, applianceV4, 30*time.Second)
	a.ping(t, applianceV4, 50, func(int) int { return 1000 })
	after := a.status(t)
	polled := a.counter(t, after, "rx_polled") - a.counter(t, before, "rx_polled")
	dropped := after.Datapath.Dropped - before.Datapath.Dropped
	t.Logf("burst of %d: %d polled (the host dropped the rest), %d dropped by the rules, exhausted budget %d times", burst, polled, dropped,
		a.counter(t, after, "budget_exhausted")-a.counter(t, before, "budget_exhausted"))
	// More frames than the 256-descriptor ring holds arrived back to back,
	// and the poll loop took them in budgeted passes.
	if polled < 256 || a.counter(t, after, "budget_exhausted") == a.counter(t, before, "budget_exhausted") {
		t.Fatalf("the burst did not overrun the ring: %d polled, budget never exhausted", polled)
	}
}

func TestLinkDownUp(t *testing.T) {
	a := bootAppliance(t)
	before := a.status(t)
	a.monitorCmd(t, "set_link lan off")
	time.Sleep(3 * time.Second) // the driver polls the PHY every second
	a.monitorCmd(t, "set_link lan on")
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := a.status(t)
		if st.Ports[0].Link.Up && a.counter(t, st, "link_changes") >= a.counter(t, before, "link_changes")+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("link changes %d -> %d, link %v", a.counter(t, before, "link_changes"), a.counter(t, st, "link_changes"), st.Ports[0].Link.Up)
		}
		time.Sleep(time.Second)
	}
	a.ping(t, applianceV4, 10, func(int) int { return 56 })
}
