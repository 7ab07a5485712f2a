//go:build hwtest && linux

// The USB armory Mk II LAN image in QEMU's mcimx6ul-evk, which has the
// same ENET2: its one port (lan) on a tap with a Linux host, the console
// on UART2 (the Mk II's), ENET1 present but unwired.
package hwtests

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/linuxhost"
	"github.com/fosbury-net/fosbury/mgmt"
)

var mk2lan = flag.String("mk2lan", "", "USB armory Mk II LAN firmware ELF")

// It boots to ready, finds QEMU's PHY by the scan (the board's DP83825I
// address 0 does not answer there), and answers ping on IPv4 and IPv6 and
// /status on its one port.
func TestMk2LANBootsAndAnswers(t *testing.T) {
	elf := need(t, mk2lan, "mk2lan")
	if err := linuxhost.Available(); err != nil {
		t.Skip(err)
	}
	var run *Run
	var host *linuxhost.Host
	stop := func() {
		if run != nil {
			run.Stop()
		}
		if host != nil {
			host.Close()
		}
	}
	exclusiveBoot(stop)
	defer stop()
	host, err := linuxhost.New(netName("mk2"))
	if err != nil {
		t.Fatal(err)
	}
	// The first NIC is ENET1 (unwired: QEMU warns of an unconnected hub),
	// the second ENET2; UART1 is discarded, UART2 is the console.
	run, err = Boot(elf, 10*time.Minute, "-serial", "null", "-serial", "stdio", "-monitor", "none",
		"-net", "nic", "-netdev", fmt.Sprintf("tap,id=lan,ifname=%s,script=no,downscript=no", host.Name), "-net", "nic,netdev=lan")
	if err != nil {
		t.Fatal(err)
	}
	phy, _, err := run.WaitLine("net: lan: ENET2")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, run.Output())
	}
	t.Logf("%s", phy)
	if !strings.Contains(phy, "scanned: address 0 did not answer") {
		t.Errorf("PHY line %q: want the scan's result", phy)
	}
	if _, wall, err := run.WaitLine("fosbury: ready"); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, run.Output())
	} else {
		t.Logf("Mk II LAN image ready after %v wall time", wall)
	}
	if err := host.Attach(lanHostMAC, []netip.Prefix{netip.MustParsePrefix("10.0.2.20/24"), netip.MustParsePrefix("fd00::20/64")}); err != nil {
		t.Fatal(err)
	}
	ping(t, host, applianceV4, 10)
	ping(t, host, applianceV6, 10)
	body, err := httpGet(host, netip.AddrPortFrom(applianceV4, 80), "/status", consoleToken(run))
	if err != nil {
		t.Fatal(err)
	}
	var st mgmt.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Ports) != 1 || st.Ports[0].Name != "lan" || !st.Ports[0].Link.Up {
		t.Errorf("/status ports %+v, want one port lan with its link up", st.Ports)
	}
}
