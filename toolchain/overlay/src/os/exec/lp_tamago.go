// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// GOOS=tamago runs one program and cannot start another: LookPath finds
// nothing, so Cmd.Start fails with ErrNotFound before it reaches
// os.StartProcess (which would fail with ENOSYS).

package exec

import "errors"

// ErrNotFound is the error resulting if a path search failed to find an executable file.
var ErrNotFound = errors.New("executable file not found in $PATH")

func lookPath(file string) (string, error) {
	return "", &Error{file, ErrNotFound}
}

// lookExtensions is a no-op outside Windows.
func lookExtensions(path, dir string) (string, error) {
	return path, nil
}
