// Command selftest is test-only firmware: it checks, inside the guest, that
// the GOOS=tamago runtime port really works (scheduler, timers, GC, random
// numbers, panics, a gVisor TCP/IP stack), prints one line per check on
// UART1, and reports through the semihosting exit status: 0 when every
// check passed, 1 when one failed, 2 (the runtime's own) on a panic. The
// runtime idles and keeps time through the appliance's board/idle.
//
// The semihosting command line picks what to run: `-append panic` runs the
// deliberate goroutine panic; anything else runs all the checks.
//
//go:build tamago && arm

package main

import (
	"fmt"
	"runtime/goos"
	"strings"

	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/board/semihosting"
	_ "github.com/usbarmory/tamago/board/nxp/mx6ullevk"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

type check struct {
	name string
	run  func() error
}

var checks = []check{
	{"goroutines", checkGoroutines},
	{"idle", checkIdle},
	{"sleep", checkSleep},
	{"timers", checkTimers},
	{"wallclock", checkWallClock},
	{"gc", checkGC},
	{"rand", checkRand},
	{"netstack", checkNetstack},
}

func main() {
	goos.Exit = semihosting.Exit
	args := strings.Fields(semihosting.Cmdline())

	// The appliance's idle governor and clock, so that the sleep and
	// timer checks run on them.
	imx6ul.GIC.Init()
	if err := idle.Start(imx6ul.ARM, imx6ul.GIC); err != nil {
		fmt.Printf("selftest: %v\n", err)
		goos.Exit(1)
	}

	for _, a := range args {
		if a == "panic" {
			panicInGoroutine()
		}
	}

	failed := 0
	for _, c := range checks {
		if err := c.run(); err != nil {
			fmt.Printf("selftest: %s FAIL: %v\n", c.name, err)
			failed++
			continue
		}
		fmt.Printf("selftest: %s ok\n", c.name)
	}
	fmt.Printf("selftest: %d of %d checks failed\n", failed, len(checks))
	if failed > 0 {
		goos.Exit(1)
	}
	goos.Exit(0)
}
