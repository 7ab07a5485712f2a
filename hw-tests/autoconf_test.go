//go:build hwtest

// DHCP and SNTP in QEMU: a boot of its own whose lan port is on QEMU's
// user network (slirp), which leases the address (dhcpstart=10.0.2.50,
// so the lease differs from the static fallback 10.0.2.15) and forwards
// the gateway 10.0.2.2 to the host's loopback, where the test runs an
// SNTP server (slirp answers no NTP). QEMU, the server and the HTTP
// client share a private network namespace, so port 123 and the
// forwarded HTTP port are the test's alone.
package hwtests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	"github.com/fosbury-net/fosbury/netstack/sntp"
	"github.com/fosbury-net/fosbury/netstack/sntp/sntptest"
	"golang.org/x/sys/unix"
)

// netns runs functions on one OS thread in a new network namespace
// with its loopback up; sockets made there stay in it, and so do the
// processes it starts.
type netns struct {
	do   chan func()
	done chan struct{}
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	ns := &netns{do: make(chan func()), done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		defer close(ns.done)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %v (the test needs root for a private network namespace)", err)
			return
		}
		errc <- loopbackUp()
		for f := range ns.do {
			f()
		}
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return ns
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// run runs f in the namespace and waits for it.
func (ns *netns) run(f func()) {
	ran := make(chan struct{})
	ns.do <- func() { f(); close(ran) }
	<-ran
}

// close ends the namespace's thread: processes started there with
// Pdeathsig (QEMU) are killed with it.
func (ns *netns) close() {
	close(ns.do)
	<-ns.done
}

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
	ns := newNetns(t)
	defer ns.close()
	var (
		run *Run
		pc  net.PacketConn
		err error
	)
	ns.run(func() {
		// slirp sends what the guest sends to 10.0.2.2:123 to 127.0.0.1:123.
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:123"); err != nil {
			return
		}
		run, err = Boot(elf, 10*time.Minute,
			"-netdev", "user,id=lan,net=10.0.2.0/24,dhcpstart=10.0.2.50,hostfwd=tcp:127.0.0.1:8080-10.0.2.50:80",
			"-net", "nic,netdev=lan")
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &sntptest.Server{}
	go srv.Serve(pc)
	defer pc.Close()
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
		DialContext: func(ctx context.Context, _, _ string) (c net.Conn, err error) {
			ns.run(func() { c, err = (&net.Dialer{Timeout: time.Minute}).DialContext(ctx, "tcp", "127.0.0.1:8080") })
			return c, err
		}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://appliance/status")
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
