// hostile.go owns the two-wire topology (a Linux host on each port, in the
// management subnet of fosbury.conf: the bridge is transparent) and the
// hostile frames the bridge tests send from wan, each with the filter drop
// reason it must be counted under. hostile_test.go checks the reasons on
// the host through the filter with the default rules; the QEMU test sends
// the same frames and reads the counters.
package hwtests

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/hw-tests/craft"
)

var (
	lanHostMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x20}
	lanHostV4  = netip.MustParseAddr("10.0.2.20")
	lanHostV6  = netip.MustParseAddr("fd00::20")
	wanHostMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x30}
	wanHostV4  = netip.MustParseAddr("10.0.2.30")
	wanHostV6  = netip.MustParseAddr("fd00::30")
	// The wan host's address in the appliance's wan subnet, to reach its
	// wan address (fosbury.conf: port wan address 192.168.77.1/24).
	wanHostMgmt = netip.MustParseAddr("192.168.77.30")
	// Crafted frames carry this source MAC, so a capture on lan tells them
	// from the wan host's own traffic.
	attackerMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x66}
)

// hostile is one crafted frame from wan and the reason it is dropped.
type hostile struct {
	name   string
	frame  []byte
	reason filter.Reason
}

// tcpFlow is a TCP connection the lan host opened to the wan host, as the
// captures saw its handshake: ports, and each side's next sequence number.
type tcpFlow struct {
	lanPort, wanPort uint16
	lanNext, wanNext uint32
}

// Ports the hostile frames aim at on the lan host.
const (
	hostileTCPPort = 22
	hostileUDPPort = 7002
)

