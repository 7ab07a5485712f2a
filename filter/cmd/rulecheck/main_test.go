package main

import (
	"bytes"
	"strings"
	"testing"
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
