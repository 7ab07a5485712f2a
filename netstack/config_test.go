package netstack

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	src := `# the QEMU user network
port lan address 10.0.2.15/24
port lan address fd00::15/64   # static IPv6
port lan gateway 10.0.2.2
port lan dhcp
port wan address 192.168.7.1/24
ntp 10.0.2.2
ntp [fd00::2]:1123
http 80
`
	cfg, err := ParseConfig("t.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	lan := cfg.Port("lan")
	if lan == nil || len(lan.Addrs) != 2 || lan.Addrs[1] != netip.MustParsePrefix("fd00::15/64") ||
		len(lan.Gateways) != 1 || lan.Gateways[0] != netip.MustParseAddr("10.0.2.2") {
		t.Fatalf("lan %+v", lan)
	}
	if cfg.Port("wan") == nil || cfg.HTTPPort != 80 || len(cfg.Ports) != 2 {
		t.Fatalf("cfg %+v", cfg)
	}
	if !lan.DHCP || cfg.Port("wan").DHCP {
		t.Fatalf("dhcp: lan %v wan %v, want true false", lan.DHCP, cfg.Port("wan").DHCP)
	}
	if len(cfg.NTP) != 2 || cfg.NTP[0] != netip.MustParseAddrPort("10.0.2.2:123") || cfg.NTP[1] != netip.MustParseAddrPort("[fd00::2]:1123") {
		t.Fatalf("ntp %v", cfg.NTP)
	}
	self := cfg.SelfPrefixes()
	if len(self) != 3 || self[0] != netip.MustParsePrefix("10.0.2.15/32") || self[1] != netip.MustParsePrefix("fd00::15/128") ||
		self[2] != netip.MustParsePrefix("192.168.7.1/32") {
		t.Errorf("self %v", self)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"bogus 1", "t.conf:1:1: unknown statement \"bogus\""},
		{"\nport lan address 10.0.0.300/24", "t.conf:2:18: \"10.0.0.300/24\" is not an address"},
		{"port lan address 10.0.0.1/24\nport lan address 10.0.0.1/16", "t.conf:2:18: address 10.0.0.1 is given twice"},
		{"port lan gateway 10.0.0.1\n  port lan gateway 10.0.0.2", "t.conf:2:20: port lan already has a gateway"},
		{"port lan mtu 9000", "t.conf:1:10: unknown port setting \"mtu\""},
		{"port lan", "t.conf:1:9: want: port <name> address"},
		{"http 0", "t.conf:1:6: \"0\" is not a TCP port"},
		{"http", "t.conf:1:5: want: http <tcp port>"},
		{"port lan dhcp\nport lan dhcp", "t.conf:2:10: port lan: dhcp is given twice"},
		{"port lan dhcp now", "t.conf:1:15: want: port <name> dhcp, with nothing"},
		{"ntp", "t.conf:1:4: want: ntp <ip>"},
		{"ntp pool.ntp.org", "t.conf:1:5: \"pool.ntp.org\" is not an IP address"},
		{"ntp 10.0.2.2:0", "t.conf:1:5: \"10.0.2.2:0\" is not a unicast address"},
		{"ntp 224.0.1.1", "t.conf:1:5: \"224.0.1.1\" is not a unicast address"},
		{"ntp 1.1.1.1\nntp 1.1.1.2\nntp 1.1.1.3\nntp 1.1.1.4\nntp 1.1.1.5\nntp 1.1.1.6\nntp 1.1.1.7\nntp 1.1.1.8\nntp 1.1.1.9", "t.conf:9:1: more than 8 ntp servers"},
	} {
		_, err := ParseConfig("t.conf", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want prefix %q", c.src, err, c.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("port lan address 10.0.2.15/24\nport lan gateway 10.0.2.2\nhttp 80\n"))
	f.Add([]byte("port a address fd00::1/64 # c\n\tport a gateway fe80::1\n"))
	f.Add([]byte("port\x00 address 1.2.3.4/33"))
	f.Add([]byte("port lan dhcp\nntp 10.0.2.2\nntp [fd00::2]:1123\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ParseConfig("f", src)
		if err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		for _, ap := range cfg.NTP {
			if !ap.Addr().IsGlobalUnicast() || ap.Port() == 0 {
				t.Fatalf("ntp server %v accepted", ap)
			}
		}
		if len(cfg.NTP) > maxNTP {
			t.Fatalf("%d ntp servers accepted", len(cfg.NTP))
		}
		for _, p := range cfg.Ports {
			for _, a := range p.Addrs {
				if !a.IsValid() {
					t.Fatalf("invalid prefix accepted: %v", a)
				}
			}
		}
	})
}
