//go:build hwtest

// Observing the appliance from the wire: /metrics after traffic, the
// event log at a syslog collector under a flood of logged frames, and
// packet capture of a known exchange read back with tcpdump; the
// dropped-frame rate with and without a capture running, side by side.
package hwtests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/internal/promtest"
	"github.com/fosbury-net/fosbury/internal/rfc5424"
)

// metrics scrapes /metrics, parsed by the Prometheus project's parser and
// flattened: "name{k=v,...}" -> value, labels sorted by name.
func (a *appliance) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	fams, err := promtest.Parse(a.get(t, "/metrics"))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return promtest.Samples(fams)
}

// ruleIndex finds the rule whose text contains s, by /status.
func (a *appliance) ruleIndex(t *testing.T, s string) int {
	t.Helper()
	for i, r := range a.status(t).Filter.Rules {
		if strings.Contains(r.Text, s) {
			return i
		}
	}
	t.Fatalf("no rule says %q", s)
	return -1
}

func TestMetricsAfterTraffic(t *testing.T) {
	a := bootAppliance(t)
	echo := a.ruleIndex(t, "inet proto icmp icmp-type echo-request to self")
	ruleKey := ""
	before := a.metrics(t)
	for k := range before {
		if strings.HasPrefix(k, "fosbury_filter_rule_packets_total{") && strings.HasSuffix(k, ",rule="+strconv.Itoa(echo)+"}") {
			ruleKey = k
		}
	}
	if ruleKey == "" {
		t.Fatalf("no fosbury_filter_rule_packets_total for rule %d", echo)
	}
	const pings = 20
	a.ping(t, applianceV4, pings, func(int) int { return 100 })
	after := a.metrics(t)
	moved := func(key string) float64 { return after[key] - before[key] }
	// Exactly the pings for their rule; at least the pings (and the
	// scrape's own TCP) elsewhere.
	if d := moved(ruleKey); d != pings {
		t.Errorf("%s moved by %v for %d pings", ruleKey, d, pings)
	}
	for key, least := range map[string]float64{
		`fosbury_rx_frames_total{port=lan}`:                 pings,
		`fosbury_rx_bytes_total{port=lan}`:                  pings * (14 + 20 + 8 + 100),
		`fosbury_rx_verdicts_total{port=lan,verdict=local}`: pings,
		`fosbury_netstack_rx_frames_total{port=lan}`:        pings,
		`fosbury_netstack_tx_frames_total{port=lan}`:        pings,
		`fosbury_tx_built_frames_total{port=lan}`:           pings,
		`fosbury_tx_completed_total{port=lan}`:              pings,
		`fosbury_datapath_local_total{}`:                    pings,
		`fosbury_filter_verdicts_total{verdict=pass}`:       pings,
		`fosbury_poll_drains_total{}`:                       1,
		`fosbury_mac_interrupts_total{port=lan}`:            1,
		`fosbury_uptime_seconds{}`:                          0.001,
	} {
		if _, ok := after[key]; !ok {
			t.Errorf("no sample %s", key)
		} else if d := moved(key); d < least {
			t.Errorf("%s moved by %v, want at least %v", key, d, least)
		}
	}
	if after[`fosbury_link_up{port=lan}`] != 1 || after[`fosbury_link_speed_bytes{port=lan}`] != 100e6/8 {
		t.Errorf("lan link: up %v, speed %v", after[`fosbury_link_up{port=lan}`], after[`fosbury_link_speed_bytes{port=lan}`])
	}
	// The same counters as /status, read after it: never behind.
	st := a.status(t)
	final := a.metrics(t)
	if v := final[`fosbury_rx_frames_total{port=lan}`]; v < float64(st.Ports[0].Driver.RX.Frames) {
		t.Errorf("/metrics rx frames %v behind /status %d", v, st.Ports[0].Driver.RX.Frames)
	}
	t.Logf("%d samples; rx frames %v, pool pages %v in flight of %v", len(after), after[`fosbury_rx_frames_total{port=lan}`],
		after[`fosbury_pool_pages_in_flight{}`], after[`fosbury_pool_pages{}`])
}

