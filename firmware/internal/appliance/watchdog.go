// watchdog.go owns the appliance's watchdog: WDOG1 armed at boot and fed
// by a health monitor only while every poll loop and the management plane
// answer their probes, the reset cause for the console and /status, and
// the QEMU-only hang modes the reboot test uses (-append hang-datapath,
// -append hang-mgmt).
//
//go:build tamago && arm

package appliance

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/fosbury-net/fosbury/board/watchdog"
	"github.com/fosbury-net/fosbury/health"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

// A source that blocks is stale after probeDeadline (+ one probePeriod);
// the SoC resets wdogTimeout after the last feed. So a hung poll loop or
// management plane reboots the appliance within 19 s. The deadline leaves
// room for a slow /status under load (seconds of wall time under a busy
// QEMU host); the time-out is the bound when nothing runs at all (a
// goroutine that never yields: tamago does not preempt). Start-up must
// reach ready within bootDeadline.
const (
	wdogTimeout   = 8 * time.Second
	probePeriod   = time.Second
	probeDeadline = 10 * time.Second
	bootDeadline  = 60 * time.Second
)

type guard struct {
	wdog  *watchdog.WDOG
	mon   *health.Monitor
	reset watchdog.ResetCause
	hang  string        // "datapath" or "mgmt": QEMU test builds only
	ready chan struct{} // closed by markReady
}

// armWatchdog reads the reset cause, arms WDOG1 and starts the monitor.
func armWatchdog() (*guard, error) {
	g := &guard{reset: watchdog.ReadResetCause(), wdog: watchdog.WDOG1(), ready: make(chan struct{})}
	fmt.Printf("reset: %s (SRC_SRSR %#x, WDOG1_WRSR %#x)\n", g.reset.Cause, g.reset.SRSR, g.reset.WRSR)
	var err error
	g.mon, err = health.New(health.Options{Feed: g.wdog.Feed, Period: probePeriod, Deadline: probeDeadline,
		Boot: bootDeadline, Log: func(s string) { fmt.Println(s) }})
	if err != nil {
		return nil, err
	}
	if err := g.wdog.Arm(wdogTimeout); err != nil {
		return nil, err
	}
	if !imx6ul.Native {
		args := strings.Fields(semihosting.Cmdline())
		for _, h := range []string{"datapath", "mgmt"} {
			if slices.Contains(args, "hang-"+h) {
				g.hang = h
			}
		}
	}
	go g.mon.Run(nil)
	fmt.Printf("watchdog: armed, %v time-out; sources must answer within %v\n", wdogTimeout, probeDeadline)
	return g, nil
}

// markReady ends the start-up: from now on every source must stay fresh.
func (g *guard) markReady() {
	g.mon.Ready()
	close(g.ready)
}

// loopProbe registers the poll loop and returns the channel it must answer
// (enet.LoopOptions.Probe). With hang-datapath, once ready, the loop gets a
// function that never returns instead, as if it had deadlocked.
func (g *guard) loopProbe(name string) <-chan func() {
	p := g.mon.Probe(name)
	if g.hang != "datapath" {
		return p.C()
	}
	c := make(chan func())
	go func() {
		for {
			f := <-p.C()
			select {
			case <-g.ready:
				c <- func() {
					fmt.Printf("hang-datapath: %s blocks now\n", name)
					select {}
				}
				return
			default:
				c <- f
			}
		}
	}()
	return c
}

// mgmtListener makes the management server answer probes: GET /health,
// which needs no API token and gathers what /status does.
func (g *guard) mgmtListener(ln net.Listener) net.Listener {
	return health.ProbeListener(ln, g.mon.Probe("mgmt"), "/health", probeDeadline)
}

// collect adds the reset cause and the watchdog to /status. With
// hang-mgmt, once ready, /status never returns, as if a handler had
// deadlocked.
func (g *guard) collect(next func(*mgmt.Status)) func(*mgmt.Status) {
	return func(st *mgmt.Status) {
		if g.hang == "mgmt" {
			select {
			case <-g.ready:
				fmt.Println("hang-mgmt: /status blocks now")
				select {}
			default:
			}
		}
		next(st)
		st.Reset = g.reset
		st.Watchdog = mgmt.WatchdogStatus{TimeoutSeconds: g.wdog.Timeout().Seconds(), Status: g.mon.Status()}
	}
}
