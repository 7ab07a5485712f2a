// Tests of the rule language: accepted syntax (table-driven, checking the
// parsed fields) and error messages (golden files, -update to rewrite).

package filter

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/errors/*.golden")

func TestErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.rules")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".rules")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := loadError(name+".rules", src)
			if got == "" {
				t.Fatalf("%s loaded without error", f)
			}
			golden := strings.TrimSuffix(f, ".rules") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestErrorsGolden -update)", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("error mismatch\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// loadError returns the text of the first parse or compile error, or "".
func loadError(name string, src []byte) string {
	rs, err := Parse(name, src)
	if err == nil {
		_, err = Compile(rs, Options{})
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestErrorPositions(t *testing.T) {
	_, err := Parse("f.rules", []byte("pass in\n\n  pass in from <nope>\ndrop bogus\n"))
	list, ok := err.(ErrorList)
	if !ok || len(list) != 1 {
		// bogus is reported first (parsing), the table check only runs on a
		// file that otherwise parsed.
		if !ok || len(list) == 0 {
			t.Fatalf("got %v, want an ErrorList", err)
		}
	}
	e := list[0]
	if e.Pos != (Pos{File: "f.rules", Line: 4, Col: 6}) {
		t.Errorf("position %v, want f.rules:4:6", e.Pos)
	}
	_, err = Parse("f.rules", []byte("pass in\n\n  pass in from <nope>\n"))
	if err == nil || err.Error() != "f.rules:3:16: undefined table <nope>" {
		t.Errorf("got %v", err)
	}
}

func TestExampleFileParses(t *testing.T) {
	src, err := os.ReadFile("testdata/example.rules")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse("example.rules", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(rs, Options{}); err != nil {
		t.Fatal(err)
	}
	if rs.Default != Drop || !rs.DefaultLog || len(rs.Tables) != 2 || len(rs.Self) != 2 {
		t.Errorf("settings: default %v log %v tables %d self %d", rs.Default, rs.DefaultLog, len(rs.Tables), len(rs.Self))
	}
	if len(rs.Rules) != 12 {
		t.Errorf("%d rules, want 12", len(rs.Rules))
	}
}

func mustPrefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func TestParseRules(t *testing.T) {
	mac := [6]byte{0x02, 0, 0, 0, 0, 0x01}
	tests := []struct {
		name  string
		src   string
		check func(r *Rule) bool
	}{
		{"action pass", "pass", func(r *Rule) bool { return r.Action == Pass }},
		{"action block is drop", "block", func(r *Rule) bool { return r.Action == Drop }},
		{"action reject log", "reject log", func(r *Rule) bool { return r.Action == Reject && r.Log }},
		{"direction and port", "pass out on wan", func(r *Rule) bool { return r.Dir == Out && r.On == "wan" }},
		{"vlan single", "pass vlan 100", func(r *Rule) bool {
			return reflect.DeepEqual(r.VLANs, []VLANSpec{{Outer: 100, Inner: -1}})
		}},
		{"vlan qinq and none", "pass vlan { 100.200, none, *.7 }", func(r *Rule) bool {
			return reflect.DeepEqual(r.VLANs, []VLANSpec{{Outer: 100, Inner: 200}, {Untagged: true, Outer: -1, Inner: -1}, {Outer: -1, Inner: 7}})
		}},
		{"ether type names and numbers", "pass ether type { arp, 0x88cc }", func(r *Rule) bool {
			return reflect.DeepEqual(r.EthType, []uint16{0x0806, 0x88cc})
		}},
		{"ether src and dst", "pass ether src 02:00:00:00:00:01 ether dst 02:00:00:00:00:01", func(r *Rule) bool {
			return len(r.MACSrc) == 1 && r.MACSrc[0] == mac && len(r.MACDst) == 1 && r.MACDst[0] == mac
		}},
		{"ether src list", "pass ether src { 02:00:00:00:00:01, 02:00:00:00:00:02 }", func(r *Rule) bool {
			return len(r.MACSrc) == 2 && r.MACSrc[0] == mac && r.MACSrc[1][5] == 2
		}},
		{"family", "pass inet6", func(r *Rule) bool { return r.Family == 6 }},
		{"proto list", "pass proto { tcp, udp, 47 }", func(r *Rule) bool { return reflect.DeepEqual(r.Protos, []uint8{6, 17, 47}) }},
		{"from cidr to hosts", "pass from 10.0.0.0/8 to { 192.0.2.1, 2001:db8::1 }", func(r *Rule) bool {
			return reflect.DeepEqual(r.From.Prefixes, mustPrefixes("10.0.0.0/8")) && reflect.DeepEqual(r.To.Prefixes, mustPrefixes("192.0.2.1/32", "2001:db8::1/128"))
		}},
		{"negated list with table and self", "table <t> { 1.2.3.4 }\npass to ! { <t>, self, 10.0.0.0/8 }", func(r *Rule) bool {
			return r.To.Not && r.To.Self && reflect.DeepEqual(r.To.Tables, []string{"t"}) && len(r.To.Prefixes) == 1
		}},
		{"ports", "pass proto tcp from any port 1024-65535 to any port { ssh, 80, 8000-8080 }", func(r *Rule) bool {
			return reflect.DeepEqual(r.SrcPort.Ranges, []PortRange{{1024, 65535}}) &&
				reflect.DeepEqual(r.DstPort.Ranges, []PortRange{{22, 22}, {80, 80}, {8000, 8080}})
		}},
		{"negated port", "pass proto udp to any port ! 53", func(r *Rule) bool { return r.DstPort.Not }},
		{"icmp type and code", "pass proto icmp icmp-type unreach code 4", func(r *Rule) bool {
			return r.ICMPType == 3 && r.ICMPCode == 4
		}},
		{"icmp6 type implies proto", "pass icmp6-type echo-request", func(r *Rule) bool {
			return r.ICMPType == 128 && reflect.DeepEqual(r.Protos, []uint8{58})
		}},
		{"flags", "pass proto tcp flags S/SA", func(r *Rule) bool { return r.FlagsSet && r.Flags == flagSYN && r.FlagsMask == flagSYN|flagACK }},
		{"flags without mask", "pass proto tcp flags SA", func(r *Rule) bool { return r.Flags == flagSYN|flagACK && r.FlagsMask == 0xff }},
		{"keep state mgmt label", `pass proto tcp keep state mgmt label "ssh in"`, func(r *Rule) bool {
			return r.KeepState && r.Mgmt && r.Label == "ssh in"
		}},
		{"limit", "pass proto icmp limit 100/m burst 5 per-source", func(r *Rule) bool {
			return r.Limit.Rate == 100 && r.Limit.Per == 60 && r.Limit.Burst == 5 && r.Limit.PerSource
		}},
		{"continuation and comment", "pass in \\\n proto tcp # ssh\n", func(r *Rule) bool {
			return r.Dir == In && len(r.Protos) == 1
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Parse("t", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs.Rules) != 1 {
				t.Fatalf("%d rules", len(rs.Rules))
			}
			if !tc.check(rs.Rules[0]) {
				t.Errorf("parsed %+v", *rs.Rules[0])
			}
		})
	}
}

func TestParseSettings(t *testing.T) {
	rs, err := Parse("t", []byte("set default reject\nset fragments drop\nset self { 192.0.2.1, 2001:db8::1 }\ntable <e> { }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Default != Reject || rs.Fragments != FragDrop || len(rs.Self) != 2 || rs.Tables["e"] == nil {
		t.Errorf("got %+v", rs)
	}
	rs, _ = Parse("t", nil)
	if rs.Default != Drop {
		t.Errorf("empty file default %v, want drop", rs.Default)
	}
}

func TestParseCRLFAndErrorCap(t *testing.T) {
	rs, err := Parse("w", []byte("table <a> {\r\n 10.0.0.0/8\r\n}\r\npass from <a>\r\n"))
	if err != nil || len(rs.Rules) != 1 || len(rs.Tables["a"].Prefixes) != 1 {
		t.Fatalf("CRLF file: %v", err)
	}
	bad := strings.Repeat("frobnicate\n", 25)
	_, err = Parse("many", []byte(bad))
	list, ok := err.(ErrorList)
	if !ok || len(list) != maxErrors || list[maxErrors-1].Pos.Line != maxErrors {
		t.Fatalf("got %d errors (%v), want the first %d", len(list), err, maxErrors)
	}
}

// Numbers are decimal or 0x hex everywhere (ports, VLAN ids, ICMP types
// and codes, protocols, limits); a lone 0 is zero, not an octal prefix.
func TestParseNumbers(t *testing.T) {
	rs, err := Parse("n", []byte("pass proto tcp from any port 0 to any port { 0x50, 8080 } vlan 0x10.100\n"+
		"pass proto 0x11\npass proto icmp icmp-type 0x8 code 0 limit 0x10/s burst 20\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := rs.Rules[0]
	if r.SrcPort.Ranges[0] != (PortRange{0, 0}) || r.DstPort.Ranges[0] != (PortRange{80, 80}) || r.DstPort.Ranges[1] != (PortRange{8080, 8080}) ||
		r.VLANs[0] != (VLANSpec{Outer: 16, Inner: 100}) {
		t.Errorf("rule 1: %+v %+v %+v", r.SrcPort, r.DstPort, r.VLANs)
	}
	if p := rs.Rules[1].Protos; len(p) != 1 || p[0] != 17 {
		t.Errorf("proto 0x11: %v", p)
	}
	if r := rs.Rules[2]; r.ICMPType != 8 || r.ICMPCode != 0 || r.Limit.Rate != 16 || r.Limit.Burst != 20 {
		t.Errorf("rule 3: type %d code %d limit %+v", r.ICMPType, r.ICMPCode, r.Limit)
	}
	_, err = Parse("n", []byte("pass proto tcp to any port 99999999999999999999999\n"))
	if err == nil || err.Error() != "n:1:28: port 99999999999999999999999 out of range (0-65535)" {
		t.Errorf("huge port: %v", err)
	}
}