// ipv4Frame is an Ethernet+IPv4 frame from the peer to the appliance with
// correct header checksum; l4 is the transport header and payload, its
// checksum already in place.
func ipv4Frame(proto byte, l4 []byte) []byte {
	f := make([]byte, 14+20+len(l4))
	copy(f[0:6], applianceMAC)
	copy(f[6:12], peerMAC)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	copy(ip[12:16], peerV4.AsSlice())
	copy(ip[16:20], applianceV4.AsSlice())
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip, 0))
	copy(f[34:], l4)
	return f
}

// inetChecksum is the Internet checksum (RFC 1071) of b, plus sum.
func inetChecksum(b []byte, sum uint32) uint16 {
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// echoRequest is an ICMP echo request with id, seq and n payload bytes.
func echoRequest(id, seq uint16, n int) []byte {
	m := make([]byte, 8+n)
	m[0] = 8
	binary.BigEndian.PutUint16(m[4:], id)
	binary.BigEndian.PutUint16(m[6:], seq)
	for i := range n {
		m[8+i] = byte(int(seq) + i)
	}
	binary.BigEndian.PutUint16(m[2:], inetChecksum(m, 0))
	return ipv4Frame(1, m)
}

// tcpSYN is a TCP SYN from the peer's sport to the appliance's dport.
func tcpSYN(sport, dport uint16) []byte {
	seg := make([]byte, 20)
	binary.BigEndian.PutUint16(seg[0:], sport)
	binary.BigEndian.PutUint16(seg[2:], dport)
	binary.BigEndian.PutUint32(seg[4:], uint32(sport)*7919)
	seg[12], seg[13] = 5<<4, 0x02
	binary.BigEndian.PutUint16(seg[14:], 8192)
	var pseudo [12]byte
	copy(pseudo[0:4], peerV4.AsSlice())
	copy(pseudo[4:8], applianceV4.AsSlice())
	pseudo[9] = 6
	binary.BigEndian.PutUint16(pseudo[10:], 20)
	var sum uint32
	for i := 0; i < 12; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
	}
	binary.BigEndian.PutUint16(seg[16:], inetChecksum(seg, sum))
	return ipv4Frame(6, seg)
}

// logRule is what TestSyslogUnderFlood puts in front of the rules in
// force, through the API, for the length of the test.
const logRule = `reject log proto tcp to self port 23 label "closed port on the appliance"` + "\n"

// withRule installs rule in front of the rules in force, on trial
// (reverted at cleanup, or by itself after ten minutes).
func (a *appliance) withRule(t *testing.T, rule string) {
	t.Helper()
	code, body, err := a.request(applianceV4, "GET", "/rules", "Bearer "+a.token, nil)
	var cur struct{ Text string }
	if err != nil || code != 200 || json.Unmarshal(body, &cur) != nil {
		t.Fatalf("GET /rules: %d %v %s", code, err, body)
	}
	code, body, err = a.request(applianceV4, "PUT", "/rules?confirm=600s", "Bearer "+a.token, []byte(rule+cur.Text))
	if err != nil || code != 200 {
		t.Fatalf("PUT /rules: %d %v %s", code, err, body)
	}
	t.Cleanup(func() {
		if code, body, err := a.request(applianceV4, "POST", "/rules/revert", "Bearer "+a.token, nil); err != nil || code != 200 {
			t.Errorf("POST /rules/revert: %d %v %s", code, err, body)
		}
	})
}

