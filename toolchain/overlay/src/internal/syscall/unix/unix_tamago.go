// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// internal/syscall/unix for GOOS=tamago: the few calls the Unix file and
// socket code of os and net make directly. The kernel has no fcntl and no
// sockets (see syscall/fs_tamago.go and syscall/net_tamago.go).

package unix

import "syscall"

// UTIME_OMIT marks a time UtimesNano leaves unchanged; UtimesNano fails on
// this file system anyway, so the value only has to be distinct.
const UTIME_OMIT = -0x2

func Fcntl(fd int, cmd int, arg int) (int, error) { return 0, syscall.ENOSYS }

// IsNonblock reports false: no descriptor is non-blocking (none blocks).
func IsNonblock(fd int) (nonblocking bool, err error) { return false, nil }

func HasNonblockFlag(flag int) bool { return false }

func RecvfromInet4(fd int, p []byte, flags int, from *syscall.SockaddrInet4) (int, error) {
	return 0, syscall.ENOSYS
}

func RecvfromInet6(fd int, p []byte, flags int, from *syscall.SockaddrInet6) (int, error) {
	return 0, syscall.ENOSYS
}

func SendtoInet4(fd int, p []byte, flags int, to *syscall.SockaddrInet4) error {
	return syscall.ENOSYS
}

func SendtoInet6(fd int, p []byte, flags int, to *syscall.SockaddrInet6) error {
	return syscall.ENOSYS
}

func SendmsgNInet4(fd int, p, oob []byte, to *syscall.SockaddrInet4, flags int) (int, error) {
	return 0, syscall.ENOSYS
}

func SendmsgNInet6(fd int, p, oob []byte, to *syscall.SockaddrInet6, flags int) (int, error) {
	return 0, syscall.ENOSYS
}

func RecvmsgInet4(fd int, p, oob []byte, flags int, from *syscall.SockaddrInet4) (n, oobn, recvflags int, err error) {
	return 0, 0, 0, syscall.ENOSYS
}

func RecvmsgInet6(fd int, p, oob []byte, flags int, from *syscall.SockaddrInet6) (n, oobn, recvflags int, err error) {
	return 0, 0, 0, syscall.ENOSYS
}
