// Preparation of an extracted golang.org/toolchain module into a tree that
// make.bash can build: the module zip renamed nested go.mod files and lost
// executable bits, and it carries prebuilt binaries we must not reuse.
package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func prepareTree(root string) error {
	for _, d := range []string{"bin", "pkg"} {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			return err
		}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		if d.Name() == "_go.mod" {
			np := filepath.Join(filepath.Dir(p), "go.mod")
			if err := os.Rename(p, np); err != nil {
				return err
			}
			p = np
		}
		mode := fs.FileMode(0o644)
		if isScript(p) {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
}

// isScript reports whether a file should be executable: the shell, perl
// and rc scripts of the release, recognised by their #! line.
func isScript(p string) bool {
	switch filepath.Ext(p) {
	case ".bash", ".sh", ".rc", ".pl", ".py":
		return true
	case ".go", ".s", ".txt", ".h", ".c", ".mod", ".sum", ".json", ".html", ".js", ".golden":
		return false
	}
	if strings.Contains(p, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := f.Read(head)
	return bytes.Equal(head[:n], []byte("#!"))
}