// The log at a collector: a rule that rejects and logs connection
// attempts to a closed port of the appliance, installed through the API
// (the collector sees that as a line too), then a flood of them. Every
// datagram is an RFC 5424 message; the rule's lines carry the 5-tuple in
// structured data; the rate limit holds by the appliance's own clock, and
// what it refused is counted and reported in a line of its own.
func TestSyslogUnderFlood(t *testing.T) {
	a := bootAppliance(t)
	conn, err := a.peer.ListenUDP(netip.AddrPortFrom(peerV4, 514))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var (
		mu  sync.Mutex
		got [][]byte
	)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, append([]byte(nil), buf[:n]...))
			mu.Unlock()
		}
	}()
	a.withRule(t, logRule)
	before := a.status(t)
	const flood = 3000
	for i := 0; i < flood; i++ {
		a.peer.SendFrame(tcpSYN(uint16(20000+i), 23))
	}
	// Wait until the log reports the lines it dropped, then for quiet.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		time.Sleep(time.Second)
		mu.Lock()
		reported := false
		for _, b := range got {
			reported = reported || bytes.Contains(b, []byte(" log [meta"))
		}
		mu.Unlock()
		if reported || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(2 * time.Second)
	after := a.status(t)
	mu.Lock()
	msgs := append([][]byte(nil), got...)
	mu.Unlock()

	var rule []*rfc5424.Message
	var dropReport, installed *rfc5424.Message
	lastSeq := 0
	for _, b := range msgs {
		m, err := rfc5424.Parse(b)
		if err != nil {
			t.Fatalf("not RFC 5424: %v: %q", err, b)
		}
		if m.AppName != "fosbury" || m.Hostname != applianceV4.String() || m.Facility != 16 || !m.Timestamp.IsZero() {
			t.Fatalf("header of %q", b)
		}
		seq, _ := strconv.Atoi(m.SD["meta"]["sequenceId"])
		if seq <= lastSeq || m.SD["meta"]["sysUpTime"] == "" {
			t.Fatalf("sequenceId %d after %d, or no sysUpTime: %q", seq, lastSeq, b)
		}
		lastSeq = seq
		switch m.MsgID {
		case "rule":
			r, f := m.SD["rule@32473"], m.SD["flow@32473"]
			sport, _ := strconv.Atoi(f["sport"])
			if r["action"] != "reject" || r["label"] != "closed port on the appliance" || r["port"] != "lan" ||
				f["proto"] != "tcp" || f["src"] != peerV4.String() || f["dst"] != applianceV4.String() || f["dport"] != "23" ||
				sport < 20000 || sport >= 20000+flood || f["len"] != "54" {
				t.Fatalf("rule line %q", b)
			}
			rule = append(rule, m)
		case "log":
			if strings.Contains(m.Msg, "lines dropped") {
				dropReport = m
			}
		case "config":
			if strings.Contains(m.Msg, "rules") {
				installed = m
			}
		}
	}
	if len(rule) < 10 || dropReport == nil || installed == nil {
		for _, b := range msgs {
			if !bytes.Contains(b, []byte(" rule [meta")) {
				t.Logf("%s", b)
			}
		}
		t.Logf("/log:\n%s", a.get(t, "/log?lines=200"))
		t.Logf("log counters: %+v", after.Log)
		t.Fatalf("%d rule lines, drop report %v, rule change %v, of %d datagrams", len(rule), dropReport != nil, installed != nil, len(msgs))
	}
	// The limit (50 lines/s, burst 100) by the appliance's clock.
	up := func(m *rfc5424.Message) float64 {
		v, _ := strconv.Atoi(m.SD["meta"]["sysUpTime"])
		return float64(v) / 100
	}
	span := up(rule[len(rule)-1]) - up(rule[0])
	if limit := 100 + 50*span + 2; float64(len(rule)) > limit {
		t.Fatalf("%d rule lines in %.2f s of appliance time: more than the limit allows (%.0f)", len(rule), span, limit)
	}
	limited := a.counter(t, after, "log_rate_limited") - a.counter(t, before, "log_rate_limited")
	received := a.counter(t, after, "filter_rejected") - a.counter(t, before, "filter_rejected")
	if limited == 0 || uint64(len(rule))+limited > received {
		t.Fatalf("%d lines + %d rate-limited for %d rejected frames", len(rule), limited, received)
	}
	t.Logf("flood of %d SYNs: %d rejected by the appliance, %d logged over %.2f s, %d rate-limited; %d datagrams in all",
		flood, received, len(rule), span, limited, len(msgs))
}

// captureStream starts GET /capture with the query and returns its body,
// streamed: its connection closes with ctx.
func (a *appliance) captureStream(t *testing.T, ctx context.Context, query url.Values) (io.ReadCloser, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return a.peer.DialTCP(ctx, netip.AddrPortFrom(applianceV4, 80))
		}}}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://appliance/capture?"+query.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	return resp.Body, nil
}

