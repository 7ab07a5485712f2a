// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Error numbers for GOOS=tamago: the POSIX set, numbered as on Linux, with
// their messages. Only a few are ever returned by this package (see
// fs_tamago.go and net_tamago.go); the rest exist because std and third-party
// code name them.

package syscall

const (
	EPERM           Errno = 1
	ENOENT          Errno = 2
	ESRCH           Errno = 3
	EINTR           Errno = 4
	EIO             Errno = 5
	ENXIO           Errno = 6
	E2BIG           Errno = 7
	ENOEXEC         Errno = 8
	EBADF           Errno = 9
	ECHILD          Errno = 10
	EAGAIN          Errno = 11
	ENOMEM          Errno = 12
	EACCES          Errno = 13
	EFAULT          Errno = 14
	ENOTBLK         Errno = 15
	EBUSY           Errno = 16
	EEXIST          Errno = 17
	EXDEV           Errno = 18
	ENODEV          Errno = 19
	ENOTDIR         Errno = 20
	EISDIR          Errno = 21
	EINVAL          Errno = 22
	ENFILE          Errno = 23
	EMFILE          Errno = 24
	ENOTTY          Errno = 25
	ETXTBSY         Errno = 26
	EFBIG           Errno = 27
	ENOSPC          Errno = 28
	ESPIPE          Errno = 29
	EROFS           Errno = 30
	EMLINK          Errno = 31
	EPIPE           Errno = 32
	EDOM            Errno = 33
	ERANGE          Errno = 34
	EDEADLK         Errno = 35
	ENAMETOOLONG    Errno = 36
	ENOLCK          Errno = 37
	ENOSYS          Errno = 38
	ENOTEMPTY       Errno = 39
	ELOOP           Errno = 40
	EWOULDBLOCK     Errno = EAGAIN
	ENOMSG          Errno = 42
	EIDRM           Errno = 43
	ENOSTR          Errno = 60
	ENODATA         Errno = 61
	ETIME           Errno = 62
	ENOSR           Errno = 63
	ENOLINK         Errno = 67
	EPROTO          Errno = 71
	EMULTIHOP       Errno = 72
	EBADMSG         Errno = 74
	EOVERFLOW       Errno = 75
	EILSEQ          Errno = 84
	ENOTSOCK        Errno = 88
	EDESTADDRREQ    Errno = 89
	EMSGSIZE        Errno = 90
	EPROTOTYPE      Errno = 91
	ENOPROTOOPT     Errno = 92
	EPROTONOSUPPORT Errno = 93
	ESOCKTNOSUPPORT Errno = 94
	EOPNOTSUPP      Errno = 95
	ENOTSUP         Errno = EOPNOTSUPP
	EPFNOSUPPORT    Errno = 96
	EAFNOSUPPORT    Errno = 97
	EADDRINUSE      Errno = 98
	EADDRNOTAVAIL   Errno = 99
	ENETDOWN        Errno = 100
	ENETUNREACH     Errno = 101
	ENETRESET       Errno = 102
	ECONNABORTED    Errno = 103
	ECONNRESET      Errno = 104
	ENOBUFS         Errno = 105
	EISCONN         Errno = 106
	ENOTCONN        Errno = 107
	ESHUTDOWN       Errno = 108
	ETOOMANYREFS    Errno = 109
	ETIMEDOUT       Errno = 110
	ECONNREFUSED    Errno = 111
	EHOSTDOWN       Errno = 112
	EHOSTUNREACH    Errno = 113
	EALREADY        Errno = 114
	EINPROGRESS     Errno = 115
	ESTALE          Errno = 116
	EDQUOT          Errno = 122
	ECANCELED       Errno = 125
	EOWNERDEAD      Errno = 130
	ENOTRECOVERABLE Errno = 131
)

