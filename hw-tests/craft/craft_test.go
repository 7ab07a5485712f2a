// The crafted headers are checked against gVisor's header package, an
// independent reading of the same RFCs: lengths, checksums and the IPv6
// extension chain.
package craft

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var (
	a4, b4 = netip.MustParseAddr("10.0.2.30"), netip.MustParseAddr("10.0.2.20")
	a6, b6 = netip.MustParseAddr("fd00::30"), netip.MustParseAddr("fd00::20")
)

func taddr(a netip.Addr) tcpip.Address { return tcpip.AddrFromSlice(a.AsSlice()) }

func TestEthTags(t *testing.T) {
	e := Eth{Dst: net.HardwareAddr{2, 0, 0, 0, 0, 0x20}, Src: net.HardwareAddr{2, 0, 0, 0, 0, 0x30},
		Tags: []Tag{{Dot1A, 100}, {Dot1Q, 0x1234}}}
	f := e.Frame(IPv4, []byte{0xaa})
	want := []byte{2, 0, 0, 0, 0, 0x20, 2, 0, 0, 0, 0, 0x30, 0x88, 0xa8, 0, 100, 0x81, 0, 0x02, 0x34, 0x08, 0, 0xaa}
	if !bytes.Equal(f, want) {
		t.Errorf("frame % x\nwant  % x", f, want)
	}
}

func TestIPv4TCP(t *testing.T) {
	seg := TCPSeg{SrcPort: 1234, DstPort: 80, Seq: 7, Ack: 9, Flags: SYN | ACK, Payload: []byte("hello")}.Bytes(a4, b4)
	pkt := V4{Src: a4, Dst: b4, Proto: ProtoTCP, ID: 42, Options: []byte{1, 1, 1}}.Packet(seg)
	ip := header.IPv4(pkt)
	if !ip.IsValid(len(pkt)) || !ip.IsChecksumValid() || ip.HeaderLength() != 24 || ip.Protocol() != ProtoTCP || ip.ID() != 42 {
		t.Fatalf("IPv4 header % x", pkt[:24])
	}
	tcp := header.TCP(ip.Payload())
	payload := tcp.Payload()
	if tcp.Flags() != header.TCPFlagSyn|header.TCPFlagAck || string(payload) != "hello" ||
		!tcp.IsChecksumValid(taddr(a4), taddr(b4), checksum.Checksum(payload, 0), uint16(len(payload))) {
		t.Errorf("TCP segment % x", seg)
	}
	frag := V4{Src: a4, Dst: b4, Proto: ProtoUDP, FragOff: 16, More: true}.Packet(make([]byte, 8))
	if h := header.IPv4(frag); h.FragmentOffset() != 16 || h.Flags()&header.IPv4FlagMoreFragments == 0 || !h.IsChecksumValid() {
		t.Errorf("fragment header % x", frag[:20])
	}
}

func TestIPv6ChainUDP(t *testing.T) {
	u := UDP(a6, b6, 53, 4000, []byte("payload"))
	pkt := V6{Src: a6, Dst: b6, Proto: ProtoUDP, Ext: []Ext{
		{0, Options(6)}, {60, Options(14)}, {43, []byte{2, 0, 0, 0, 0, 0}}, Fragment(0, false, 9),
	}}.Packet(u)
	ip := header.IPv6(pkt)
	if !ip.IsValid(len(pkt)) || ip.NextHeader() != 0 {
		t.Fatalf("IPv6 header % x", pkt[:40])
	}
	it := header.MakeIPv6PayloadIterator(header.IPv6ExtensionHeaderIdentifier(ip.NextHeader()), buffer.MakeWithData(ip.Payload()))
	exts := 0
	for {
		h, done, err := it.Next()
		if err != nil || done {
			t.Fatalf("chain ends early (%v) after %d headers", err, exts)
		}
		if raw, ok := h.(header.IPv6RawPayloadHeader); ok {
			got := raw.Buf.Flatten()
			if raw.Identifier != ProtoUDP || !bytes.Equal(got, u) {
				t.Errorf("upper layer %d % x", raw.Identifier, got)
			}
			break
		}
		exts++
		h.Release()
	}
	if exts != 4 {
		t.Errorf("%d extension headers walked, want 4", exts)
	}
	if !header.UDP(u).IsChecksumValid(taddr(a6), taddr(b6), checksum.Checksum(u[8:], 0)) {
		t.Error("UDP checksum")
	}
}

func TestICMPChecksums(t *testing.T) {
	m := ICMP(8, 0, 0x00070001, []byte("ping"))
	if checksum.Checksum(m, 0) != 0xffff {
		t.Errorf("ICMP checksum % x", m)
	}
	m6 := ICMPv6(a6, b6, 128, 0, 0x00070001, []byte("ping"))
	want := header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: m6[:8], Src: taddr(a6), Dst: taddr(b6),
		PayloadCsum: checksum.Checksum(m6[8:], 0), PayloadLen: len(m6) - 8})
	if header.ICMPv6(m6).Checksum() != want {
		t.Errorf("ICMPv6 checksum %#x, gVisor computes %#x", header.ICMPv6(m6).Checksum(), want)
	}
}
