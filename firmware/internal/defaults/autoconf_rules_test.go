// The default rules let the management plane's DHCP and SNTP replies
// in, by their own rules, and a DHCP lease becomes "self" for them.
package defaults

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/netstack"
)

// udpFrame is an untagged Ethernet IPv4 UDP frame (checksums left 0:
// the filter does not check them).
func udpFrame(dstMAC string, src, dst string, sport, dport uint16) []byte {
	f := make([]byte, 14+20+8+300)
	copy(f, dstMAC)
	copy(f[6:], "\x02\x00\x00\x00\x00\x02")
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	binary.BigEndian.PutUint16(ip[20:], sport)
	binary.BigEndian.PutUint16(ip[22:], dport)
	binary.BigEndian.PutUint16(ip[24:], uint16(len(ip)-20))
	return f
}

func TestRulesPassAutoconf(t *testing.T) {
	cfg, err := netstack.ParseConfig("fosbury.conf", Config)
	if err != nil {
		t.Fatal(err)
	}
	if lan := cfg.Port("lan"); lan == nil || !lan.DHCP || len(cfg.NTP) == 0 {
		t.Fatalf("the default configuration should ask for DHCP on lan and name an SNTP server: %+v", cfg)
	}
	var self []netip.Prefix
	for _, pc := range cfg.Ports {
		for _, p := range pc.Addrs {
			self = append(self, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
	}
	e := filter.NewEngine(filter.Options{Self: self})
	if err := e.Load("fosbury.rules", Rules); err != nil {
		t.Fatal(err)
	}
	const bcast, mine = "\xff\xff\xff\xff\xff\xff", "\x52\x54\x00\x12\x34\x56"
	lan, wan := filter.Meta{Port: 0}, filter.Meta{Port: 1}
	check := func(name string, f []byte, m filter.Meta, want filter.Action, ruleWord string) {
		t.Helper()
		v := e.Decide(f, m)
		if v.Action != want {
			t.Errorf("%s: %v, want %v", name, v, want)
			return
		}
		if ruleWord != "" && (v.Rule < 0 || !strings.Contains(e.Program().Ruleset().Rules[v.Rule].Text, ruleWord)) {
			t.Errorf("%s: passed by %v, want the rule naming %s", name, v, ruleWord)
		}
	}
	check("OFFER broadcast on lan", udpFrame(bcast, "10.0.2.2", "255.255.255.255", 67, 68), lan, filter.Pass, "bootpc")
	check("ACK to the offered address on lan", udpFrame(mine, "10.0.2.2", "10.0.2.50", 67, 68), lan, filter.Pass, "bootpc")
	check("OFFER on wan", udpFrame(bcast, "192.168.77.2", "255.255.255.255", 67, 68), wan, filter.Drop, "")
	check("SNTP reply on lan", udpFrame(mine, "10.0.2.2", "10.0.2.15", 123, 40000), lan, filter.Pass, "ntp")
	check("SNTP reply on wan", udpFrame(mine, "192.168.77.2", "192.168.77.1", 123, 40000), wan, filter.Pass, "ntp")
	check("SNTP reply on wan to a lease not yet self", udpFrame(mine, "192.168.77.2", "192.168.77.50", 123, 40000), wan, filter.Drop, "")
	if err := e.SetSelf(append(self, netip.MustParsePrefix("192.168.77.50/32"))); err != nil {
		t.Fatal(err)
	}
	check("SNTP reply on wan to the lease", udpFrame(mine, "192.168.77.2", "192.168.77.50", 123, 40000), wan, filter.Pass, "ntp")
}