// hostileFrames are the frames, in the order they must be sent (later
// fragments follow their first).
func hostileFrames(flow tcpFlow) []hostile {
	var out []hostile
	add := func(name string, frame []byte, r filter.Reason) {
		// Padded to the Ethernet minimum here, as QEMU's tap backend pads
		// what it receives: the host check must see the wire's bytes.
		for len(frame) < 60 {
			frame = append(frame, 0)
		}
		out = append(out, hostile{name, frame, r})
	}
	w4, l4, w6, l6 := wanHostV4, lanHostV4, wanHostV6, lanHostV6
	tag := func(tpid, vid uint16) craft.Tag { return craft.Tag{TPID: tpid, VID: vid} }
	ext := func(proto uint8, body []byte) craft.Ext { return craft.Ext{Proto: proto, Body: body} }
	eth := func(tags ...craft.Tag) craft.Eth { return craft.Eth{Dst: lanHostMAC, Src: attackerMAC, Tags: tags} }
	ip4 := func(h craft.V4, seg []byte) []byte {
		h.Src, h.Dst = w4, l4
		return eth().Frame(craft.IPv4, h.Packet(seg))
	}
	ip6 := func(h craft.V6, seg []byte) []byte {
		h.Src, h.Dst = w6, l6
		return eth().Frame(craft.IPv6, h.Packet(seg))
	}
	syn4 := craft.TCPSeg{SrcPort: 40000, DstPort: hostileTCPPort, Seq: 1000, Flags: craft.SYN}.Bytes(w4, l4)
	syn6 := craft.TCPSeg{SrcPort: 40000, DstPort: hostileTCPPort, Seq: 1000, Flags: craft.SYN}.Bytes(w6, l6)
	payload := bytes.Repeat([]byte("fosbury!"), 8)
	udp4 := craft.UDP(w4, l4, 40000, hostileUDPPort, payload)
	udp6 := craft.UDP(w6, l6, 40000, hostileUDPPort, payload)
	echo4 := craft.ICMP(8, 0, 0x4242_0001, payload)
	echo6 := craft.ICMPv6(w6, l6, 128, 0, 0x4242_0001, payload)
	def, bad, srcRoute, orphan, badState := filter.ReasonDefault, filter.ReasonMalformed, filter.ReasonSourceRoute,
		filter.ReasonFragOrphan, filter.ReasonBadState

	// VLAN tags never bypass the rules (filter/README.md).
	pkt4 := func(proto uint8, seg []byte) []byte { return craft.V4{Src: w4, Dst: l4, Proto: proto}.Packet(seg) }
	pkt6 := func(proto uint8, seg []byte) []byte { return craft.V6{Src: w6, Dst: l6, Proto: proto}.Packet(seg) }
	add("802.1Q VLAN 10: TCP SYN", eth(tag(craft.Dot1Q, 10)).Frame(craft.IPv4, pkt4(craft.ProtoTCP, syn4)), def)
	add("802.1Q priority tag (VLAN 0): ICMP echo request", eth(tag(craft.Dot1Q, 0)).Frame(craft.IPv4, pkt4(craft.ProtoICMP, echo4)), def)
	add("QinQ 0x9100/0x8100: UDP", eth(tag(craft.QinQ, 20), tag(craft.Dot1Q, 30)).Frame(craft.IPv4, pkt4(craft.ProtoUDP, udp4)), def)
	add("802.1Q in 802.1Q: ICMPv6 echo request", eth(tag(craft.Dot1Q, 20), tag(craft.Dot1Q, 30)).Frame(craft.IPv6,
		pkt6(craft.ProtoICMPv6, echo6)), def)
	add("802.1ad S-tag and C-tag: IPv6 TCP SYN", eth(tag(craft.Dot1A, 100), tag(craft.Dot1Q, 200)).Frame(craft.IPv6,
		pkt6(craft.ProtoTCP, syn6)), def)
	add("three tags", eth(tag(craft.Dot1A, 1), tag(craft.Dot1Q, 2), tag(craft.Dot1Q, 3)).Frame(craft.IPv4, pkt4(craft.ProtoTCP, syn4)), bad)
	add("802.1ad tag, then 10 bytes of an IPv4 header", eth().Frame(craft.Dot1A, []byte{0, 5, 0x08, 0, 0x45, 0, 0, 0, 0, 0, 0, 0, 0, 0}), bad)

	// IPv6 extension-header chains (RFC 8200 4).
	rt2 := []byte{2, 1, 0, 0, 0, 0} // routing type 2 (Mobile IPv6), one segment
	add("hop-by-hop, destination options, routing type 2: TCP SYN",
		ip6(craft.V6{Proto: craft.ProtoTCP, Ext: []craft.Ext{ext(0, craft.Options(6)), ext(60, craft.Options(14)), ext(43, rt2)}}, syn6), def)
	var nine []craft.Ext
	for i := 0; i < 9; i++ {
		nine = append(nine, ext(60, craft.Options(6)))
	}
	add("nine destination options headers: UDP", ip6(craft.V6{Proto: craft.ProtoUDP, Ext: nine}, udp6), bad)
	add("hop-by-hop after destination options: UDP",
		ip6(craft.V6{Proto: craft.ProtoUDP, Ext: []craft.Ext{ext(60, craft.Options(6)), ext(0, craft.Options(6))}}, udp6), bad)
	add("routing header type 0 with segments left",
		ip6(craft.V6{Proto: craft.ProtoTCP, Ext: []craft.Ext{ext(43, append([]byte{0, 1, 0, 0, 0, 0}, w6.AsSlice()...))}}, syn6), srcRoute)
	long := ip6(craft.V6{Proto: craft.ProtoUDP, Ext: []craft.Ext{ext(60, craft.Options(6))}}, udp6)
	long[14+40+1] = 200 // the header claims 1608 bytes
	add("destination options longer than the packet", long, bad)
	add("experimental next header 253 after hop-by-hop",
		ip6(craft.V6{Proto: 253, Ext: []craft.Ext{ext(0, craft.Options(6))}}, payload), def)

	// IPv4 options and header fields (RFC 791 3.1).
	route := append([]byte{0, 7, 4}, w4.AsSlice()...)
	lsrr, ssrr := append([]byte{}, route...), append([]byte{}, route...)
	lsrr[0], ssrr[0] = 131, 137
	add("loose source route option", ip4(craft.V4{Proto: craft.ProtoTCP, Options: lsrr}, syn4), srcRoute)
	add("strict source route option", ip4(craft.V4{Proto: craft.ProtoTCP, Options: ssrr}, syn4), srcRoute)
	add("option length past the header", ip4(craft.V4{Proto: craft.ProtoTCP, Options: []byte{7, 40, 4}}, syn4), bad)
	add("reserved flag bit set", ip4(craft.V4{Proto: craft.ProtoTCP, Reserved: true}, syn4), bad)
	ihl := ip4(craft.V4{Proto: craft.ProtoTCP}, syn4)
	ihl[14] = 0x4f // a 60-byte header in a 40-byte packet
	add("header length past the total length", ihl, bad)

	// IPv4 fragments: tiny and overlapping (RFC 1858), orphans.
	add("tiny first fragment: 8 bytes of TCP", ip4(craft.V4{Proto: craft.ProtoTCP, ID: 0x5000, More: true}, syn4[:8]), bad)
	add("fragment rewriting the TCP header (offset 8)", ip4(craft.V4{Proto: craft.ProtoTCP, ID: 0x5000, FragOff: 8}, syn4[8:]), bad)
	big4 := craft.UDP(w4, l4, 40000, hostileUDPPort, bytes.Repeat(payload, 4))
	add("UDP first fragment", ip4(craft.V4{Proto: craft.ProtoUDP, ID: 0x5001, More: true}, big4[:32]), def)
	add("its second fragment", ip4(craft.V4{Proto: craft.ProtoUDP, ID: 0x5001, FragOff: 32, More: true}, big4[32:64]), orphan)
	add("a fragment overlapping both", ip4(craft.V4{Proto: craft.ProtoUDP, ID: 0x5001, FragOff: 16}, big4[16:]), orphan)
	add("a later fragment whose first never came", ip4(craft.V4{Proto: craft.ProtoUDP, ID: 0x5002, FragOff: 1480}, payload), orphan)

	// IPv6 fragments: the first must carry the upper-layer header (RFC 7112).
	add("IPv6 first fragment without the TCP header",
		ip6(craft.V6{Proto: craft.ProtoTCP, Ext: []craft.Ext{craft.Fragment(0, true, 0x6000), ext(60, craft.Options(22))}}, nil), bad)
	add("IPv6 first fragment with 8 bytes of TCP",
		ip6(craft.V6{Proto: craft.ProtoTCP, Ext: []craft.Ext{craft.Fragment(0, true, 0x6000)}}, syn6[:8]), bad)
	big6 := craft.UDP(w6, l6, 40000, hostileUDPPort, bytes.Repeat(payload, 4))
	add("IPv6 UDP first fragment", ip6(craft.V6{Proto: craft.ProtoUDP, Ext: []craft.Ext{craft.Fragment(0, true, 0x6001)}}, big6[:48]), def)
	add("IPv6 fragment overlapping it (offset 8)",
		ip6(craft.V6{Proto: craft.ProtoUDP, Ext: []craft.Ext{craft.Fragment(8, false, 0x6001)}}, big6[8:]), orphan)
	add("IPv6 later fragment whose first never came",
		ip6(craft.V6{Proto: craft.ProtoUDP, Ext: []craft.Ext{craft.Fragment(1232, false, 0x6002)}}, payload), orphan)
	add("IPv6 atomic fragment: TCP SYN", ip6(craft.V6{Proto: craft.ProtoTCP, Ext: []craft.Ext{craft.Fragment(0, false, 0x6003)}}, syn6), def)

	// TCP flag combinations without a state: none opens one from wan.
	for _, f := range []struct {
		name  string
		flags uint8
	}{
		{"SYN+FIN", craft.SYN | craft.FIN}, {"SYN+RST", craft.SYN | craft.RST}, {"FIN", craft.FIN},
		{"no flags (null scan)", 0}, {"FIN+PSH+URG (Christmas tree)", craft.FIN | craft.PSH | craft.URG},
		{"ACK", craft.ACK}, {"RST", craft.RST}, {"every flag", 0xff},
	} {
		seg := craft.TCPSeg{SrcPort: 40001, DstPort: hostileTCPPort, Seq: 5000, Ack: 7000, Flags: f.flags}
		add("TCP "+f.name, ip4(craft.V4{Proto: craft.ProtoTCP}, seg.Bytes(w4, l4)), def)
		add("IPv6 TCP "+f.name, ip6(craft.V6{Proto: craft.ProtoTCP}, seg.Bytes(w6, l6)), def)
	}

	// ICMP and ICMPv6 that is neither a reply nor what the link needs.
	quote4 := craft.V4{Src: l4, Dst: w4, Proto: craft.ProtoUDP}.Packet(craft.UDP(l4, w4, 45000, 9, nil))
	for _, m := range []struct {
		name      string
		typ, code uint8
		body      []byte
	}{
		{"echo request", 8, 0, payload}, {"echo reply nobody asked for", 0, 0, payload}, {"redirect", 5, 1, quote4},
		{"timestamp request", 13, 0, make([]byte, 12)}, {"router advertisement", 9, 0, make([]byte, 8)},
		{"port unreachable quoting an untracked flow", 3, 3, quote4},
	} {
		add("ICMP "+m.name, ip4(craft.V4{Proto: craft.ProtoICMP}, craft.ICMP(m.typ, m.code, 0x4242_0001, m.body)), def)
	}
	quote6 := craft.V6{Src: l6, Dst: w6, Proto: craft.ProtoUDP}.Packet(craft.UDP(l6, w6, 45000, 9, nil))
	for _, m := range []struct {
		name      string
		typ, code uint8
		body      []byte
	}{
		{"echo request", 128, 0, payload}, {"echo reply nobody asked for", 129, 0, payload},
		{"redirect", 137, 0, make([]byte, 32)}, {"router solicitation", 133, 0, nil},
		{"router advertisement from a global address", 134, 0, make([]byte, 8)},
		{"packet too big quoting an untracked flow", 2, 0, quote6}, {"node information query", 139, 0, make([]byte, 16)},
	} {
		add("ICMPv6 "+m.name, ip6(craft.V6{Proto: craft.ProtoICMPv6}, craft.ICMPv6(w6, l6, m.typ, m.code, 0x4242_0001, m.body)), def)
	}

	// Segments of the flow lan opened that its state does not allow.
	seg := func(seq, ack uint32, flags uint8, data []byte) []byte {
		s := craft.TCPSeg{SrcPort: flow.wanPort, DstPort: flow.lanPort, Seq: seq, Ack: ack, Flags: flags, Payload: data}
		return ip4(craft.V4{Proto: craft.ProtoTCP}, s.Bytes(w4, l4))
	}
	add("in lan's flow: a SYN from the responder", seg(flow.wanNext, 0, craft.SYN, nil), badState)
	add("in lan's flow: SYN+FIN", seg(flow.wanNext, flow.lanNext, craft.SYN|craft.FIN, nil), badState)
	add("in lan's flow: an ACK of data never sent", seg(flow.wanNext, flow.lanNext+100_000, craft.ACK, nil), badState)
	add("in lan's flow: data far past the window", seg(flow.wanNext+50_000_000, flow.lanNext, craft.ACK|craft.PSH, payload), badState)
	add("in lan's flow: a RST far behind the window", seg(flow.wanNext-50_000_000, flow.lanNext, craft.RST, nil), badState)
	return out
}
