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
port wan address 192.168.7.1/24
http 80
syslog 10.0.2.2
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
	if cfg.Port("wan") == nil || cfg.HTTPPort != 80 || len(cfg.Ports) != 2 || cfg.Syslog != netip.MustParseAddrPort("10.0.2.2:514") {
		t.Fatalf("cfg %+v", cfg)
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
		{"syslog", "t.conf:1:7: want: syslog <address>[:<udp port>]"},
		{"syslog 10.0.2.2:0", "t.conf:1:8: \"10.0.2.2:0\": port 0"},
		{"syslog collector", "t.conf:1:8: \"collector\": not an address"},
		{"syslog ff02::1", "t.conf:1:8: \"ff02::1\": not a unicast address"},
		{"syslog [fd00::2]:514\nsyslog 10.0.2.2", "t.conf:2:1: syslog is given twice"},
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
	f.Add([]byte("syslog [fd00::2]:5514\nsyslog 10.0.2.2"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ParseConfig("f", src)
		if err != nil {
			if _, ok := err.(*ConfigError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if s := cfg.Syslog; s.IsValid() && (s.Port() == 0 || s.Addr().Zone() != "") {
			t.Fatalf("bad collector accepted: %v", s)
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