// waitCapture waits until /status says a capture runs (or not).
func (a *appliance) waitCapture(t *testing.T, active bool) {
	t.Helper()
	want := uint64(0)
	if active {
		want = 1
	}
	for deadline := time.Now().Add(time.Minute); a.counter(t, a.status(t), "capture_active") != want; {
		if time.Now().After(deadline) {
			t.Fatalf("capture active is not %v", active)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tcpdumpFrames reads a capture file with tcpdump and returns each
// frame's bytes as tcpdump printed them (-xx: link header included).
func tcpdumpFrames(t *testing.T, file string) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Fatal("tcpdump is not installed (make deps installs it)")
	}
	out, err := exec.Command("tcpdump", "-r", file, "-nn", "-xx").CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, out)
	}
	var frames [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t0x") {
			if strings.Contains(line, " IP ") || strings.Contains(line, "ARP") || strings.Contains(line, "ethertype") {
				frames = append(frames, nil)
			}
			continue
		}
		if len(frames) == 0 {
			t.Fatalf("hex before a packet line: %q", line)
		}
		fields := strings.Fields(line)[1:] // after the offset
		b, err := hex.DecodeString(strings.Join(fields, ""))
		if err != nil {
			t.Fatalf("tcpdump hex %q: %v", line, err)
		}
		frames[len(frames)-1] = append(frames[len(frames)-1], b...)
	}
	return frames
}

// A capture of a known exchange: ten echo requests of distinct sizes,
// selected by a match expression, opened with tcpdump, byte for byte.
func TestCapturePingsOpenInTcpdump(t *testing.T) {
	a := bootAppliance(t)
	// Bad input first: the parser's position, and no capture started.
	if _, err := a.captureStream(t, context.Background(), url.Values{"match": {"inet proto icmp icmp-typ 8"}}); err == nil ||
		!strings.Contains(err.Error(), "400 match:1:17: unknown word \"icmp-typ\"") {
		t.Fatalf("bad match: %v", err)
	}
	dir := t.TempDir()
	for _, format := range []string{"pcap", "pcapng"} {
		const n = 10
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		body, err := a.captureStream(t, ctx, url.Values{"port": {"lan"}, "count": {strconv.Itoa(n)}, "format": {format},
			"match": {"inet proto icmp icmp-type echo-request from " + peerV4.String()}})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		a.waitCapture(t, true)
		var sent [][]byte
		for i := range n {
			f := echoRequest(0x4837, uint16(i+1), 16+i*97)
			sent = append(sent, f)
			a.peer.SendFrame(f)
			time.Sleep(20 * time.Millisecond)
		}
		data, err := io.ReadAll(body)
		body.Close()
		cancel()
		if err != nil {
			t.Fatalf("%s: reading the capture: %v (%d bytes)", format, err, len(data))
		}
		file := filepath.Join(dir, "ping."+format)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		frames := tcpdumpFrames(t, file)
		if len(frames) != n {
			t.Fatalf("%s: tcpdump read %d frames, want %d", format, len(frames), n)
		}
		for i := range frames {
			if !bytes.Equal(frames[i], sent[i]) {
				t.Fatalf("%s: frame %d differs:\n got %x\nwant %x", format, i, frames[i], sent[i])
			}
		}
		a.waitCapture(t, false)
		t.Logf("%s: %d bytes, %d frames as sent", format, len(data), len(frames))
	}
	if st := a.status(t); a.counter(t, st, "capture_refs_held") != 0 || a.counter(t, st, "capture_sessions") < 2 {
		t.Fatalf("capture %+v", st.Capture)
	}
}

