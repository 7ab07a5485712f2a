package rfc5424

import "testing"

func TestParse(t *testing.T) {
	m, err := Parse([]byte(`<133>1 2026-01-02T03:04:05.000006Z 10.0.2.15 fosbury - rule [meta sequenceId="7"][rule@32473 label="a \"b\" \] c\\"] drop tcp`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Facility != 16 || m.Severity != 5 || m.Timestamp.Nanosecond() != 6000 || m.Hostname != "10.0.2.15" || m.MsgID != "rule" ||
		m.SD["meta"]["sequenceId"] != "7" || m.SD["rule@32473"]["label"] != `a "b" ] c\` || m.Msg != "drop tcp" {
		t.Fatalf("%+v", m)
	}
	for _, bad := range []string{"", "<>1 - - - - - -", "<13>2 - h a - m -", "<13>1 - h a - m [x a=\"b]", "<13>1 - h a - m [x a=\"]\"]", "<13>1 - h a - m -x"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<133>1 - h fosbury - rule [meta sequenceId="1"] x`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := Parse(b); err == nil && (m.Severity > 7 || m.Facility > 23) {
			t.Fatalf("PRI out of range: %+v", m)
		}
	})
}
