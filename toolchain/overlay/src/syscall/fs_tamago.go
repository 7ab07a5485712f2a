// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// File calls for GOOS=tamago. The machine has no file system: the only
// name that exists is the root directory "/", read-only and empty, which is
// also the working directory. Descriptors 0, 1 and 2 are the console:
// stdin is always at end of file, stdout and stderr go to the runtime's
// console writer (goos.Printk). Every other operation fails with the error
// a Unix kernel would give for a read-only, empty file system: ENOENT for
// names that do not exist, EROFS for changes.

package syscall

import (
	"sync"
	"unsafe"
)

// runtimeWrite writes n bytes at p to the console for fd 1 or 2 and returns
// the count written or a negative value. Provided by the runtime.
func runtimeWrite(fd uintptr, p unsafe.Pointer, n int32) int32

type fileKind uint8

const (
	kindStdin   fileKind = iota // reads give end of file
	kindConsole                 // writes go to the runtime console
	kindRootDir                 // the empty root directory
)

type openFile struct {
	kind fileKind
	fd   uintptr // console descriptor handed to runtimeWrite
}

var (
	filesMu sync.Mutex
	files   = map[int]*openFile{
		Stdin:  {kind: kindStdin},
		Stdout: {kind: kindConsole, fd: Stdout},
		Stderr: {kind: kindConsole, fd: Stderr},
	}
)

// maxFiles bounds the descriptor table, as RLIMIT_NOFILE would.
const maxFiles = 1024

func lookup(fd int) (*openFile, error) {
	filesMu.Lock()
	defer filesMu.Unlock()
	f, ok := files[fd]
	if !ok {
		return nil, EBADF
	}
	return f, nil
}

// install puts f at the lowest free descriptor at or above min.
func install(f *openFile, min int) (int, error) {
	filesMu.Lock()
	defer filesMu.Unlock()
	for fd := min; fd < maxFiles; fd++ {
		if _, used := files[fd]; !used {
			files[fd] = f
			return fd, nil
		}
	}
	return -1, EMFILE
}

// isRoot reports whether path names the root directory: every element is
// empty, "." or ".." (".." of the root is the root).
func isRoot(path string) bool {
	if path == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '/' {
			switch path[start:i] {
			case "", ".", "..":
			default:
				return false
			}
			start = i + 1
		}
	}
	return true
}

// parentIsRoot reports whether the directory holding path's last element
// is the root, so that creating that element fails with EROFS, not ENOENT.
func parentIsRoot(path string) bool {
	for len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	i := len(path) - 1
	for i >= 0 && path[i] != '/' {
		i--
	}
	if i < 0 {
		return true // relative to the working directory, the root
	}
	return isRoot(path[:i+1])
}

func checkPath(path string) error {
	if path == "" {
		return ENOENT
	}
	for i := 0; i < len(path); i++ {
		if path[i] == 0 {
			return EINVAL
		}
	}
	return nil
}

// changeErr is the error for changing an existing name.
func changeErr(path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if isRoot(path) {
		return EROFS
	}
	return ENOENT
}

// createErr is the error for creating the name path.
func createErr(path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if isRoot(path) {
		return EEXIST
	}
	if parentIsRoot(path) {
		return EROFS
	}
	return ENOENT
}

func Open(path string, openmode int, perm uint32) (int, error) {
	if err := checkPath(path); err != nil {
		return -1, err
	}
	if !isRoot(path) {
		if openmode&O_CREAT != 0 {
			return -1, createErr(path)
		}
		return -1, ENOENT
	}
	if openmode&(O_CREAT|O_EXCL) == O_CREAT|O_EXCL {
		return -1, EEXIST
	}
	if openmode&O_ACCMODE != O_RDONLY || openmode&O_TRUNC != 0 {
		return -1, EISDIR
	}
	return install(&openFile{kind: kindRootDir}, 3)
}

func Close(fd int) error {
	filesMu.Lock()
	defer filesMu.Unlock()
	if _, ok := files[fd]; !ok {
		return EBADF
	}
	delete(files, fd)
	return nil
}

func CloseOnExec(fd int) {}

func SetNonblock(fd int, nonblocking bool) error {
	_, err := lookup(fd)
	return err
}

func Dup(fd int) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return -1, err
	}
	nf := *f
	return install(&nf, 0)
}

func Dup2(fd, newfd int) error {
	f, err := lookup(fd)
	if err != nil {
		return err
	}
	if newfd < 0 || newfd >= maxFiles {
		return EBADF
	}
	nf := *f
	filesMu.Lock()
	files[newfd] = &nf
	filesMu.Unlock()
	return nil
}

func Pipe(fd []int) error {
	if len(fd) != 2 {
		return EINVAL
	}
	return ENOSYS
}

