//go:build hwtest

// DHCP and SNTP in QEMU: a boot of its own whose lan port is on QEMU's
// user network (slirp), which leases the address (dhcpstart=10.0.2.50,
// so the lease differs from the static fallback 10.0.2.15) and forwards
// the gateway 10.0.2.2 to the host's loopback, where the test runs an
// SNTP server (slirp answers no NTP). QEMU, the server and the HTTP
// client share a network namespace (root), so port 123 and the forwarded
// HTTP port are the test's alone.
package hwtests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/linuxhost"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	"github.com/fosbury-net/fosbury/netstack/sntp"
	"github.com/fosbury-net/fosbury/netstack/sntp/sntptest"
)

// waitLines waits for console lines containing each of substrs, in any
// order, and returns them by substring.
func waitLines(r *Run, substrs ...string) (map[string]string, error) {
	got := map[string]string{}
	for l := range r.lines {
		for _, s := range substrs {
			if _, ok := got[s]; !ok && strings.Contains(l, s) {
				got[s] = l
			}
		}
		if len(got) == len(substrs) {
			return got, nil
		}
	}
	return got, fmt.Errorf("console ended with only %v of %q", got, substrs)
}

// autoconfStatus is where the test reads /status: the lan port's lease
// and the clock.
func autoconfStatus(st mgmt.Status) (*dhcp.Status, sntp.Status) {
	if len(st.Ports) == 0 {
		return nil, st.Clock
	}
	return st.Ports[0].DHCP, st.Clock
}

func TestDHCPAndSNTPOverUserNet(t *testing.T) {
	elf := need(t, firmware, "firmware")
	if err := linuxhost.Available(); err != nil {
		t.Fatal(err)
	}
	// A namespace of linuxhost's (its tap stays unused): QEMU, slirp's
	// sockets, the SNTP server and the HTTP client live in it.
	ns, err := linuxhost.New("h8autoconf")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := ns.Run(ctx, "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	// slirp sends what the guest sends to 10.0.2.2:123 to 127.0.0.1:123.
	pc, err := ns.ListenPacket("udp4", "127.0.0.1:123")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	srv := &sntptest.Server{}
	go srv.Serve(pc)
	var run *Run
	if err := ns.Do(func() (err error) {
		run, err = Boot(elf, 10*time.Minute,
			"-netdev", "user,id=lan,net=10.0.2.0/24,dhcpstart=10.0.2.50,hostfwd=tcp:127.0.0.1:8080-10.0.2.50:80",
			"-net", "nic,netdev=lan")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer run.Stop()

	lines, err := waitLines(run, "dhcp: lan: bound 10.0.2.50/24 from 10.0.2.2", "sntp: clock stepped")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, run.Output())
	}
	t.Logf("%s\n%s", lines["dhcp: lan: bound 10.0.2.50/24 from 10.0.2.2"], lines["sntp: clock stepped"])
	// The SNTP line is stamped with the clock it has just set.
	if year := fmt.Sprint(time.Now().UTC().Year()); !strings.HasPrefix(lines["sntp: clock stepped"], year+"-") {
		t.Errorf("log line after the step %q does not start with this year", lines["sntp: clock stepped"])
	}

	// /status through slirp's forward to the leased address.
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return ns.DialWith(ctx, &net.Dialer{Timeout: time.Minute}, "tcp", "127.0.0.1:8080")
		}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest("GET", "http://appliance/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+consoleToken(run))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /status on the leased address: %v\nconsole:\n%s", err, run.Output())
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /status: %d %v", resp.StatusCode, err)
	}
	var st mgmt.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	lease, clock := autoconfStatus(st)

	// The clock is synchronised: /status says so, and the HTTP Date and
	// the lease's expiry are real times (the host's, which the SNTP
	// server uses), not 1970. The bounds allow a slow, loaded host.
	now := time.Now()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || date.Before(now.Add(-5*time.Minute)) || date.After(now.Add(5*time.Minute)) {
		t.Errorf("Date: %q (%v), want about %v", resp.Header.Get("Date"), err, now.UTC())
	}
	if !clock.Synced || clock.Server != netip.MustParseAddrPort("10.0.2.2:123") || clock.Stratum != 2 || clock.LastSync == nil || srv.Answered.Load() == 0 {
		t.Errorf("clock %+v, server answered %d", clock, srv.Answered.Load())
	}
	if lease == nil || lease.State != "bound" || lease.Address != netip.MustParsePrefix("10.0.2.50/24") ||
		lease.Server != netip.MustParseAddr("10.0.2.2") || lease.Router != netip.MustParseAddr("10.0.2.2") || lease.Expires == nil {
		t.Fatalf("lease %+v", lease)
	}
	// slirp leases for 24 h.
	if exp := lease.Expires.Sub(now); exp < 23*time.Hour || exp > 25*time.Hour {
		t.Errorf("lease expires at %v, %v from now; want about 24 h", lease.Expires, exp)
	}
	t.Logf("lease %v from %v until %v; clock offset %v from %v", lease.Address, lease.Server, lease.Expires, time.Duration(clock.Offset), clock.Server)
}
