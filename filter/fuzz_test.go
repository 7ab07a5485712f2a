// Fuzz tests: the rule parser and compiler on arbitrary text, and the
// engine on arbitrary frames (no panic, frame untouched, compiled matcher
// agrees with the naive one, replies stay in bounds).

package filter

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	if src, err := os.ReadFile("testdata/example.rules"); err == nil {
		f.Add(src)
	}
	files, _ := filepath.Glob("testdata/errors/*.rules")
	for _, fn := range files {
		if src, err := os.ReadFile(fn); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("table <a> { 10.0.0.0/8 \\\n 2001:db8::/32 }\npass from <a> to ! { self, <a> } port { 1-2, ssh }\n"))
	f.Add([]byte("pass vlan { 1.2, none } ether src 02:00:00:00:00:01 flags S/SA limit 5/m burst 9 per-source label \"x\""))
	f.Fuzz(func(t *testing.T, src []byte) {
		rs, err := Parse("fuzz", src)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok || len(list) == 0 || len(list) > maxErrors {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz" || e.Msg == "" {
					t.Fatalf("error without a position or message: %#v", e)
				}
				if e.Pos.Line > bytes.Count(src, []byte("\n"))+1 {
					t.Fatalf("line %d beyond the file", e.Pos.Line)
				}
			}
			return
		}
		prog, err := Compile(rs, Options{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("compile error without position: %v", err)
			}
			return
		}
		if prog.Len() != len(rs.Rules) {
			t.Fatalf("%d compiled rules for %d parsed", prog.Len(), len(rs.Rules))
		}
	})
}

const fuzzRules = `set self { 192.0.2.1 }
table <t> { 10.0.0.0/8, 2001:db8::/32 }
pass in on lan proto tcp from <t> to any port { 22, 80-90 } keep state
pass proto udp to ! self port 53 keep state limit 100/s per-source
pass proto icmp icmp-type echo-request keep state
pass icmp6-type echo-request keep state
reject in on wan proto { tcp, udp }
reject inet6
pass vlan 10.20 ether type { arp, ipv4 }
drop ether src 02:00:00:00:00:0a
pass proto tcp from ! <t> to any port 0x50
pass vlan none proto udp to ! 192.0.2.0/24 port 9
set default reject
`

func FuzzDecide(f *testing.F) {
	seeds := [][]byte{
		tcp4(client, server, 1, 22, flagSYN), udp4(client, server, 1, 53), ping4(client, server, 8, 1),
		tcp6("2001:db8::1", "2001:db8::2", 1, 22, flagSYN), ping6("2001:db8::1", "2001:db8::2", 128, 1),
		tag(tag(arpFrame(), 0x8100, 20), 0x88a8, 10),
		ether(etIPv6, ipv6("2001:db8::1", "2001:db8::2", protoUDP, udpSeg(1, 53, 8), ext{typ: 0, body: make([]byte, 6)}, fragExt(0, true, 5))),
		ether(etIPv4, ipv4(client, server, protoUDP, udpSeg(1, 53, 8), ip4opt{more: true, options: []byte{1, 1, 1, 0}})),
		ether(etIPv4, ipv4(server, client, protoICMP, append(icmpMsg(3, 3, 0), udp4(client, server, 1, 53)[14:42]...), ip4opt{})),
		ether(etIPv4, ipv4(client, server, protoAH, append(ahHeader(protoTCP, 16), tcpSeg{sport: 1, dport: 80, flags: flagSYN, wscale: -1}.bytes()...), ip4opt{})),
		ether(etIPv4, ipv4(client, server, protoAH, append(ahHeader(protoUDP, 12), udpSeg(1, 9, 8)...), ip4opt{id: 3, more: true})),
		tag(udp4(client, server, 1, 9), 0x8100, 0x2000),
	}
	for _, s := range seeds {
		f.Add(s, uint8(0), false)
		f.Add(s, uint8(1), true)
	}
	f.Fuzz(func(t *testing.T, frame []byte, port uint8, out bool) {
		e := newEngine(t, fuzzRules, Options{StateLimit: 64, RejectBurst: 1000})
		rs, _ := Parse("f", []byte(fuzzRules))
		nv := newNaive(rs, Options{})
		m := Meta{Port: port % 3, Dir: In, Now: 1}
		if out {
			m.Dir = Out
		}
		keep := append([]byte(nil), frame...)
		buf := make([]byte, MaxReplyLen)
		for i := 0; i < 2; i++ { // twice: the second may hit a state
			v := e.Decide(frame, m)
			if !bytes.Equal(frame, keep) {
				t.Fatal("Decide wrote to the frame")
			}
			if v.Action > Reject || v.Reason >= NumReasons || v.Rule >= int32(len(rs.Rules)) || v.Rule < -1 {
				t.Fatalf("bad verdict %+v", v)
			}
			if v.Action == Reject && v.Reply != ReplyNone {
				n, err := BuildReply(frame, v, buf)
				if err != nil || n > len(buf) || n < 14 {
					t.Fatalf("reply %d %v", n, err)
				}
				var p pkt
				if !decode(buf[:n], &p) {
					t.Fatalf("our own reply does not decode: %x", buf[:n])
				}
			}
			m.Now += 1e9
		}
		var p pkt
		p.port, p.dir = m.Port, m.Dir
		if decode(frame, &p) {
			if got, want := e.Program().match(&p), nv.match(&p); got != want {
				t.Fatalf("compiled rule %d, naive %d", got, want)
			}
		}
	})
}
