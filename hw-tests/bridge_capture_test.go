//go:build hwtest && linux

// Packet capture on the bridge: the forwarding rate under a UDP flood
// from the lan host to the wan host, without a capture and with one
// taking every forwarded frame and streaming it to the lan host, in
// alternating rounds of one run; the pool back at rest after each.
package hwtests

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// floodRound runs iperf3 UDP (small datagrams, no rate limit) from the lan
// host to the wan host for secs seconds and returns the frames the
// appliance forwarded per second meanwhile.
func (b *bridge) floodRound(t *testing.T, secs int) float64 {
	t.Helper()
	ctx := ctxFor(t, 2*time.Minute)
	srv := b.wan.Command(ctx, "iperf3", "-s", "-1", "-B", wanHostV4.String(), "-p", "5202")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	before := b.counters(t)
	var out string
	var err error
	start := time.Now()
	for try := 0; try < 10; try++ { // until the server listens
		out, err = b.lan.Run(ctx, "iperf3", "-c", wanHostV4.String(), "-p", "5202", "-u", "-b", "0", "-l", "64",
			"-t", strconv.Itoa(secs), "-J", "--connect-timeout", "5000")
		var r struct {
			Error string `json:"error"`
		}
		if err == nil && json.Unmarshal([]byte(out), &r) == nil && r.Error == "" {
			break
		}
		time.Sleep(500 * time.Millisecond)
		start = time.Now()
	}
	took := time.Since(start)
	if err != nil {
		t.Fatalf("iperf3: %v\n%s", err, out)
	}
	after := b.counters(t)
	return float64(after.forwarded-before.forwarded) / took.Seconds()
}

// stream is a GET from the lan host, its body read as fast as it comes
// in a goroutine; stop ends it and returns the bytes read.
func (b *bridge) stream(t *testing.T, path string) (stop func() int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return b.lan.Dial(ctx, "tcp", netip.AddrPortFrom(applianceV4, 80).String())
		}}}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://appliance"+path, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		t.Fatalf("GET %s: %v %v", path, err, resp)
	}
	var n int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, _ = io.Copy(io.Discard, resp.Body)
	}()
	return func() int64 {
		cancel()
		resp.Body.Close()
		<-done
		return n
	}
}

// The forwarding rate under a flood, side by side in one run, in
// alternating rounds: with no capture; with a capture of every flood
// frame streamed to the lan host; and, as the control for what sending
// down a TCP connection costs by itself, with no capture but a /pattern
// download. Each capture ends with its client going away mid-stream; the
// pool must be back at rest.
func TestBridgeForwardingWithCapture(t *testing.T) {
	b := bootBridge(t)
	const rounds, secs = 3, 3
	var off, on, control float64
	var captured, streamed, patterned int64
	for round := 0; round < rounds; round++ {
		off += b.floodRound(t, secs)

		q := url.Values{"port": {"lan"}, "count": {"1000000"}, "seconds": {"600"}, "match": {"proto udp to any port 5202"}}
		stop := b.stream(t, "/capture?"+q.Encode())
		on += b.floodRound(t, secs)
		st, err := b.tryStatus()
		if err != nil || !st.Capture.Active {
			t.Fatalf("the capture did not run through the flood: %v %+v", err, st.Capture)
		}
		captured = int64(st.Capture.Frames)
		streamed += stop() // the client goes away mid-stream
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if st, err := b.tryStatus(); err == nil && !st.Capture.Active && st.Capture.Held == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the capture did not end after its client went away")
			}
		}

		stop = b.stream(t, "/pattern?bytes=67108864")
		control += b.floodRound(t, secs)
		patterned += stop()
	}
	st, _ := b.tryStatus()
	t.Logf("forwarded frames/s under a 64-byte UDP flood, %d alternating rounds of %d s: %.0f without a capture, %.0f with one (ratio %.2f), "+
		"%.0f with a /pattern download instead (ratio %.2f); %d frames captured (%d bytes), %d lost to the budget; "+
		"the lan host read %d bytes of capture and %d of download",
		rounds, secs, off/rounds, on/rounds, on/off, control/rounds, control/off, captured, st.Capture.Bytes, st.Capture.Lost, streamed, patterned)
	if on == 0 || off == 0 || control == 0 {
		t.Fatal("nothing forwarded")
	}
	// bootBridge's cleanup checks the pool is back at rest.
}
