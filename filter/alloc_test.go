// The hot path allocates nothing: Decide on pass, drop, reject, stateful,
// state-creating, fragment and malformed frames, AH, priority tags,
// negated sets, fragments overlapping headers, and BuildReply.

package filter

import "testing"

func TestDecideAllocatesNothing(t *testing.T) {
	rules := `table <bad> { 198.51.100.0/24, 2001:db8:bad::/48 }
drop in on wan from <bad>
reject in on wan proto tcp to any port 23
pass in on lan proto { tcp, udp } keep state
pass in on lan proto icmp limit 1000/s per-source
pass ether type arp
pass in on wan proto tcp from ! <bad> to any port 22
`
	e := newEngine(t, rules, Options{StateLimit: 1 << 12})
	now := int64(1)
	// An established TCP flow for the stateful case.
	c := &tcpConv{t: t, e: e, cseq: 1, sseq: 5000, cwscale: -1, swscale: -1}
	c.expect(true, flagSYN, 0, Pass)
	c.expect(false, flagSYN|flagACK, 0, Pass)
	c.expect(true, flagACK, 0, Pass)
	reply := seg4(server, client, tcpSeg{sport: 443, dport: 40000, flags: flagACK, seq: c.sseq, ack: c.cseq, wscale: -1, win: 8192})
	newFlow := udp4(client, server, 1, 53)
	first := ether(etIPv4, ipv4(client, server, protoUDP, udpSeg(9, 53, 24), ip4opt{id: 3, more: true}))
	later := ether(etIPv4, ipv4(client, server, protoUDP, make([]byte, 16), ip4opt{id: 3, fragOff: 32}))
	telnet := tcp4(client, server, 999, 23, flagSYN)
	ahSSH := append(ahHeader(protoTCP, 24), tcpSeg{sport: 999, dport: 22, flags: flagSYN, wscale: -1, payload: 20}.bytes()...)
	ahFirst := ether(etIPv4, ipv4(client, server, protoAH, ahSSH[:48], ip4opt{id: 4, more: true}))
	ahOverlap := ether(etIPv4, ipv4(client, server, protoAH, ahSSH[16:], ip4opt{id: 4, fragOff: 16}))
	buf := make([]byte, MaxReplyLen)
	cases := []struct {
		name  string
		frame []byte
		meta  Meta
		want  Action
		run   func()
	}{
		{"pass stateless", arpFrame(), inLAN, Pass, nil},
		{"drop by table", udp4("198.51.100.9", client, 1, 2), inWAN, Drop, nil},
		{"drop by default", udp6("2001:db8::1", "2001:db8::2", 1, 2), inWAN, Drop, nil},
		{"reject and build reply", telnet, inWAN, Reject, nil},
		{"stateful reply", reply, inWAN, Pass, nil},
		{"new state each time", newFlow, inLAN, Pass, func() { newFlow[14+20]++ }},
		{"rate limited per source", ping4(client, server, 8, 1), inLAN, Pass, nil},
		{"first fragment", first, inLAN, Pass, nil},
		{"later fragment", later, inLAN, Pass, nil},
		{"malformed", telnet[:30], inWAN, Drop, nil},
		{"ipv4 AH, negated table", ether(etIPv4, ipv4(client, server, protoAH, ahSSH, ip4opt{})), inWAN, Pass, nil},
		{"priority-tagged", tag(udp4(client, server, 1, 53), 0x8100, 0x2000), inLAN, Pass, nil},
		{"AH first fragment", ahFirst, inWAN, Pass, nil},
		{"later fragment over its headers", ahOverlap, inWAN, Drop, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v Verdict
			allocs := testing.AllocsPerRun(200, func() {
				now += 1e6
				if tc.run != nil {
					tc.run()
				}
				v = e.Decide(tc.frame, at(tc.meta, now))
				if v.Action == Reject {
					BuildReply(tc.frame, v, buf)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per Decide", allocs)
			}
			if v.Action != tc.want {
				t.Errorf("verdict %v (%v), want %v", v.Action, v.Reason, tc.want)
			}
		})
	}
}

// With DeferPublish the per-frame counters reach Snapshot only through
// Publish, and Decide still allocates nothing.
func TestDeferPublish(t *testing.T) {
	e := newEngine(t, "pass proto udp\nset default drop\n", Options{DeferPublish: true})
	f := udp4(client, server, 1, 53)
	for i := range 3 {
		e.Decide(f, at(inLAN, int64(i)))
	}
	e.Decide(ping4(client, server, 8, 1), at(inLAN, 4))
	if s := e.Snapshot(); s.Verdicts[Pass] != 0 || s.Rules[0].Packets != 0 {
		t.Fatalf("counters visible before Publish: %+v", s)
	}
	e.Publish()
	s := e.Snapshot()
	if s.Verdicts[Pass] != 3 || s.Verdicts[Drop] != 1 || s.Reasons[ReasonDefault] != 1 || s.Rules[0].Packets != 3 || s.Rules[0].Bytes != 3*uint64(len(f)) {
		t.Fatalf("after Publish: verdicts %v reasons %v rule %+v", s.Verdicts, s.Reasons, s.Rules[0])
	}
	allocs := testing.AllocsPerRun(1000, func() {
		e.Decide(f, at(inLAN, 5))
		e.Publish()
	})
	if allocs != 0 {
		t.Fatalf("Decide+Publish allocate %v", allocs)
	}
	// A reload between batches: the new program counts from zero.
	if err := e.Reload([]byte("pass proto udp\n")); err != nil {
		t.Fatal(err)
	}
	e.Decide(f, at(inLAN, 6))
	e.Publish()
	if s := e.Snapshot(); s.Rules[0].Packets != 1 {
		t.Fatalf("after a reload: %+v", s.Rules[0])
	}
}