var errorstr = [...]string{
	EPERM:           "operation not permitted",
	ENOENT:          "no such file or directory",
	ESRCH:           "no such process",
	EINTR:           "interrupted system call",
	EIO:             "input/output error",
	ENXIO:           "no such device or address",
	E2BIG:           "argument list too long",
	ENOEXEC:         "exec format error",
	EBADF:           "bad file descriptor",
	ECHILD:          "no child processes",
	EAGAIN:          "resource temporarily unavailable",
	ENOMEM:          "cannot allocate memory",
	EACCES:          "permission denied",
	EFAULT:          "bad address",
	ENOTBLK:         "block device required",
	EBUSY:           "device or resource busy",
	EEXIST:          "file exists",
	EXDEV:           "invalid cross-device link",
	ENODEV:          "no such device",
	ENOTDIR:         "not a directory",
	EISDIR:          "is a directory",
	EINVAL:          "invalid argument",
	ENFILE:          "too many open files in system",
	EMFILE:          "too many open files",
	ENOTTY:          "inappropriate ioctl for device",
	ETXTBSY:         "text file busy",
	EFBIG:           "file too large",
	ENOSPC:          "no space left on device",
	ESPIPE:          "illegal seek",
	EROFS:           "read-only file system",
	EMLINK:          "too many links",
	EPIPE:           "broken pipe",
	EDOM:            "numerical argument out of domain",
	ERANGE:          "numerical result out of range",
	EDEADLK:         "resource deadlock avoided",
	ENAMETOOLONG:    "file name too long",
	ENOLCK:          "no locks available",
	ENOSYS:          "function not implemented",
	ENOTEMPTY:       "directory not empty",
	ELOOP:           "too many levels of symbolic links",
	ENOMSG:          "no message of desired type",
	EIDRM:           "identifier removed",
	ENOSTR:          "device not a stream",
	ENODATA:         "no data available",
	ETIME:           "timer expired",
	ENOSR:           "out of streams resources",
	ENOLINK:         "link has been severed",
	EPROTO:          "protocol error",
	EMULTIHOP:       "multihop attempted",
	EBADMSG:         "bad message",
	EOVERFLOW:       "value too large for defined data type",
	EILSEQ:          "invalid or incomplete multibyte or wide character",
	ENOTSOCK:        "socket operation on non-socket",
	EDESTADDRREQ:    "destination address required",
	EMSGSIZE:        "message too long",
	EPROTOTYPE:      "protocol wrong type for socket",
	ENOPROTOOPT:     "protocol not available",
	EPROTONOSUPPORT: "protocol not supported",
	ESOCKTNOSUPPORT: "socket type not supported",
	EOPNOTSUPP:      "operation not supported",
	EPFNOSUPPORT:    "protocol family not supported",
	EAFNOSUPPORT:    "address family not supported by protocol",
	EADDRINUSE:      "address already in use",
	EADDRNOTAVAIL:   "cannot assign requested address",
	ENETDOWN:        "network is down",
	ENETUNREACH:     "network is unreachable",
	ENETRESET:       "network dropped connection on reset",
	ECONNABORTED:    "software caused connection abort",
	ECONNRESET:      "connection reset by peer",
	ENOBUFS:         "no buffer space available",
	EISCONN:         "transport endpoint is already connected",
	ENOTCONN:        "transport endpoint is not connected",
	ESHUTDOWN:       "cannot send after transport endpoint shutdown",
	ETOOMANYREFS:    "too many references: cannot splice",
	ETIMEDOUT:       "connection timed out",
	ECONNREFUSED:    "connection refused",
	EHOSTDOWN:       "host is down",
	EHOSTUNREACH:    "no route to host",
	EALREADY:        "operation already in progress",
	EINPROGRESS:     "operation now in progress",
	ESTALE:          "stale file handle",
	EDQUOT:          "disk quota exceeded",
	ECANCELED:       "operation canceled",
	EOWNERDEAD:      "owner died",
	ENOTRECOVERABLE: "state not recoverable",
}
