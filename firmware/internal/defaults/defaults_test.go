// The embedded configuration must parse, and the default rules must mean
// what their comments say: every ICMP and ICMPv6 type, from either port,
// to a host on the other side or to the appliance, goes through the
// filter engine the firmware runs, against a policy table written out
// here from the file's stated policy.
package defaults

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/netstack"
)

func TestEmbeddedConfig(t *testing.T) {
	if cfg := config(t); cfg.Port("lan") == nil || cfg.HTTPPort == 0 {
		t.Fatalf("config %+v lacks the lan port or HTTP", cfg)
	}
	if err := filter.NewEngine(filter.Options{}).Load("fosbury.rules", Rules); err != nil {
		t.Fatal(err)
	}
	// What imgtool puts on a card and the firmware falls back to.
	if err := cfgstore.Validate(Files()); err != nil {
		t.Fatal(err)
	}
}

// Ports as the filter numbers them (filter.Options' default names).
const (
	lan uint8 = 0
	wan uint8 = 1
)

// A host on each side of the bridge; they share the management subnet.
type host struct {
	mac        [6]byte
	v4, v6, ll netip.Addr
}

var (
	lanHost = host{[6]byte{2, 0, 0, 0, 0, 0x20}, netip.MustParseAddr("10.0.2.20"), netip.MustParseAddr("fd00::20"), netip.MustParseAddr("fe80::20")}
	wanHost = host{[6]byte{2, 0, 0, 0, 0, 0x30}, netip.MustParseAddr("10.0.2.30"), netip.MustParseAddr("fd00::30"), netip.MustParseAddr("fe80::30")}
	// The appliance's lan-side MAC (QEMU's first NIC).
	selfMAC = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}
)

// config is fosbury.conf, parsed.
func config(t *testing.T) *netstack.Config {
	t.Helper()
	cfg, err := netstack.ParseConfig("fosbury.conf", Config)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// selfAddrs are the appliance's addresses from fosbury.conf.
func selfAddrs(t *testing.T) []netip.Addr {
	var self []netip.Addr
	for _, p := range config(t).SelfPrefixes() {
		self = append(self, p.Addr())
	}
	return self
}

// engine is a fresh engine with the default rules and the firmware's
// Self: every case starts without states.
func engine(t *testing.T) *filter.Engine {
	t.Helper()
	e := filter.NewEngine(filter.Options{Self: config(t).SelfPrefixes(), StateLimit: 64, MgmtReserve: 8})
	if err := e.Load("fosbury.rules", Rules); err != nil {
		t.Fatal(err)
	}
	return e
}

// ipFrame is an Ethernet frame carrying one IP packet. Checksums stay
// zero: the filter verifies none (the end hosts do).
func ipFrame(dstMAC, srcMAC [6]byte, src, dst netip.Addr, proto uint8, l4 []byte) []byte {
	f := append(append([]byte{}, dstMAC[:]...), srcMAC[:]...)
	if src.Is4() {
		f = binary.BigEndian.AppendUint16(f, 0x0800)
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, proto
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		copy(ip[12:], src.AsSlice())
		copy(ip[16:], dst.AsSlice())
		f = append(f, ip...)
	} else {
		f = binary.BigEndian.AppendUint16(f, 0x86dd)
		ip := make([]byte, 40)
		ip[0], ip[6], ip[7] = 0x60, proto, 255
		binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
		copy(ip[8:], src.AsSlice())
		copy(ip[24:], dst.AsSlice())
		f = append(f, ip...)
	}
	return append(f, l4...)
}

// icmp is an ICMP or ICMPv6 message: type, code, checksum, the 4-byte
// rest of header (echo id and sequence), then body.
func icmp(typ, code uint8, rest uint32, body []byte) []byte {
	m := []byte{typ, code, 0, 0}
	m = binary.BigEndian.AppendUint32(m, rest)
	return append(m, body...)
}

func icmpProto(a netip.Addr) uint8 {
	if a.Is4() {
		return 1
	}
	return 58
}

// udp is a UDP header with an 8-byte payload.
func udp(sport, dport uint16) []byte {
	u := binary.BigEndian.AppendUint16(nil, sport)
	u = binary.BigEndian.AppendUint16(u, dport)
	u = binary.BigEndian.AppendUint16(u, 16)
	return append(u, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8)
}

// tcp is a 20-byte TCP header.
func tcp(sport, dport uint16, seq, ack uint32, flags uint8) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	binary.BigEndian.PutUint32(h[8:], ack)
	h[12], h[13] = 5<<4, flags
	binary.BigEndian.PutUint16(h[14:], 64240)
	return h
}

const (
	tcpSYN = 0x02
	tcpACK = 0x10
)

