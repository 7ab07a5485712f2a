// Package hwtests boots fosbury firmware in QEMU's mcimx6ul-evk machine
// (or, later, on an attached board) and checks it from the host: through
// the serial console, the semihosting exit status and, for the network
// tests, the wire. It runs only with `-tags hwtest` (see `make test-qemu`),
// because it needs the firmware built by the tamago toolchain.
package hwtests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Machine is the QEMU command line shared by every run: the board QEMU 7.2
// models, the EVK's 512 MiB, and semihosting so firmware can exit.
var Machine = []string{
	"-machine", "mcimx6ul-evk", "-cpu", "cortex-a7", "-m", "512M",
	"-nographic", "-semihosting",
}

// Run is one boot of a firmware image under QEMU.
type Run struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	start  time.Time

	mu      sync.Mutex
	out     bytes.Buffer
	lines   chan string
	done    chan struct{}
	waitErr error
}

// Boot starts QEMU on the ELF with extra arguments; the run is killed
// after timeout whatever happens.
func Boot(elf string, timeout time.Duration, extra ...string) (*Run, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	args := append(append([]string{}, Machine...), "-kernel", elf)
	args = append(args, extra...)
	cmd := exec.CommandContext(ctx, "qemu-system-arm", args...)
	cmd.Stdin = nil
	// QEMU must not outlive the test binary, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	r := &Run{cmd: cmd, cancel: cancel, lines: make(chan string, 4096), done: make(chan struct{})}
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go r.read(pr)
	go func() {
		r.waitErr = cmd.Wait()
		pw.Close()
	}()
	return r, nil
}

// read splits the console into lines (QEMU's serial may send \r\n).
func (r *Run) read(pr io.Reader) {
	defer close(r.done)
	defer close(r.lines)
	buf := make([]byte, 4096)
	var line []byte
	for {
		n, err := pr.Read(buf)
		r.mu.Lock()
		r.out.Write(buf[:n])
		r.mu.Unlock()
		for _, c := range buf[:n] {
			switch c {
			case '\r':
			case '\n':
				select {
				case r.lines <- string(line):
				default: // nobody is waiting for lines; Output keeps them all
				}
				line = line[:0]
			default:
				line = append(line, c)
			}
		}
		if err != nil {
			return
		}
	}
}

// WaitLine waits for a console line containing substr and returns it with
// the wall time since QEMU started.
func (r *Run) WaitLine(substr string) (string, time.Duration, error) {
	for l := range r.lines {
		if strings.Contains(l, substr) {
			return l, time.Since(r.start), nil
		}
	}
	return "", 0, fmt.Errorf("console ended without %q", substr)
}

// Wait waits for QEMU to exit and returns its exit status (the firmware's
// semihosting status), or an error if it was killed by the timeout.
func (r *Run) Wait() (int, error) {
	<-r.done
	r.cancel()
	var ee *exec.ExitError
	switch {
	case r.waitErr == nil:
		return 0, nil
	case errors.As(r.waitErr, &ee) && ee.Exited():
		return ee.ExitCode(), nil
	default:
		return -1, fmt.Errorf("qemu did not exit by itself: %v", r.waitErr)
	}
}

// Stop kills QEMU.
func (r *Run) Stop() {
	r.cancel()
	<-r.done
}

// Output is everything the console printed so far.
func (r *Run) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}
