// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package syscall for GOOS=tamago: the bare-metal OS layer under os, time
// and net. This file owns the types and constants package os expects of a
// Unix-like syscall package (errno, signals, open flags, Stat_t) and the
// process calls, which a single-program machine answers with fixed values
// or ENOSYS. Files live in fs_tamago.go, sockets in net_tamago.go.

package syscall

import (
	errorspkg "errors"
	"internal/oserror"
	"internal/strconv"
	"sync"
	"unsafe"
)

// An Errno is an error number, numbered as on Linux so that values printed
// by a firmware read the same as on a host.
//
// Errno values can be tested against error values using [errors.Is].
type Errno uintptr

func (e Errno) Error() string {
	if int(e) < len(errorstr) && errorstr[e] != "" {
		return errorstr[e]
	}
	return "errno " + strconv.Itoa(int(e))
}

func (e Errno) Is(target error) bool {
	switch target {
	case oserror.ErrPermission:
		return e == EACCES || e == EPERM
	case oserror.ErrExist:
		return e == EEXIST || e == ENOTEMPTY
	case oserror.ErrNotExist:
		return e == ENOENT
	case errorspkg.ErrUnsupported:
		return e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP
	}
	return false
}

func (e Errno) Temporary() bool {
	return e == EINTR || e == EMFILE || e == ENFILE || e.Timeout()
}

func (e Errno) Timeout() bool {
	return e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT
}

// A Signal is a signal number. Bare metal delivers no signals; the values
// exist so that os.Interrupt, os.Kill and os/signal compile.
type Signal int

const (
	SIGHUP  Signal = 1
	SIGINT  Signal = 2
	SIGQUIT Signal = 3
	SIGTRAP Signal = 5
	SIGABRT Signal = 6
	SIGKILL Signal = 9
	SIGPIPE Signal = 13
	SIGALRM Signal = 14
	SIGTERM Signal = 15
	SIGCHLD Signal = 17
)

var signals = [...]string{
	SIGHUP:  "hangup",
	SIGINT:  "interrupt",
	SIGQUIT: "quit",
	SIGTRAP: "trace/breakpoint trap",
	SIGABRT: "aborted",
	SIGKILL: "killed",
	SIGPIPE: "broken pipe",
	SIGALRM: "alarm clock",
	SIGTERM: "terminated",
	SIGCHLD: "child exited",
}

func (s Signal) Signal() {}

func (s Signal) String() string {
	if 0 <= s && int(s) < len(signals) && signals[s] != "" {
		return signals[s]
	}
	return "signal " + strconv.Itoa(int(s))
}

const (
	Stdin  = 0
	Stdout = 1
	Stderr = 2
)

// Open flags, with Linux values.
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_CREATE    = O_CREAT
	O_EXCL      = 0x80
	O_NOCTTY    = 0x100
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_SYNC      = 0x101000
	O_DIRECTORY = 0x4000
	O_NOFOLLOW  = 0x8000
	O_CLOEXEC   = 0x80000
)

const (
	F_DUPFD = 0
	F_GETFD = 1
	F_SETFD = 2
	F_GETFL = 3
	F_SETFL = 4
)

// File mode bits, with the POSIX values.
const (
	S_IFMT   = 0xf000
	S_IFSOCK = 0xc000
	S_IFLNK  = 0xa000
	S_IFREG  = 0x8000
	S_IFBLK  = 0x6000
	S_IFDIR  = 0x4000
	S_IFCHR  = 0x2000
	S_IFIFO  = 0x1000

	S_ISUID = 0x800
	S_ISGID = 0x400
	S_ISVTX = 0x200

	S_IRWXU = 0700
	S_IRUSR = 0400
	S_IWUSR = 0200
	S_IXUSR = 0100
	S_IRWXG = 070
	S_IRGRP = 040
	S_IWGRP = 020
	S_IXGRP = 010
	S_IRWXO = 07
	S_IROTH = 04
	S_IWOTH = 02
	S_IXOTH = 01
)