// dropRate sends bursts of frames the rules drop (LLDP), each small
// enough for the RX ring, and times each from its first frame until
// /status counts all of it (the /status request included), as
// bench_test does. It returns the frames and the time, and the poll
// loop's busy time.
func (a *appliance) dropRate(t *testing.T, bursts, burst int) (frames uint64, took time.Duration, busy uint64) {
	t.Helper()
	lldp := make([]byte, 60)
	copy(lldp, []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e})
	copy(lldp[6:], peerMAC)
	lldp[12], lldp[13] = 0x88, 0xcc
	for i := 0; i < bursts; i++ {
		st := a.status(t)
		base, busy0 := a.counter(t, st, "rx_frames"), a.counter(t, st, "rx_busy_ns")
		start := time.Now()
		for j := 0; j < burst; j++ {
			a.peer.SendFrame(lldp)
		}
		for {
			st = a.status(t)
			if a.counter(t, st, "rx_frames") >= base+uint64(burst) {
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("a burst of %d frames was not received", burst)
			}
		}
		took += time.Since(start)
		frames += a.counter(t, st, "rx_frames") - base
		busy += a.counter(t, st, "rx_busy_ns") - busy0
	}
	return frames, took, busy
}

// Capture under a flood, side by side in one run: the dropped-frame rate
// (one port: the two-port harness is not on main) without a capture and
// with one taking every dropped frame and streaming it over TCP, in
// alternating rounds (the machine is shared: interleaving spreads its
// noise over both). Each capture ends with its client going away
// mid-stream, after which every page must come back.
func TestCaptureUnderFloodAndDisconnect(t *testing.T) {
	a := bootAppliance(t)
	a.dropRate(t, 2, 100) // warm up: the rings take their spare pages
	idle := a.counter(t, a.status(t), "pool_in_flight")
	const rounds, bursts, burst = 4, 10, 200
	var mode [2]struct {
		frames, busy uint64
		took         time.Duration
	}
	var streamed int64
	for round := 0; round < rounds; round++ {
		f, d, b := a.dropRate(t, bursts, burst)
		mode[0].frames, mode[0].took, mode[0].busy = mode[0].frames+f, mode[0].took+d, mode[0].busy+b

		ctx, cancel := context.WithCancel(context.Background())
		body, err := a.captureStream(t, ctx, url.Values{"port": {"lan"}, "count": {"1000000"}, "seconds": {"600"},
			"verdict": {"drop"}, "match": {"ether type lldp"}})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var read sync.WaitGroup
		read.Add(1)
		go func() {
			defer read.Done()
			n, _ := io.Copy(io.Discard, body)
			streamed += n
		}()
		a.waitCapture(t, true)
		f, d, b = a.dropRate(t, bursts, burst)
		mode[1].frames, mode[1].took, mode[1].busy = mode[1].frames+f, mode[1].took+d, mode[1].busy+b
		if a.counter(t, a.status(t), "capture_frames") == 0 {
			t.Fatal("the capture wrote no frame")
		}
		cancel() // the client goes away mid-stream
		body.Close()
		read.Wait()
		a.waitCapture(t, false)
	}
	var after uint64
	for deadline := time.Now().Add(30 * time.Second); ; {
		st := a.status(t)
		after = a.counter(t, st, "pool_in_flight")
		if held := a.counter(t, st, "capture_refs_held"); held != 0 {
			t.Fatalf("capture still holds %d references", held)
		}
		if after <= idle || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	// A ring may keep one spare page it took ahead while the capture held
	// both halves of its page: at most one per port above idle.
	if after > idle+2 {
		t.Fatalf("pages in flight %d after the captures, %d before", after, idle)
	}
	fin := a.status(t)
	rate := func(i int) float64 { return float64(mode[i].frames) / mode[i].took.Seconds() }
	busy := func(i int) float64 { return float64(mode[i].busy) / float64(mode[i].frames) }
	t.Logf("dropped frames/s over %d alternating rounds of %d frames: %.0f without a capture, %.0f with one (ratio %.2f); "+
		"poll-loop wall time per frame %.0f ns vs %.0f ns (ratio %.2f; it includes other goroutines run while the loop yields); "+
		"captured %d frames in all (%d lost to the budget), %d bytes streamed; pages in flight %d before, %d after",
		rounds, bursts*burst, rate(0), rate(1), rate(1)/rate(0), busy(0), busy(1), busy(1)/busy(0),
		a.counter(t, fin, "capture_frames"), a.counter(t, fin, "capture_lost"), streamed, idle, after)
}
