// The hostile frames' expected drop reasons, checked on the host through
// the filter engine with the firmware's default rules and addresses, so
// that the QEMU test compares the appliance's counters with reasons that
// are known to be right.
package hwtests

import (
	"net/netip"
	"os"
	"testing"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/hw-tests/craft"
	"github.com/fosbury-net/fosbury/netstack"
)

// defaultEngine is the filter as the firmware sets it up.
func defaultEngine(t *testing.T) *filter.Engine {
	t.Helper()
	conf, err := os.ReadFile("../firmware/internal/defaults/fosbury.conf")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile("../firmware/internal/defaults/fosbury.rules")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := netstack.ParseConfig("fosbury.conf", conf)
	if err != nil {
		t.Fatal(err)
	}
	e := filter.NewEngine(filter.Options{Self: cfg.SelfPrefixes()})
	if err := e.Load("fosbury.rules", rules); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHostileFramesReasons(t *testing.T) {
	e := defaultEngine(t)
	now := int64(1e9)
	decide := func(f []byte, port uint8) filter.Verdict {
		now += 1e6
		return e.Decide(f, filter.Meta{Port: port, Dir: filter.In, Now: now})
	}
	flow := tcpFlow{lanPort: 45678, wanPort: 7100, lanNext: 1_000_001, wanNext: 3_000_000_001}
	lanToWan := craft.Eth{Dst: wanHostMAC, Src: lanHostMAC}
	wanToLAN := craft.Eth{Dst: lanHostMAC, Src: wanHostMAC}
	hs := []struct {
		eth      craft.Eth
		port     uint8
		src, dst netip.Addr
		sp, dp   uint16
		seq, ack uint32
		flags    uint8
	}{
		{lanToWan, 0, lanHostV4, wanHostV4, flow.lanPort, flow.wanPort, flow.lanNext - 1, 0, craft.SYN},
		{wanToLAN, 1, wanHostV4, lanHostV4, flow.wanPort, flow.lanPort, flow.wanNext - 1, flow.lanNext, craft.SYN | craft.ACK},
		{lanToWan, 0, lanHostV4, wanHostV4, flow.lanPort, flow.wanPort, flow.lanNext, flow.wanNext, craft.ACK},
	}
	for i, h := range hs {
		seg := craft.TCPSeg{SrcPort: h.sp, DstPort: h.dp, Seq: h.seq, Ack: h.ack, Flags: h.flags}.Bytes(h.src, h.dst)
		f := h.eth.Frame(craft.IPv4, craft.V4{Src: h.src, Dst: h.dst, Proto: craft.ProtoTCP}.Packet(seg))
		if v := decide(f, h.port); v.Action != filter.Pass {
			t.Fatalf("handshake segment %d: %v", i, v)
		}
	}
	counts := map[filter.Reason]int{}
	for _, h := range hostileFrames(flow) {
		v := decide(h.frame, 1)
		if v.Action != filter.Drop || v.Reason != h.reason {
			t.Errorf("%s: %v, want a drop (%v)", h.name, v, h.reason)
		}
		counts[h.reason]++
	}
	t.Logf("%d hostile frames by reason: %v", len(hostileFrames(flow)), counts)
}

// A lan host sends more data than its own receive window before the wan
// host acknowledges any of it, which the wan host's large window allows;
// the first ACK then lags the data by more than the filter accepts and is
// dropped as bad-state. Under QEMU this shows as thousands of bad-state
// drops per iperf3 run and as a download that never resumes after a link
// flap (the data lost while the link was down leaves every later ACK
// lagging). The lag bound in filter/tcptrack.go (update: dst.maxWin) is
// the data sender's window where the receiver's (src.maxWin) bounds what
// can be in flight.
func TestTCPAckLagWithinReceiverWindow(t *testing.T) {
	e := defaultEngine(t)
	now := int64(1e9)
	seg := func(fromLAN bool, seq, ack uint32, flags uint8, win uint16, n int, wscale bool) filter.Verdict {
		src, dst, eth, port, sp, dp := lanHostV4, wanHostV4, craft.Eth{Dst: wanHostMAC, Src: lanHostMAC}, uint8(0), uint16(40000), uint16(5201)
		if !fromLAN {
			src, dst, eth, port, sp, dp = wanHostV4, lanHostV4, craft.Eth{Dst: lanHostMAC, Src: wanHostMAC}, 1, 5201, 40000
		}
		b := craft.TCPSeg{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Flags: flags, Window: win, Payload: make([]byte, n)}.Bytes(src, dst)
		if wscale { // window scale 7 (RFC 7323 2.2), as Linux offers; the checksum is not checked
			b = append(append(append([]byte{}, b[:20]...), 1, 3, 3, 7), b[20:]...)
			b[12] = 6 << 4
		}
		now += 1e5
		return e.Decide(eth.Frame(craft.IPv4, craft.V4{Src: src, Dst: dst, Proto: craft.ProtoTCP}.Packet(b)), filter.Meta{Port: port, Now: now})
	}
	l, w := uint32(1000), uint32(5000)
	for i, v := range []filter.Verdict{
		seg(true, l, 0, craft.SYN, 64240, 0, true),
		seg(false, w, l+1, craft.SYN|craft.ACK, 65160, 0, true),
		seg(true, l+1, w+1, craft.ACK, 502, 0, false),    // lan's window: 64 KiB
		seg(false, w+1, l+1, craft.ACK, 24000, 0, false), // wan's: 3 MiB
	} {
		if v.Action != filter.Pass {
			t.Fatalf("handshake segment %d: %v", i, v)
		}
	}
	const mss, n = 1448, 200 // 290 KB in flight, a tenth of wan's window
	for i := uint32(0); i < n; i++ {
		if v := seg(true, l+1+i*mss, w+1, craft.ACK, 502, mss, false); v.Action != filter.Pass {
			t.Fatalf("data segment %d: %v", i, v)
		}
	}
	if v := seg(false, w+1, l+1+mss, craft.ACK, 24000, 0, false); v.Action != filter.Pass {
		t.Errorf("wan's ACK of lan's first segment, %d bytes behind lan's data: %v", (n-1)*mss, v)
	}
}
