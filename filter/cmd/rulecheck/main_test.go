package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestRun(t *testing.T) {
	var out, errs bytes.Buffer
	status := run([]string{"../../testdata/example.rules", "../../testdata/errors/undefined_table.rules", "missing.rules"}, &out, &errs)
	if status != 1 {
		t.Errorf("status %d, want 1", status)
	}
	if want := "../../testdata/example.rules: ok: 12 rules (6 stateful), 2 tables, default drop\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	e := errs.String()
	if !strings.Contains(e, "undefined_table.rules:2:14: undefined table <b>") || !strings.Contains(e, "missing.rules") {
		t.Errorf("stderr %q", e)
	}
	out.Reset()
	if status := run([]string{"../../testdata/example.rules"}, &out, &errs); status != 0 {
		t.Errorf("good file: status %d", status)
	}
}

// tcp builds an Ethernet/IPv4/TCP frame from src to dst with flags.
func tcp(src, dst [4]byte, sport, dport uint16, flags byte, seqAck ...uint32) []byte {
	f := make([]byte, 14+20+20)
	copy(f[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(f[6:12], []byte{2, 0, 0, 0, 0, 1})
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	ip[3] = 40
	copy(ip[12:], src[:])
	copy(ip[16:], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	ip[10], ip[11] = byte(^sum>>8), byte(^sum)
	t := ip[20:]
	t[0], t[1], t[2], t[3] = byte(sport>>8), byte(sport), byte(dport>>8), byte(dport)
	for i, v := range seqAck { // sequence, then acknowledgement number
		t[4+4*i], t[5+4*i], t[6+4*i], t[7+4*i] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	t[12], t[13] = 5<<4, flags
	t[14], t[15] = 0xff, 0xff
	return f
}

const replayRules = `
pass on lan keep state
set default drop
`

var (
	hostL = [4]byte{10, 1, 0, 2}
	hostR = [4]byte{10, 1, 0, 3}
)

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A pcapng capture with lan and wan interfaces: the handshake opened from
// lan passes both ways by its state, an unsolicited wan SYN is dropped.
func TestReplayPcapng(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "lan", LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wan, err := w.AddInterface(pcapgo.NgInterface{Name: "wan", LinkType: layers.LinkTypeEthernet, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	for i, fr := range []struct {
		ifc  int
		data []byte
	}{
		{0, tcp(hostL, hostR, 40000, 80, 0x02, 1000)},         // SYN from lan
		{wan, tcp(hostR, hostL, 80, 40000, 0x12, 5000, 1001)}, // SYN+ACK back: state
		{0, tcp(hostL, hostR, 40000, 80, 0x10, 1001, 5001)},   // ACK
		{wan, tcp(hostR, hostL, 22, 50000, 0x02)},             // unsolicited from wan
	} {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(fr.data), Length: len(fr.data), InterfaceIndex: fr.ifc}
		if err := w.WritePacket(ci, fr.data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	rules, capture := writeFile(t, "r.rules", []byte(replayRules)), writeFile(t, "c.pcapng", buf.Bytes())
	var out, errs bytes.Buffer
	if st := cli([]string{"-rules", rules, "-pcap", capture}, &out, &errs); st != 0 {
		t.Fatalf("status %d: %s", st, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, want := range []string{
		"1 0.000000 lan 54 bytes: pass rule 1 (line 2: pass on lan keep state)",
		"2 0.001000 wan 54 bytes: pass rule 1 (line 2: pass on lan keep state) state",
		"3 0.002000 lan 54 bytes: pass rule 1 (line 2: pass on lan keep state) state",
		"4 0.003000 wan 54 bytes: drop reason default-policy",
		"c.pcapng: 3 passed, 1 dropped, 0 rejected",
	} {
		if !strings.HasSuffix(lines[i], want) && !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], want)
		}
	}
}

// A classic pcap has no interface names: every frame is on -port.
func TestReplayPcapPort(t *testing.T) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	f := tcp(hostR, hostL, 80, 40000, 0x02)
	w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(f), Length: len(f)}, f)
	rules, capture := writeFile(t, "r.rules", []byte(replayRules)), writeFile(t, "c.pcap", buf.Bytes())
	for port, want := range map[string]string{"lan": "pass rule 1", "wan": "drop reason default-policy"} {
		var out, errs bytes.Buffer
		if st := cli([]string{"-rules", rules, "-pcap", capture, "-port", port}, &out, &errs); st != 0 || !strings.Contains(out.String(), port+" 54 bytes: "+want) {
			t.Errorf("-port %s: status %d, output %q %q", port, st, out.String(), errs.String())
		}
	}
}

// Bad input: a truncated capture, garbage, a bad rules file, bad flags.
func TestReplayBadInput(t *testing.T) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	f := tcp(hostL, hostR, 1, 2, 0x02)
	w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(f), Length: len(f)}, f)
	good := buf.Bytes()
	rules := writeFile(t, "r.rules", []byte(replayRules))
	for name, args := range map[string][]string{
		"truncated":  {"-rules", rules, "-pcap", writeFile(t, "t.pcap", good[:len(good)-10])},
		"garbage":    {"-rules", rules, "-pcap", writeFile(t, "g.pcap", []byte("not a capture at all"))},
		"empty":      {"-rules", rules, "-pcap", writeFile(t, "e.pcap", nil)},
		"bad rules":  {"-rules", writeFile(t, "b.rules", []byte("pass port 99999\n")), "-pcap", writeFile(t, "ok.pcap", good)},
		"bad port":   {"-rules", rules, "-pcap", writeFile(t, "ok2.pcap", good), "-port", "dmz"},
		"bad self":   {"-rules", rules, "-pcap", writeFile(t, "ok3.pcap", good), "-self", "10.0.0"},
		"no rules":   {"-pcap", writeFile(t, "ok4.pcap", good)},
		"both modes": {"-rules", rules, "-pcap", writeFile(t, "ok5.pcap", good), "x.rules"},
	} {
		var out, errs bytes.Buffer
		if st := cli(args, &out, &errs); st == 0 || errs.Len() == 0 {
			t.Errorf("%s: status %d, stderr %q", name, st, errs.String())
		}
	}
}