func Read(fd int, b []byte) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	switch f.kind {
	case kindStdin:
		return 0, nil
	case kindRootDir:
		return 0, EISDIR
	}
	return 0, EBADF
}

func Write(fd int, b []byte) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	if f.kind != kindConsole {
		return 0, EBADF
	}
	done := 0
	for done < len(b) {
		chunk := len(b) - done
		if chunk > 1<<30 {
			chunk = 1 << 30
		}
		n := runtimeWrite(f.fd, unsafe.Pointer(&b[done]), int32(chunk))
		if n <= 0 {
			return done, EIO
		}
		done += int(n)
	}
	return done, nil
}

func Pread(fd int, b []byte, offset int64) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	if f.kind == kindRootDir {
		return 0, EISDIR
	}
	return 0, ESPIPE
}

func Pwrite(fd int, b []byte, offset int64) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	if f.kind == kindRootDir {
		return 0, EBADF
	}
	return 0, ESPIPE
}

func Seek(fd int, offset int64, whence int) (int64, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	if f.kind != kindRootDir {
		return 0, ESPIPE
	}
	// The empty directory has only position 0.
	if offset != 0 || whence < 0 || whence > 2 {
		return 0, EINVAL
	}
	return 0, nil
}

// ReadDirent reads directory entries: the root directory has none.
func ReadDirent(fd int, buf []byte) (int, error) {
	f, err := lookup(fd)
	if err != nil {
		return 0, err
	}
	if f.kind != kindRootDir {
		return 0, ENOTDIR
	}
	return 0, nil
}

func statRoot(st *Stat_t) {
	*st = Stat_t{Ino: 1, Mode: S_IFDIR | 0555, Nlink: 2, Blksize: 512}
}

func Stat(path string, st *Stat_t) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if !isRoot(path) {
		return ENOENT
	}
	statRoot(st)
	return nil
}

func Lstat(path string, st *Stat_t) error { return Stat(path, st) }

func Fstat(fd int, st *Stat_t) error {
	f, err := lookup(fd)
	if err != nil {
		return err
	}
	if f.kind == kindRootDir {
		statRoot(st)
		return nil
	}
	*st = Stat_t{Ino: uint64(2 + fd), Mode: S_IFCHR | 0620, Nlink: 1, Blksize: 1024}
	return nil
}

func Mkdir(path string, perm uint32) error   { return createErr(path) }
func Link(path, link string) error           { return linkErr(path, link) }
func Symlink(path, link string) error        { return createErr(link) }
func Unlink(path string) error               { return changeErr(path) }
func Rmdir(path string) error                { return changeErr(path) }
func Chmod(path string, mode uint32) error   { return changeErr(path) }
func Chown(path string, uid, gid int) error  { return changeErr(path) }
func Lchown(path string, uid, gid int) error { return changeErr(path) }
func Truncate(path string, length int64) error {
	if isRoot(path) {
		return EISDIR
	}
	return changeErr(path)
}

func UtimesNano(path string, ts []Timespec) error {
	if len(ts) != 2 {
		return EINVAL
	}
	return changeErr(path)
}

func linkErr(path, link string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if isRoot(path) {
		return EPERM // no hard links to directories
	}
	return ENOENT
}

func Rename(from, to string) error {
	if err := checkPath(to); err != nil {
		return err
	}
	return changeErr(from)
}

func Readlink(path string, buf []byte) (int, error) {
	if err := checkPath(path); err != nil {
		return 0, err
	}
	if isRoot(path) {
		return 0, EINVAL // not a symbolic link
	}
	return 0, ENOENT
}

// fdChangeErr is the error for changing the file open at fd.
func fdChangeErr(fd int) error {
	f, err := lookup(fd)
	if err != nil {
		return err
	}
	if f.kind == kindRootDir {
		return EROFS
	}
	return EPERM
}

func Fchmod(fd int, mode uint32) error  { return fdChangeErr(fd) }
func Fchown(fd int, uid, gid int) error { return fdChangeErr(fd) }
func Ftruncate(fd int, length int64) error {
	f, err := lookup(fd)
	if err != nil {
		return err
	}
	if f.kind == kindRootDir {
		return EISDIR
	}
	return EINVAL
}

func Fsync(fd int) error {
	_, err := lookup(fd)
	return err
}

const ImplementsGetwd = true

func Getwd() (string, error) { return "/", nil }

func Getcwd(buf []byte) (int, error) {
	if len(buf) < 2 {
		return 0, ERANGE
	}
	buf[0] = '/'
	buf[1] = 0
	return 1, nil
}

func Chdir(path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if !isRoot(path) {
		return ENOENT
	}
	return nil
}

func Fchdir(fd int) error {
	f, err := lookup(fd)
	if err != nil {
		return err
	}
	if f.kind != kindRootDir {
		return ENOTDIR
	}
	return nil
}
