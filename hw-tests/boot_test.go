//go:build hwtest

package hwtests

import (
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	firmware = flag.String("firmware", "", "appliance firmware ELF")
	selftest = flag.String("selftest", "", "runtime self-test firmware ELF")
)

func need(t *testing.T, path *string, name string) string {
	t.Helper()
	if *path == "" {
		t.Fatalf("-%s is required (make test-qemu passes it)", name)
	}
	return *path
}

// The appliance boots to its banner, which names the SoC, the RAM and the
// CPU clock; `-append exit` makes it leave through semihosting with 0. The
// runtime has 496 MiB: the top 16 MiB of the EVK's 512 are the DMA region.
func TestBootBanner(t *testing.T) {
	r, err := Boot(need(t, firmware, "firmware"), 2*time.Minute, "-append", "exit")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	line, wall, err := r.WaitLine("fosbury ")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, r.Output())
	}
	t.Logf("banner %q after %v wall time", line, wall)
	soc, _, err := r.WaitLine("soc: ")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, r.Output())
	}
	if !regexp.MustCompile(`soc: \S+, cpu: [1-9][0-9]* MHz, ram: 496 MiB at 0x80000000`).MatchString(soc) {
		t.Errorf("unexpected SoC line %q", soc)
	}
	boot, _, err := r.WaitLine("boot: banner after")
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, r.Output())
	}
	t.Logf("%s", boot)
	code, err := r.Wait()
	if err != nil || code != 0 {
		t.Fatalf("exit status %d (%v), want 0\nconsole:\n%s", code, err, r.Output())
	}
}

// The self-test firmware runs every runtime check in the guest and exits 0
// only when all passed; each check prints its own line.
func TestRuntimeSelftest(t *testing.T) {
	r, err := Boot(need(t, selftest, "selftest"), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	code, err := r.Wait()
	out := r.Output()
	t.Logf("console:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"goroutines", "sleep", "timers", "wallclock", "gc", "rand", "netstack"} {
		if !strings.Contains(out, "selftest: "+c+" ok") {
			t.Errorf("check %s did not pass", c)
		}
	}
	if code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

// A panic on a goroutine is printed with its stack trace and ends the run
// with the runtime's panic status (2), not a hang and not 0.
func TestGoroutinePanic(t *testing.T) {
	r, err := Boot(need(t, selftest, "selftest"), 2*time.Minute, "-append", "panic")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	code, err := r.Wait()
	out := r.Output()
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, out)
	}
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	for _, want := range []string{"panic: assignment to entry in nil map", "goroutine ", "firmware/selftest/runtime.go:"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", out)
	}
}
