// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// The pollDesc of GOOS=tamago. The kernel's descriptors (console, root
// directory; see syscall/fs_tamago.go) never block and package net keeps
// its loopback sockets out of poll (net_fake.go), so nothing here waits:
// a call that would have to wait fails instead of hanging.

package poll

import (
	"syscall"
	"time"
)

type pollDesc struct {
	closing bool
}

func (pd *pollDesc) init(fd *FD) error { return nil }

func (pd *pollDesc) close() {}

func (pd *pollDesc) evict() { pd.closing = true }

func (pd *pollDesc) prepare(mode int, isFile bool) error {
	if pd.closing {
		return errClosing(isFile)
	}
	return nil
}

func (pd *pollDesc) prepareRead(isFile bool) error { return pd.prepare('r', isFile) }

func (pd *pollDesc) prepareWrite(isFile bool) error { return pd.prepare('w', isFile) }

// wait is reached only after a descriptor said EAGAIN, which the kernel's
// descriptors never do; report it instead of spinning.
func (pd *pollDesc) wait(mode int, isFile bool) error {
	if pd.closing {
		return errClosing(isFile)
	}
	return syscall.EAGAIN
}

func (pd *pollDesc) waitRead(isFile bool) error { return pd.wait('r', isFile) }

func (pd *pollDesc) waitWrite(isFile bool) error { return pd.wait('w', isFile) }

func (pd *pollDesc) waitCanceled(mode int) {}

// pollable is false: there is no poller to wait on.
func (pd *pollDesc) pollable() bool { return false }

// SetDeadline sets the read and write deadlines associated with fd: the
// kernel's descriptors never block, so they take no deadlines.
func (fd *FD) SetDeadline(t time.Time) error { return ErrNoDeadline }

// SetReadDeadline sets the read deadline associated with fd.
func (fd *FD) SetReadDeadline(t time.Time) error { return ErrNoDeadline }

// SetWriteDeadline sets the write deadline associated with fd.
func (fd *FD) SetWriteDeadline(t time.Time) error { return ErrNoDeadline }

// IsPollDescriptor reports whether fd is the descriptor being used by the
// poller: there is none.
func IsPollDescriptor(fd uintptr) bool { return false }