// wantV6 is the ICMPv6 policy of fosbury.rules for a message arriving on
// port from, to the appliance (toSelf) or to a host across the bridge,
// from a link-local or a global source, when no state exists.
func wantV6(typ uint8, from uint8, toSelf, linkLocal bool) bool {
	if from == lan {
		return true // lan is trusted
	}
	switch typ {
	case 135, 136: // neighbour solicitation and advertisement: one link
		return true
	case 134, 130, 131, 132, 143: // router advertisement, MLD: link-scope
		return linkLocal
	case 128, 1, 2, 3, 4: // ping, and errors about its own packets: the appliance
		return toSelf // (errors to hosts pass only with a state: TestRelatedErrors)
	}
	return false // echo reply without state, router solicitation, redirect, the rest
}

// wantV4 is the same policy for ICMP.
func wantV4(typ uint8, from uint8, toSelf bool) bool {
	if from == lan {
		return true
	}
	switch typ {
	case 8, 3, 11, 12: // echo request, unreachable, time exceeded, parameter problem
		return toSelf
	}
	return false
}

func decide(e *filter.Engine, frame []byte, port uint8) filter.Verdict {
	return e.Decide(frame, filter.Meta{Port: port, Dir: filter.In, Now: 1e9})
}

// check asserts a verdict: a pass, or a drop by the default policy (no
// rule in the file drops IP explicitly).
func check(t *testing.T, what string, v filter.Verdict, pass bool) {
	t.Helper()
	switch {
	case pass && v.Action != filter.Pass:
		t.Errorf("%s: %v, want pass", what, v)
	case !pass && (v.Action != filter.Drop || v.Reason != filter.ReasonDefault):
		t.Errorf("%s: %v, want drop by the default policy", what, v)
	}
}

func portName(p uint8) string { return [...]string{"lan", "wan"}[p] }

// Every ICMPv6 type, code 0, from each port to a host across the bridge
// and to the appliance, from a global and from a link-local source.
func TestICMPv6Types(t *testing.T) {
	var self []netip.Addr
	for _, a := range selfAddrs(t) {
		if a.Is6() {
			self = append(self, a)
		}
	}
	if len(self) == 0 {
		t.Fatal("fosbury.conf gives the appliance no IPv6 address")
	}
	passed := 0
	for typ := 0; typ < 256; typ++ {
		for _, from := range []uint8{lan, wan} {
			sender, peer := lanHost, wanHost
			if from == wan {
				sender, peer = wanHost, lanHost
			}
			for _, linkLocal := range []bool{false, true} {
				src := sender.v6
				if linkLocal {
					src = sender.ll
				}
				dsts := append([]netip.Addr{peer.v6}, self...)
				for i, dst := range dsts {
					toSelf := i > 0
					dstMAC := peer.mac
					if toSelf {
						dstMAC = selfMAC
					}
					f := ipFrame(dstMAC, sender.mac, src, dst, 58, icmp(uint8(typ), 0, 0x00070001, make([]byte, 48)))
					v := decide(engine(t), f, from)
					want := wantV6(uint8(typ), from, toSelf, linkLocal)
					check(t, fmt.Sprintf("ICMPv6 type %d from %s (%v) to %v", typ, portName(from), src, dst), v, want)
					if want && from == wan {
						passed++
					}
				}
			}
		}
	}
	// From wan: NS/NA 2 sources x 2 destinations each, RA and 4 MLD types
	// from link-local x 2, echo request and 4 errors to self x 2 sources.
	if want := 2*4 + 5*2 + 5*2; passed != want {
		t.Errorf("%d ICMPv6 cases from wan passed, the policy table has %d", passed, want)
	}
}

// Every ICMP type, code 0, from each port to a host across the bridge and
// to each of the appliance's IPv4 addresses.
func TestICMPTypes(t *testing.T) {
	var self []netip.Addr
	for _, a := range selfAddrs(t) {
		if a.Is4() {
			self = append(self, a)
		}
	}
	for typ := 0; typ < 256; typ++ {
		for _, from := range []uint8{lan, wan} {
			sender, peer := lanHost, wanHost
			if from == wan {
				sender, peer = wanHost, lanHost
			}
			for i, dst := range append([]netip.Addr{peer.v4}, self...) {
				toSelf := i > 0
				dstMAC := peer.mac
				if toSelf {
					dstMAC = selfMAC
				}
				f := ipFrame(dstMAC, sender.mac, sender.v4, dst, 1, icmp(uint8(typ), 0, 0x00070001, make([]byte, 48)))
				check(t, fmt.Sprintf("ICMP type %d from %s to %v", typ, portName(from), dst),
					decide(engine(t), f, from), wantV4(uint8(typ), from, toSelf))
			}
		}
	}
}

// quote is what an ICMP error carries: the offending packet's IP header
// and (at least) its first 8 transport bytes.
func quote(src, dst netip.Addr, proto uint8, l4 []byte) []byte {
	return ipFrame([6]byte{}, [6]byte{}, src, dst, proto, l4)[14:]
}

