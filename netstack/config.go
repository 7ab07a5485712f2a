// Static network configuration of the appliance's management plane: the
// text format, its parser and its checks. Nothing here touches a stack.
//
// One statement per line, '#' starts a comment:
//
//	port lan address 10.0.2.15/24
//	port lan address fd00::15/64
//	port lan gateway 10.0.2.2
//	port lan dhcp              # IPv4 by DHCP; static IPv4 address and gateway are the fallback
//	ntp 10.0.2.2               # SNTP server (port 123 unless given: 10.0.2.2:1123)
//	http 80
package netstack

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PortConfig is the addressing of one port.
type PortConfig struct {
	Name     string
	Addrs    []netip.Prefix
	Gateways []netip.Addr // at most one per family
	// DHCP asks for the IPv4 address by DHCP. The static IPv4 addresses
	// and gateway are the fallback: in use until a lease is bound and
	// after it ends.
	DHCP bool
}

// Config is the whole management-plane configuration.
type Config struct {
	Ports    []PortConfig
	HTTPPort uint16 // 0: no HTTP server
	// NTP are SNTP servers, asked before those a DHCP lease names.
	NTP []netip.AddrPort
}

// maxNTP bounds the configured SNTP servers.
const maxNTP = 8

// Port returns the named port's configuration, or nil.
func (c *Config) Port(name string) *PortConfig {
	for i := range c.Ports {
		if c.Ports[i].Name == name {
			return &c.Ports[i]
		}
	}
	return nil
}

// SelfPrefixes are every configured address as a host prefix (/32,
// /128): the appliance's own addresses, as the filter's Options.Self
// wants them.
func (c *Config) SelfPrefixes() []netip.Prefix {
	var self []netip.Prefix
	for _, pc := range c.Ports {
		for _, p := range pc.Addrs {
			self = append(self, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
	}
	return self
}

// ConfigError locates a configuration mistake.
type ConfigError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// maxConfig bounds what the parser reads: configuration is small.
const maxConfig = 64 << 10

// ParseConfig reads a configuration; errors name the line and column.
func ParseConfig(file string, src []byte) (*Config, error) {
	if len(src) > maxConfig {
		return nil, &ConfigError{file, 1, 1, fmt.Sprintf("file is %d bytes, more than the %d allowed", len(src), maxConfig)}
	}
	cfg := &Config{}
	for i, line := range strings.Split(string(src), "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		words, cols := fields(line)
		if len(words) == 0 {
			continue
		}
		errAt := func(w int, format string, a ...any) error {
			col := len(line) + 1
			if w < len(cols) {
				col = cols[w]
			}
			return &ConfigError{file, i + 1, col, fmt.Sprintf(format, a...)}
		}
		switch words[0] {
		case "port":
			if err := parsePort(cfg, words, errAt); err != nil {
				return nil, err
			}
		case "http":
			if len(words) != 2 {
				return nil, errAt(len(words), "want: http <tcp port>")
			}
			p, err := strconv.ParseUint(words[1], 10, 16)
			if err != nil || p == 0 {
				return nil, errAt(1, "%q is not a TCP port (1-65535)", words[1])
			}
			cfg.HTTPPort = uint16(p)
		case "ntp":
			if len(words) != 2 {
				return nil, errAt(len(words), "want: ntp <ip> or ntp <ip>:<udp port>")
			}
			ap, err := parseAddrPort(words[1], 123)
			if err != nil {
				return nil, errAt(1, "%q %v", words[1], err)
			}
			if len(cfg.NTP) == maxNTP {
				return nil, errAt(0, "more than %d ntp servers", maxNTP)
			}
			cfg.NTP = append(cfg.NTP, ap)
		default:
			return nil, errAt(0, "unknown statement %q (want port, ntp or http)", words[0])
		}
	}
	return cfg, nil
}

func parsePort(cfg *Config, w []string, errAt func(int, string, ...any) error) error {
	if len(w) >= 3 && w[2] == "dhcp" {
		if len(w) != 3 {
			return errAt(3, "want: port <name> dhcp, with nothing after dhcp")
		}
		pc := portNamed(cfg, w[1])
		if pc.DHCP {
			return errAt(2, "port %s: dhcp is given twice", pc.Name)
		}
		pc.DHCP = true
		return nil
	}
	if len(w) != 4 {
		return errAt(min(len(w), 4), "want: port <name> address <ip/prefix> | port <name> gateway <ip> | port <name> dhcp")
	}
	pc := portNamed(cfg, w[1])
	switch w[2] {
	case "address":
		p, err := netip.ParsePrefix(w[3])
		if err != nil {
			return errAt(3, "%q is not an address with a prefix length, like 10.0.0.2/24 or fd00::2/64", w[3])
		}
		if p.Addr().Zone() != "" || p.Addr().Is4In6() {
			return errAt(3, "%q: zones and IPv4-mapped addresses are not allowed", w[3])
		}
		for _, q := range pc.Addrs {
			if q.Addr() == p.Addr() {
				return errAt(3, "address %v is given twice for port %s", p.Addr(), pc.Name)
			}
		}
		pc.Addrs = append(pc.Addrs, p)
	case "gateway":
		a, err := netip.ParseAddr(w[3])
		if err != nil || a.Zone() != "" {
			return errAt(3, "%q is not an IP address", w[3])
		}
		for _, g := range pc.Gateways {
			if g.Is4() == a.Is4() {
				return errAt(3, "port %s already has a gateway for this address family", pc.Name)
			}
		}
		pc.Gateways = append(pc.Gateways, a)
	default:
		return errAt(2, "unknown port setting %q (want address, gateway or dhcp)", w[2])
	}
	return nil
}

// portNamed returns the named port's configuration, adding it if new.
func portNamed(cfg *Config, name string) *PortConfig {
	if pc := cfg.Port(name); pc != nil {
		return pc
	}
	cfg.Ports = append(cfg.Ports, PortConfig{Name: name})
	return &cfg.Ports[len(cfg.Ports)-1]
}

// parseAddrPort reads "ip", "ip:port" or "[ipv6]:port".
func parseAddrPort(s string, defPort uint16) (netip.AddrPort, error) {
	var ap netip.AddrPort
	if a, err := netip.ParseAddr(s); err == nil {
		ap = netip.AddrPortFrom(a, defPort)
	} else if ap, err = netip.ParseAddrPort(s); err != nil {
		return ap, fmt.Errorf("is not an IP address or address:port")
	}
	a := ap.Addr()
	if a.Zone() != "" || a.Is4In6() || !a.IsGlobalUnicast() || ap.Port() == 0 {
		return ap, fmt.Errorf("is not a unicast address with a non-zero port")
	}
	return ap, nil
}

// fields splits on spaces and tabs and returns each word's 1-based column.
func fields(line string) (words []string, cols []int) {
	start := -1
	for i := 0; i <= len(line); i++ {
		if i == len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\r' {
			if start >= 0 {
				words = append(words, line[start:i])
				cols = append(cols, start+1)
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return words, cols
}
