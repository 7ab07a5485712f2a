// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package os for GOOS=tamago: this file and the other *_tamago.go files in
// os fill the few hooks that the Unix file code (file_unix.go, stat_unix.go,
// dir_unix.go, root_noopenat.go, ...) leaves to each system. The file system
// itself is the empty, read-only one of package syscall.

package os

import (
	"errors"
	"syscall"
)

// There is no exec, so there is nothing to close on it.
const supportsCloseOnExec = false

func executable() (string, error) {
	return "", errors.New("os: Executable not supported on tamago: the program has no file")
}

// Pipe returns an error: the system has no pipes.
func Pipe() (r *File, w *File, err error) {
	return nil, nil, NewSyscallError("pipe", syscall.ENOSYS)
}
