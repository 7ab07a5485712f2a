//go:build linux

// Package linuxref is the Linux anchor of the benchmark: Debian's Linux 6.1
// on the same emulated SoC (QEMU mcimx6ul-evk), bridging its two ENETs
// under nftables rules equivalent to the appliance's defaults. It builds
// the bundle (image/build.sh, cached), boots it, drives it over its serial
// console and reads its clock, idle time and counters as a netbench.Probe.
package linuxref

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/netbench"
)

// Bundle is a built Linux reference: what QEMU boots.
type Bundle struct {
	Dir                          string
	Kernel, DTB, Initrd, Cmdline string // Cmdline is the kernel command line itself
	Manifest                     string // package versions, modules, libraries
}

// Build runs image/build.sh, which returns the cached bundle at once or
// builds it (the first time: root, the Debian mirror, about a minute).
func Build(ctx context.Context) (Bundle, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return Bundle{}, errors.New("linuxref: cannot find image/build.sh")
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(filepath.Dir(self), "image", "build.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return Bundle{}, fmt.Errorf("linuxref: image/build.sh: %v", err)
	}
	return Open(strings.TrimSpace(string(out)))
}

// Open reads a bundle directory made by image/build.sh.
func Open(dir string) (Bundle, error) {
	b := Bundle{Dir: dir, Kernel: filepath.Join(dir, "vmlinuz"), DTB: filepath.Join(dir, "imx6ul-14x14-evk.dtb"),
		Initrd: filepath.Join(dir, "initrd.cpio")}
	for _, f := range []string{b.Kernel, b.DTB, b.Initrd} {
		if _, err := os.Stat(f); err != nil {
			return b, fmt.Errorf("linuxref: bundle %s: %v", dir, err)
		}
	}
	for name, dst := range map[string]*string{"cmdline": &b.Cmdline, "manifest": &b.Manifest} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return b, fmt.Errorf("linuxref: bundle %s: %v", dir, err)
		}
		*dst = strings.TrimSpace(string(data))
	}
	return b, nil
}

// BootOptions choose how QEMU runs the guest.
type BootOptions struct {
	// ICount is QEMU's -icount value; "shift=0,sleep=off" makes guest
	// time count guest instructions. Empty: plain TCG (wall-clock runs).
	ICount string
	// Args are more QEMU arguments: the NICs (netbench.Wires.QEMUArgs).
	Args []string
	// Timeout bounds the whole run; QEMU is killed after it.
	Timeout time.Duration
}

// Guest is one boot of the bundle under QEMU.
type Guest struct {
	Version string // uname -r, known once Ready returned

	cmd    *exec.Cmd
	cancel context.CancelFunc
	stdin  io.WriteCloser
	con    console
	seq    int
	waited chan struct{}
}

// Boot starts QEMU on the bundle: the EVK's machine and memory, the
// console on stdio (the harness's pipe).
func Boot(b Bundle, o BootOptions) (*Guest, error) {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Minute
	}
	args := []string{"-machine", "mcimx6ul-evk", "-cpu", "cortex-a7", "-m", "512M", "-nographic",
		"-kernel", b.Kernel, "-dtb", b.DTB, "-initrd", b.Initrd, "-append", b.Cmdline}
	if o.ICount != "" {
		args = append(args, "-icount", o.ICount)
	}
	args = append(args, o.Args...)
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	g := &Guest{cancel: cancel, waited: make(chan struct{})}
	g.con.more = make(chan struct{})
	g.cmd = exec.CommandContext(ctx, "qemu-system-arm", args...)
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		cancel()
		return nil, err
	}
	out, err := g.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	g.cmd.Stderr = g.cmd.Stdout
	if err := g.cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("linuxref: %v", err)
	}
	go func() {
		g.con.read(out)
		_ = g.cmd.Wait()
		close(g.waited)
	}()
	return g, nil
}