// Stat_t is what Stat, Lstat and Fstat fill in.
type Stat_t struct {
	Dev       int64
	Ino       uint64
	Mode      uint32
	Nlink     uint32
	Uid       uint32
	Gid       uint32
	Rdev      int64
	Size      int64
	Blksize   int32
	Blocks    int32
	Atime     int64
	AtimeNsec int64
	Mtime     int64
	MtimeNsec int64
	Ctime     int64
	CtimeNsec int64
}

type Timespec struct {
	Sec  int64
	Nsec int64
}

type Timeval struct {
	Sec  int64
	Usec int64
}

func setTimespec(sec, nsec int64) Timespec { return Timespec{Sec: sec, Nsec: nsec} }

func setTimeval(sec, usec int64) Timeval { return Timeval{Sec: sec, Usec: usec} }

// Dirent is the record ReadDirent would return; the file system has no
// entries to return, but package os decodes the layout.
type Dirent struct {
	Reclen uint16
	Name   [256]byte
}

func direntIno(buf []byte) (uint64, bool) { return 1, true }

func direntReclen(buf []byte) (uint64, bool) {
	return readInt(buf, unsafe.Offsetof(Dirent{}.Reclen), unsafe.Sizeof(Dirent{}.Reclen))
}

func direntNamlen(buf []byte) (uint64, bool) {
	reclen, ok := direntReclen(buf)
	if !ok {
		return 0, false
	}
	return reclen - uint64(unsafe.Offsetof(Dirent{}.Name)), true
}

const PathMax = 256

// Processes: there is one program and no way to start another.

var ForkLock sync.RWMutex

type WaitStatus uint32

func (w WaitStatus) Exited() bool       { return false }
func (w WaitStatus) ExitStatus() int    { return 0 }
func (w WaitStatus) Signaled() bool     { return false }
func (w WaitStatus) Signal() Signal     { return 0 }
func (w WaitStatus) CoreDump() bool     { return false }
func (w WaitStatus) Stopped() bool      { return false }
func (w WaitStatus) Continued() bool    { return false }
func (w WaitStatus) StopSignal() Signal { return 0 }
func (w WaitStatus) TrapCause() int     { return 0 }

type Rusage struct {
	Utime Timeval
	Stime Timeval
}

type ProcAttr struct {
	Dir   string
	Env   []string
	Files []uintptr
	Sys   *SysProcAttr
}

type SysProcAttr struct{}

type Iovec struct{}

func Syscall(trap, a1, a2, a3 uintptr) (r1, r2 uintptr, err Errno) {
	return 0, 0, ENOSYS
}

func Syscall6(trap, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err Errno) {
	return 0, 0, ENOSYS
}

func RawSyscall(trap, a1, a2, a3 uintptr) (r1, r2 uintptr, err Errno) {
	return 0, 0, ENOSYS
}

func RawSyscall6(trap, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err Errno) {
	return 0, 0, ENOSYS
}

// Hostname is the name os.Hostname reports.
const hostname = "tamago"

// Sysctl answers kern.hostname, which os.Hostname asks for.
func Sysctl(key string) (string, error) {
	if key == "kern.hostname" {
		return hostname, nil
	}
	return "", ENOSYS
}

// The program runs as user and group 0, the only identity there is.
func Getuid() int                       { return 0 }
func Geteuid() int                      { return 0 }
func Getgid() int                       { return 0 }
func Getegid() int                      { return 0 }
func Getgroups() ([]int, error)         { return []int{}, nil }
func Getpid() int                       { return 1 }
func Getppid() int                      { return 0 }
func Umask(mask int) (oldmask int)      { return 022 }
func Kill(pid int, signum Signal) error { return ENOSYS }

// now returns the wall clock. Provided by the runtime.
func now() (sec int64, nsec int32)

func Gettimeofday(tv *Timeval) error {
	sec, nsec := now()
	*tv = Timeval{Sec: sec, Usec: int64(nsec) / 1000}
	return nil
}

func Sendfile(outfd int, infd int, offset *int64, count int) (written int, err error) {
	return 0, ENOSYS
}

func StartProcess(argv0 string, argv []string, attr *ProcAttr) (pid int, handle uintptr, err error) {
	return 0, 0, ENOSYS
}

func Wait4(pid int, wstatus *WaitStatus, options int, rusage *Rusage) (wpid int, err error) {
	return 0, ECHILD
}
