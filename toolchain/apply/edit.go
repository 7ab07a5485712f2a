// Parsing and application of *.edit files: exact-match text hunks and
// build-constraint hunks, each failing loudly with file, hunk and target.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// hunk is one change to one target file.
type hunk struct {
	line     int    // line of the hunk in the edit file, for messages
	old, new string // text hunk: old must occur exactly once
	build    string // build hunk: "|| term" or "&& term"
}

// fileEdit groups the hunks of one edit file that apply to one target.
type fileEdit struct {
	source string // edit file name
	target string // slash path relative to GOROOT, e.g. src/runtime/os.go
	hunks  []hunk
}

func loadEdits(dir string) ([]fileEdit, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.edit"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []fileEdit
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		fe, err := parseEdit(filepath.Base(n), string(data))
		if err != nil {
			return nil, err
		}
		out = append(out, fe...)
	}
	return out, nil
}

func parseEdit(name, text string) ([]fileEdit, error) {
	lines := strings.SplitAfter(text, "\n")
	var out []fileEdit
	cur := -1
	errf := func(ln int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, ln, fmt.Sprintf(format, args...))
	}
	for i := 0; i < len(lines); i++ {
		ln := i + 1
		l := strings.TrimRight(lines[i], "\n")
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "--- "):
			target := strings.TrimSpace(l[4:])
			if !strings.HasPrefix(target, "src/") || strings.Contains(target, "..") {
				return nil, errf(ln, "target %q must be a path under src/", target)
			}
			out = append(out, fileEdit{source: name, target: target})
			cur = len(out) - 1
		case strings.HasPrefix(l, "@build "):
			if cur < 0 {
				return nil, errf(ln, "@build before any --- target line")
			}
			op := strings.TrimSpace(l[len("@build "):])
			if !strings.HasPrefix(op, "|| ") && !strings.HasPrefix(op, "&& ") {
				return nil, errf(ln, "@build wants '|| term' or '&& term', got %q", op)
			}
			out[cur].hunks = append(out[cur].hunks, hunk{line: ln, build: op})
		case l == "<<<<<<<":
			if cur < 0 {
				return nil, errf(ln, "hunk before any --- target line")
			}
			var old, new strings.Builder
			dst := &old
			j := i + 1
			closed := false
			for ; j < len(lines); j++ {
				t := strings.TrimRight(lines[j], "\n")
				if t == "=======" && dst == &old {
					dst = &new
					continue
				}
				if t == ">>>>>>>" && dst == &new {
					closed = true
					break
				}
				dst.WriteString(t + "\n")
			}
			if !closed {
				return nil, errf(ln, "unterminated hunk (want ======= then >>>>>>>)")
			}
			if old.Len() == 0 {
				return nil, errf(ln, "hunk with empty old text")
			}
			out[cur].hunks = append(out[cur].hunks, hunk{line: ln, old: old.String(), new: new.String()})
			i = j
		default:
			return nil, errf(ln, "unexpected line %q", l)
		}
	}
	return out, nil
}

func (fe fileEdit) apply(goroot string) error {
	path := filepath.Join(goroot, filepath.FromSlash(fe.target))
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: target %s: %v", fe.source, fe.target, err)
	}
	text := string(data)
	for _, h := range fe.hunks {
		where := fmt.Sprintf("%s:%d (hunk) on %s", fe.source, h.line, fe.target)
		if h.build != "" {
			text, err = editBuild(text, h.build)
			if err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
			continue
		}
		switch n := strings.Count(text, h.old); n {
		case 1:
			text = strings.Replace(text, h.old, h.new, 1)
		case 0:
			return fmt.Errorf("%s: old text not found:\n%s", where, h.old)
		default:
			return fmt.Errorf("%s: old text found %d times, want exactly once:\n%s", where, n, h.old)
		}
	}
	return writeFile(path, []byte(text))
}

// editBuild combines term into the single //go:build line of text.
func editBuild(text, op string) (string, error) {
	lines := strings.SplitAfter(text, "\n")
	idx := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "//go:build ") {
			if idx >= 0 {
				return "", fmt.Errorf("more than one //go:build line")
			}
			idx = i
		}
	}
	if idx < 0 {
		return "", fmt.Errorf("no //go:build line")
	}
	expr := strings.TrimSpace(strings.TrimPrefix(lines[idx], "//go:build "))
	term := strings.TrimSpace(op[3:])
	if strings.Contains(expr, term) {
		return "", fmt.Errorf("//go:build %s already mentions %s", expr, term)
	}
	var b bytes.Buffer
	if op[:2] == "||" {
		fmt.Fprintf(&b, "//go:build %s || %s\n", expr, term)
	} else {
		if strings.Contains(expr, "||") {
			expr = "(" + expr + ")"
		}
		fmt.Fprintf(&b, "//go:build %s && %s\n", expr, term)
	}
	lines[idx] = b.String()
	return strings.Join(lines, ""), nil
}