// Ready waits for the init to report, then for the console to answer a
// command (characters sent while the tty settles may be lost).
func (g *Guest) Ready(ctx context.Context) error {
	i, err := g.con.wait(ctx, 0, func(l string) bool { return strings.Contains(l, "linuxref: ") })
	for err == nil && strings.Contains(g.con.line(i), "linuxref: FAILED") {
		i, err = g.con.wait(ctx, i+1, func(l string) bool { return strings.Contains(l, "linuxref: ready") })
		err = errors.Join(err, errors.New("init failed"))
	}
	if err != nil {
		return fmt.Errorf("linuxref: boot: %v\n%s", err, g.Output())
	}
	_, g.Version, _ = strings.Cut(g.con.line(i), "linuxref: ready ")
	for try := 0; ; try++ {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := g.Run(tctx, ":")
		cancel()
		if err == nil {
			return nil
		}
		if try == 3 || ctx.Err() != nil {
			return fmt.Errorf("linuxref: console does not answer: %v\n%s", err, g.Output())
		}
	}
}

var markerRE = regexp.MustCompile(`^@@(\d+) (\d+)$`)

// Run runs one shell command line in the guest and returns the lines it
// printed; a non-zero exit status is an error (with the lines).
func (g *Guest) Run(ctx context.Context, line string) ([]string, error) {
	if strings.ContainsAny(line, "\n\r") {
		return nil, fmt.Errorf("linuxref: command %q spans lines", line)
	}
	g.seq++
	seq := strconv.Itoa(g.seq)
	from := g.con.len()
	// The init reads "SEQ COMMAND" and answers "@@SEQ STATUS"; the
	// leading space may be lost without harm.
	if _, err := io.WriteString(g.stdin, " "+seq+" "+line+"\n"); err != nil {
		return nil, fmt.Errorf("linuxref: console: %v", err)
	}
	end, err := g.con.wait(ctx, from, func(l string) bool {
		m := markerRE.FindStringSubmatch(l)
		return m != nil && m[1] == seq
	})
	if err != nil {
		return nil, fmt.Errorf("linuxref: %q: %v", line, err)
	}
	out := g.con.slice(from, end)
	if status := markerRE.FindStringSubmatch(g.con.line(end))[2]; status != "0" {
		return out, fmt.Errorf("linuxref: %q: exit status %s: %s", line, status, strings.Join(out, "\n"))
	}
	return out, nil
}

// Probe reads the guest's clock, idle time and counters (a netbench.Probe).
func (g *Guest) Probe(ctx context.Context) (netbench.Sample, error) {
	out, err := g.Run(ctx, "snap")
	if err != nil {
		return netbench.Sample{}, err
	}
	return parseSnap(out)
}

// Rules loads the bridge rules (on) or removes every rule (off: a bare
// bridge; with no ct expression left, bridge conntrack unhooks too).
func (g *Guest) Rules(ctx context.Context, on bool) error {
	arg := map[bool]string{true: "on", false: "off"}[on]
	_, err := g.Run(ctx, "rules "+arg)
	return err
}

// Output is everything the console printed so far.
func (g *Guest) Output() string {
	return strings.Join(g.con.slice(0, g.con.len()), "\n")
}

// Close stops QEMU.
func (g *Guest) Close() {
	g.cancel()
	<-g.waited
}

// console keeps every line the guest printed; waiters scan from an index,
// so no line is missed however late they look.
type console struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed (and replaced) when a line arrives or the output ends
	ended bool
}

func (c *console) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		c.add(strings.TrimRight(sc.Text(), "\r"), false)
	}
	c.add("", true)
}

func (c *console) add(l string, end bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end {
		c.ended = true
	} else {
		c.lines = append(c.lines, l)
	}
	close(c.more)
	c.more = make(chan struct{})
}

func (c *console) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lines)
}

func (c *console) line(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines[i]
}

func (c *console) slice(from, to int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines[from:to]...)
}

// wait returns the index of the first line at or after from that matches.
func (c *console) wait(ctx context.Context, from int, match func(string) bool) (int, error) {
	for {
		c.mu.Lock()
		for ; from < len(c.lines); from++ {
			if match(c.lines[from]) {
				c.mu.Unlock()
				return from, nil
			}
		}
		more, ended := c.more, c.ended
		c.mu.Unlock()
		if ended {
			return -1, errors.New("QEMU exited")
		}
		select {
		case <-more:
		case <-ctx.Done():
			return -1, ctx.Err()
		}
	}
}
