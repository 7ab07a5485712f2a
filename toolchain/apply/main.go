// Command apply lays the fosbury GOOS=tamago port onto a Go source tree.
//
// It owns three jobs, all on a GOROOT given by -goroot:
//
//   - -prepare: turn an extracted golang.org/toolchain module into a
//     buildable tree (restore nested go.mod files the module zip renamed to
//     _go.mod, restore executable bits, drop the prebuilt bin/ and pkg/);
//   - apply: copy port/overlay/** into the tree and apply port/edits/*.edit
//     in lexical order, failing loudly when an edit does not match exactly
//     once;
//   - -pristine DIR (dev mode): first restore every file the previous
//     application touched from the pristine tree DIR, so that a built
//     GOROOT can be re-synced with the current port without make.bash;
//     -strict-tools makes it exit with status 3 when that is not enough
//     because a tool source changed.
//
// Every application writes GOROOT/.fosbury-port: one "sha256 path" line per
// file the port touched. A GOROOT built by build.sh also keeps the copy taken
// at make.bash time (.fosbury-built); dev mode compares the two and warns
// when a file compiled into the go command, compiler or linker changed.
//
// Edit file format (see toolchain/README.md):
//
//	# comment
//	--- src/path/to/file.go
//	<<<<<<<
//	old lines (must occur exactly once)
//	=======
//	new lines
//	>>>>>>>
//	@build || tamago      (OR a term into the file's //go:build line)
//	@build && !tamago     (AND a term into the file's //go:build line)
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	manifestName = ".fosbury-port"
	builtName    = ".fosbury-built"
)

func main() {
	goroot := flag.String("goroot", "", "Go source tree to modify (required)")
	port := flag.String("port", "toolchain", "port directory holding overlay/ and edits/")
	prepare := flag.Bool("prepare", false, "only prepare an extracted toolchain module tree")
	pristine := flag.String("pristine", "", "dev mode: pristine source tree to restore touched files from")
	strictTools := flag.Bool("strict-tools", false, "with -pristine: fail (exit 3) if tool sources differ from the build")
	flag.Parse()
	if *goroot == "" {
		fail(errors.New("-goroot is required"))
	}
	if *prepare {
		if err := prepareTree(*goroot); err != nil {
			fail(err)
		}
		return
	}
	if err := run(*goroot, *port, *pristine); err != nil {
		fail(err)
	}
	if *strictTools && toolsChanged {
		os.Exit(3)
	}
}

// toolsChanged is set by warnToolChanges.
var toolsChanged bool

func fail(err error) {
	fmt.Fprintln(os.Stderr, "apply:", err)
	os.Exit(1)
}

func run(goroot, port, pristine string) error {
	edits, err := loadEdits(filepath.Join(port, "edits"))
	if err != nil {
		return err
	}
	overlay, err := listOverlay(filepath.Join(port, "overlay"))
	if err != nil {
		return err
	}
	if pristine != "" {
		old, _ := readManifest(filepath.Join(goroot, manifestName))
		if err := restore(goroot, pristine, old); err != nil {
			return err
		}
	}
	touched := map[string]bool{}
	for _, rel := range overlay {
		data, err := os.ReadFile(filepath.Join(port, "overlay", rel))
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(goroot, rel), data); err != nil {
			return err
		}
		touched[rel] = true
	}
	for _, e := range edits {
		if err := e.apply(goroot); err != nil {
			return err
		}
		touched[e.target] = true
	}
	now, err := hashFiles(goroot, touched)
	if err != nil {
		return err
	}
	if pristine != "" {
		warnToolChanges(goroot, now)
	}
	return writeManifest(filepath.Join(goroot, manifestName), now)
}

// restore undoes a previous application: files the port touched are copied
// back from the pristine tree, or removed when the port created them.
func restore(goroot, pristine string, old map[string]string) error {
	for rel := range old {
		data, err := os.ReadFile(filepath.Join(pristine, rel))
		switch {
		case err == nil:
			if err := writeFile(filepath.Join(goroot, rel), data); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Remove(filepath.Join(goroot, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		default:
			return err
		}
	}
	return nil
}

// toolAffecting reports whether a source file is compiled into the go
// command, compiler, linker or dist, so changing it needs make.bash.
func toolAffecting(rel string) bool {
	for _, p := range []string{
		"src/cmd/", "src/internal/syslist/", "src/internal/platform/",
		"src/internal/buildcfg/", "src/go/build/", "src/internal/goos/",
		"src/internal/cfg/", "src/internal/goarch/",
	} {
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	return false
}

func warnToolChanges(goroot string, now map[string]string) {
	built, err := readManifest(filepath.Join(goroot, builtName))
	if err != nil {
		fmt.Fprintln(os.Stderr, "apply: warning: no", builtName, "in GOROOT; cannot tell whether tools are current")
		toolsChanged = true
		return
	}
	var changed []string
	for rel, h := range now {
		if toolAffecting(rel) && built[rel] != h {
			changed = append(changed, rel)
		}
	}
	for rel := range built {
		if _, ok := now[rel]; !ok && toolAffecting(rel) {
			changed = append(changed, rel)
		}
	}
	sort.Strings(changed)
	toolsChanged = len(changed) > 0
	for _, rel := range changed {
		fmt.Fprintln(os.Stderr, "apply: WARNING: tool source changed since make.bash (run toolchain/build.sh):", rel)
	}
}

func listOverlay(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "go.mod" {
			return nil // keeps overlay/ out of the fosbury module; not a port file
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp := path + ".fosbury-tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func hashFiles(goroot string, files map[string]bool) (map[string]string, error) {
	out := map[string]string{}
	for rel := range files {
		data, err := os.ReadFile(filepath.Join(goroot, rel))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out[rel] = hex.EncodeToString(sum[:])
	}
	return out, nil
}

func readManifest(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		h, rel, ok := strings.Cut(sc.Text(), " ")
		if ok {
			out[rel] = h
		}
	}
	return out, sc.Err()
}

func writeManifest(path string, m map[string]string) error {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", m[k], k)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
