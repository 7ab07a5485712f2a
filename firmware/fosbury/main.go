// Command fosbury is the appliance firmware for the MCIMX6UL(L)-EVK, the
// board QEMU's mcimx6ul-evk machine models. It owns the wiring of the
// board, the drivers and the services; it prints a banner on UART1 and then
// runs until reset.
//
//go:build tamago && arm

package main

import (
	"fmt"
	"runtime"
	"runtime/goos"
	"strings"
	"time"
	_ "unsafe" // go:linkname

	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/usbarmory/tamago/board/nxp/mx6ullevk"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

// Version is set at link time (-X main.Version=...).
var Version = "dev"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

func main() {
	bootNS := nanotime()
	_ = mx6ullevk.UART1 // the board package brings up the console

	start, end := runtime.MemRegion()
	fmt.Printf("fosbury %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("soc: %s, cpu: %d MHz, ram: %d MiB at %#08x\n",
		imx6ul.Model(), imx6ul.ARMFreq()/1000000, (end-start)>>20, start)
	fmt.Printf("boot: banner after %v of guest time\n", time.Duration(bootNS).Round(time.Microsecond))

	// Under QEMU -semihosting, `-append exit` ends the run here: the tests
	// use it to measure boot time; a board never sees that command line.
	if strings.Contains(semihostingCmdline(), " exit") {
		goos.Exit(0)
	}
	fmt.Println("fosbury: ready (no network services yet)")
	for {
		time.Sleep(time.Hour)
	}
}

func semihostingCmdline() string {
	if !imx6ul.Native {
		return semihosting.Cmdline()
	}
	return ""
}

func init() {
	if !imx6ul.Native {
		goos.Exit = semihosting.Exit
	}
}
