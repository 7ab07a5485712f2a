// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Path checks of os.Root (root_noopenat.go) for GOOS=tamago.

package os

// checkPathEscapes reports whether name escapes the root r. The file
// system has no symbolic links, so only ".." elements that climb above the
// root can escape it.
func checkPathEscapes(r *Root, name string) error {
	if r.root.closed.Load() {
		return ErrClosed
	}
	parts, _, err := splitPathInRoot(name, nil, nil)
	if err != nil {
		return err
	}
	depth := 0
	for _, p := range parts {
		switch p {
		case ".":
		case "..":
			if depth == 0 {
				return errPathEscapes
			}
			depth--
		default:
			depth++
		}
	}
	return nil
}

// checkPathEscapesLstat is checkPathEscapes: with no symbolic links,
// following the last element or not makes no difference.
func checkPathEscapesLstat(r *Root, name string) error {
	return checkPathEscapes(r, name)
}
