// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package net for GOOS=tamago: the system has no sockets, so net runs the
// in-process fake network that js and wasip1 use (net_fake.go, fd_fake.go):
// listeners and connections on loopback addresses work inside the program,
// anything else fails at once (ECONNREFUSED, ENOTSUP). This file holds the
// two hooks fd_fake.go leaves to each system.
//
// A firmware that wants a real network brings its own stack (gVisor's
// netstack and its gonet adapters) instead of package net's sockets.

package net

import (
	"os"
	"syscall"
)

func (fd *netFD) closeRead() error {
	if fd.fakeNetFD != nil {
		return fd.fakeNetFD.closeRead()
	}
	return os.NewSyscallError("closeRead", syscall.ENOTSUP)
}

func (fd *netFD) closeWrite() error {
	if fd.fakeNetFD != nil {
		return fd.fakeNetFD.closeWrite()
	}
	return os.NewSyscallError("closeWrite", syscall.ENOTSUP)
}

// concurrentThreadsLimit bounds concurrent DNS lookups; they run as
// goroutines and fail fast (there is no resolver to reach), so the bound
// only keeps a burst of lookups from piling up.
func concurrentThreadsLimit() int { return 100 }
