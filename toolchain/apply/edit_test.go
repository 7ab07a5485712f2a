package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const sample = "//go:build plan9 || wasm\n\npackage p\n\nvar a = 1\nvar b = 2\n"

func TestApplyTextAndBuildHunks(t *testing.T) {
	goroot := writeTree(t, map[string]string{"src/p/p.go": sample, "src/p/q.go": sample})
	port := writeTree(t, map[string]string{
		"edits/a.edit": "# c\n--- src/p/p.go\n<<<<<<<\nvar a = 1\n=======\nvar a = 10\n>>>>>>>\n@build || tamago\n" +
			"--- src/p/q.go\n@build && !tamago\n",
		"overlay/src/p/new_tamago.go": "package p\n",
		"overlay/go.mod":              "module x\n",
	})
	if err := run(goroot, port, ""); err != nil {
		t.Fatal(err)
	}
	p := read(t, filepath.Join(goroot, "src/p/p.go"))
	if !strings.Contains(p, "//go:build plan9 || wasm || tamago\n") || !strings.Contains(p, "var a = 10\n") {
		t.Errorf("p.go not edited:\n%s", p)
	}
	if q := read(t, filepath.Join(goroot, "src/p/q.go")); !strings.HasPrefix(q, "//go:build (plan9 || wasm) && !tamago\n") {
		t.Errorf("q.go constraint:\n%s", q)
	}
	if _, err := os.Stat(filepath.Join(goroot, "go.mod")); err == nil {
		t.Error("overlay/go.mod was copied into GOROOT")
	}
	m := read(t, filepath.Join(goroot, manifestName))
	for _, want := range []string{" src/p/p.go\n", " src/p/q.go\n", " src/p/new_tamago.go\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest lacks %q:\n%s", want, m)
		}
	}
}

func TestApplyFailsLoudly(t *testing.T) {
	for name, tc := range map[string]struct{ edit, want string }{
		"missing":   {"--- src/p/p.go\n<<<<<<<\nvar c = 3\n=======\n>>>>>>>\n", "not found"},
		"twice":     {"--- src/p/p.go\n<<<<<<<\n\n=======\nx\n>>>>>>>\n", "6 times"},
		"no target": {"--- src/p/none.go\n<<<<<<<\nvar a\n=======\n>>>>>>>\n", "none.go"},
		"unclosed":  {"--- src/p/p.go\n<<<<<<<\nvar a = 1\n", "unterminated"},
		"again":     {"--- src/p/p.go\n@build || wasm\n", "already mentions"},
		"outside":   {"--- ../etc/passwd\n", "under src/"},
	} {
		t.Run(name, func(t *testing.T) {
			goroot := writeTree(t, map[string]string{"src/p/p.go": sample})
			port := writeTree(t, map[string]string{"edits/x.edit": tc.edit})
			err := run(goroot, port, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.edit") {
				t.Fatalf("err = %v, want one naming x.edit and %q", err, tc.want)
			}
		})
	}
}

func TestDevModeRestoresFromPristine(t *testing.T) {
	pristine := writeTree(t, map[string]string{"src/p/p.go": sample, "src/p/q.go": sample})
	goroot := writeTree(t, map[string]string{"src/p/p.go": sample, "src/p/q.go": sample})
	port := writeTree(t, map[string]string{
		"edits/a.edit":             "--- src/p/p.go\n@build || tamago\n--- src/p/q.go\n@build || tamago\n",
		"overlay/src/cmd/x/x.go":   "package x\n",
		"overlay/src/p/old_tam.go": "package p\n",
	})
	if err := run(goroot, port, pristine); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(goroot, builtName), []byte(read(t, filepath.Join(goroot, manifestName))), 0o644); err != nil {
		t.Fatal(err)
	}
	// The port drops q.go's edit and old_tam.go; re-applying twice must not
	// stack edits, and must restore q.go and remove old_tam.go.
	if err := os.WriteFile(filepath.Join(port, "edits/a.edit"), []byte("--- src/p/p.go\n@build || tamago\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(port, "overlay/src/p/old_tam.go")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := run(goroot, port, pristine); err != nil {
			t.Fatal(err)
		}
	}
	if q := read(t, filepath.Join(goroot, "src/p/q.go")); q != sample {
		t.Errorf("q.go not restored:\n%s", q)
	}
	if _, err := os.Stat(filepath.Join(goroot, "src/p/old_tam.go")); err == nil {
		t.Error("old_tam.go left behind")
	}
	if p := read(t, filepath.Join(goroot, "src/p/p.go")); strings.Count(p, "tamago") != 1 {
		t.Errorf("p.go edited more than once:\n%s", p)
	}
	if toolsChanged {
		t.Error("tools reported changed though no cmd/ file changed")
	}
	if err := os.WriteFile(filepath.Join(port, "overlay/src/cmd/x/x.go"), []byte("package x // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(goroot, port, pristine); err != nil {
		t.Fatal(err)
	}
	if !toolsChanged {
		t.Error("a changed cmd/ file was not reported")
	}
}

func TestPrepare(t *testing.T) {
	root := writeTree(t, map[string]string{
		"src/_go.mod":     "module std\n",
		"src/cmd/_go.mod": "module cmd\n",
		"src/make.bash":   "#!/bin/bash\n",
		"src/tool":        "#!/bin/sh\n",
		"src/a.go":        "package a\n",
		"bin/go":          "binary",
		"pkg/tool/x":      "binary",
	})
	if err := prepareTree(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"src/go.mod", "src/cmd/go.mod"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s not restored: %v", p, err)
		}
	}
	for _, p := range []string{"bin", "pkg", "src/_go.mod"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s still present", p)
		}
	}
	for p, exec := range map[string]bool{"src/make.bash": true, "src/tool": true, "src/a.go": false} {
		st, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode()&0o100 != 0; got != exec {
			t.Errorf("%s executable = %v, want %v", p, got, exec)
		}
	}
}
