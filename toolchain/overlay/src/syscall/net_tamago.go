// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Socket calls for GOOS=tamago. The kernel has no sockets: package net
// serves loopback in-process (net_fake.go) and a firmware brings its own
// stack (gVisor netstack), so every socket call fails with ENOSYS, except
// the harmless SetsockoptInt. Constants and Sockaddr types come from
// net_fake.go, shared with js and wasip1.

package syscall

func Socket(proto, sotype, unused int) (fd int, err error) { return -1, ENOSYS }

func Bind(fd int, sa Sockaddr) error { return ENOSYS }

func Listen(fd int, backlog int) error { return ENOSYS }

func Accept(fd int) (newfd int, sa Sockaddr, err error) { return -1, nil, ENOSYS }

func Connect(fd int, sa Sockaddr) error { return ENOSYS }

func Recvfrom(fd int, p []byte, flags int) (n int, from Sockaddr, err error) {
	return 0, nil, ENOSYS
}

func Sendto(fd int, p []byte, flags int, to Sockaddr) error { return ENOSYS }

func Recvmsg(fd int, p, oob []byte, flags int) (n, oobn, recvflags int, from Sockaddr, err error) {
	return 0, 0, 0, nil, ENOSYS
}

func SendmsgN(fd int, p, oob []byte, to Sockaddr, flags int) (n int, err error) {
	return 0, ENOSYS
}

func GetsockoptInt(fd, level, opt int) (value int, err error) { return 0, ENOSYS }

func SetsockoptInt(fd, level, opt int, value int) error { return nil }

func Shutdown(fd int, how int) error { return ENOSYS }
