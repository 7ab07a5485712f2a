//go:build hwtest

// Watchdog tests: a test build told to hang (QEMU -append hang-datapath,
// hang-mgmt) must be reset by WDOG1 and boot again; the appliance the other
// tests share must never have rebooted. This file sorts after the other
// tests, so TestWatchdogNoReboot sees the shared boot after all of them.
package hwtests

import (
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/mgmt"
)

// bannerMark is in the first line every boot prints ("fosbury <version>
// (go..., tamago/arm) on <board>").
const bannerMark = "tamago/arm) on "

// watchdogOf is the one place that knows where /status keeps the reset
// cause and the watchdog.
func watchdogOf(t *testing.T, st mgmt.Status) (cause string, w mgmt.WatchdogStatus) {
	t.Helper()
	if st.Reset.Cause == "" || st.Watchdog.TimeoutSeconds == 0 {
		t.Fatalf("/status has no reset cause or watchdog: %+v %+v", st.Reset, st.Watchdog)
	}
	return st.Reset.Cause, st.Watchdog
}

// hangAndReboot boots with -append mode, waits for the hang, the monitor
// naming the stale source, and the second boot.
func hangAndReboot(t *testing.T, mode, stale string) {
	r, err := Boot(need(t, firmware, "firmware"), 5*time.Minute, "-append", mode)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	step := func(substr string) (string, time.Duration) {
		t.Helper()
		l, at, err := r.WaitLine(substr)
		if err != nil {
			t.Fatalf("%v\nconsole:\n%s", err, r.Output())
		}
		return l, at
	}
	step(bannerMark)
	step("watchdog: armed")
	step("fosbury: ready")
	_, hung := step(mode + ": ")
	l, staleAt := step("health: stale: ")
	if !strings.Contains(l, stale) {
		t.Errorf("monitor blamed %q, want %s", l, stale)
	}
	_, again := step(bannerMark)
	cause, _ := step("reset: ")
	step("fosbury: ready") // and the second boot comes up
	t.Logf("%s: stale after %v, rebooted %v after the hang (wall time); second boot: %q",
		mode, (staleAt - hung).Round(time.Millisecond), (again - hung).Round(time.Millisecond), cause)
	if n := strings.Count(r.Output(), bannerMark); n < 2 {
		t.Errorf("%d banners on the console, want at least 2", n)
	}
}

func TestWatchdogRebootsHungDatapath(t *testing.T) {
	hangAndReboot(t, "hang-datapath", "poll")
}

func TestWatchdogRebootsHungManagement(t *testing.T) {
	hangAndReboot(t, "hang-mgmt", "mgmt")
}

// TestWatchdogNoReboot: the shared appliance, after every other test (or,
// run alone, after more than a deadline plus a watchdog time-out), has
// booted once, fed the watchdog every round and has every source fresh.
func TestWatchdogNoReboot(t *testing.T) {
	a := bootAppliance(t)
	st := a.status(t)
	if wait := 30*time.Second - time.Duration(st.UptimeSeconds*float64(time.Second)); wait > 0 {
		time.Sleep(wait) // long enough for a reboot to happen if one would
		st = a.status(t)
	}
	cause, w := watchdogOf(t, st)
	out := a.run.Output()
	if n := strings.Count(out, bannerMark); n != 1 {
		t.Errorf("%d boots on the console, want 1", n)
	}
	if strings.Contains(out, "health: stale") {
		t.Error("the monitor found a stale source")
	}
	if !w.Ready || !w.Feeding || w.Missed != 0 || w.Feeds == 0 || w.TimeoutSeconds <= 0 {
		t.Errorf("watchdog %+v", w)
	}
	poll, mgmtSeen := false, false
	for _, s := range w.Sources {
		poll = poll || strings.Contains(s.Name, "poll")
		mgmtSeen = mgmtSeen || s.Name == "mgmt"
		if !s.Fresh {
			t.Errorf("source %s stale: %+v", s.Name, s)
		}
	}
	if !poll || !mgmtSeen {
		t.Errorf("sources %+v lack a poll loop or mgmt", w.Sources)
	}
	t.Logf("uptime %.0fs, reset cause %q, %d feeds, sources %+v", st.UptimeSeconds, cause, w.Feeds, w.Sources)
}