// Echo replies and ICMP errors from wan pass only for a flow lan opened:
// an error must quote that flow, sent by the error's addressee.
func TestRelatedErrors(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		l, w := lanHost.v4, wanHost.v4
		errors := []struct{ typ, code uint8 }{{3, 1}, {3, 3}, {3, 4}, {11, 0}, {12, 0}}
		echoReq, echoRep := uint8(8), uint8(0)
		if v6 {
			l, w = lanHost.v6, wanHost.v6
			errors = []struct{ typ, code uint8 }{{1, 0}, {1, 4}, {2, 0}, {3, 0}, {4, 1}}
			echoReq, echoRep = 128, 129
		}
		proto := icmpProto(l)
		fromLAN := func(l4proto uint8, l4 []byte) []byte { return ipFrame(wanHost.mac, lanHost.mac, l, w, l4proto, l4) }
		fromWAN := func(l4proto uint8, l4 []byte) []byte { return ipFrame(lanHost.mac, wanHost.mac, w, l, l4proto, l4) }

		e := engine(t)
		sent := udp(40000, 53)
		check(t, "UDP from lan", decide(e, fromLAN(17, sent), lan), true)
		for _, er := range errors {
			what := fmt.Sprintf("v6=%v ICMP error %d/%d", v6, er.typ, er.code)
			v := decide(e, fromWAN(proto, icmp(er.typ, er.code, 1280, quote(l, w, 17, sent))), wan)
			check(t, what+" quoting lan's UDP flow", v, true)
			if !v.State {
				t.Errorf("%s: passed by %v, not by the flow's state", what, v)
			}
			check(t, what+" quoting another port", decide(e, fromWAN(proto, icmp(er.typ, er.code, 1280, quote(l, w, 17, udp(40001, 53)))), wan), false)
			check(t, what+" quoting a packet lan did not send", decide(e, fromWAN(proto, icmp(er.typ, er.code, 1280, quote(w, l, 17, udp(53, 40000)))), wan), false)
		}

		check(t, "echo request from lan", decide(e, fromLAN(proto, icmp(echoReq, 0, 0x00070001, nil)), lan), true)
		v := decide(e, fromWAN(proto, icmp(echoRep, 0, 0x00070001, nil)), wan)
		check(t, "its echo reply", v, true)
		if !v.State {
			t.Errorf("echo reply passed by %v, not by the state", v)
		}
		check(t, "an echo reply with another id", decide(e, fromWAN(proto, icmp(echoRep, 0, 0x00080001, nil)), wan), false)
		check(t, "an echo request from wan with the state's id", decide(e, fromWAN(proto, icmp(echoReq, 0, 0x00070001, nil)), wan), false)

		check(t, "TCP SYN from lan", decide(e, fromLAN(6, tcp(40000, 22, 1000, 0, tcpSYN)), lan), true)
		v = decide(e, fromWAN(6, tcp(22, 40000, 5000, 1001, tcpSYN|tcpACK)), wan)
		check(t, "its SYN-ACK", v, true)
		if !v.State {
			t.Errorf("SYN-ACK passed by %v, not by the state", v)
		}
		check(t, "TCP SYN from wan", decide(e, fromWAN(6, tcp(40002, 22, 1000, 0, tcpSYN)), wan), false)
		check(t, "UDP from wan", decide(e, fromWAN(17, udp(53, 40005)), wan), false)
	}
}

// The management plane: HTTP to the appliance from either port, nothing
// else from wan; ARP passes and LLDP is dropped on both ports.
func TestManagementAndLinkRules(t *testing.T) {
	for _, self := range selfAddrs(t) {
		src := wanHost.v4
		if self.Is6() {
			src = wanHost.v6
		}
		for _, from := range []uint8{lan, wan} {
			e := engine(t) // lan's frames open states, which are not bound to a port
			check(t, fmt.Sprintf("HTTP to %v from %s", self, portName(from)),
				decide(e, ipFrame(selfMAC, wanHost.mac, src, self, 6, tcp(40000, 80, 1, 0, tcpSYN)), from), true)
			check(t, fmt.Sprintf("TCP port 22 to %v from %s", self, portName(from)),
				decide(e, ipFrame(selfMAC, wanHost.mac, src, self, 6, tcp(40000, 22, 1, 0, tcpSYN)), from), from == lan)
			check(t, fmt.Sprintf("UDP to %v from %s", self, portName(from)),
				decide(e, ipFrame(selfMAC, wanHost.mac, src, self, 17, udp(40000, 161)), from), from == lan)
		}
	}
	arp := append(append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, wanHost.mac[:]...), 0x08, 0x06)
	arp = append(arp, make([]byte, 28)...)
	lldp := append(append([]byte{0x01, 0x80, 0xc2, 0, 0, 0x0e}, wanHost.mac[:]...), 0x88, 0xcc)
	lldp = append(lldp, make([]byte, 46)...)
	e := engine(t)
	for _, from := range []uint8{lan, wan} {
		check(t, "ARP from "+portName(from), decide(e, arp, from), true)
		if v := decide(e, lldp, from); v.Action != filter.Drop || v.Reason != filter.ReasonRule {
			t.Errorf("LLDP from %s: %v, want a drop by its rule", portName(from), v)
		}
	}
}
