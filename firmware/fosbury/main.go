// Command fosbury is the appliance firmware for the MCIMX6UL(L)-EVK, the
// board QEMU's mcimx6ul-evk machine models. It owns the wiring: board
// bring-up, configuration (firmware/internal/defaults), the
// network (net.go) and the console banner.
//
//go:build tamago && arm && linkramsize

package main

import (
	"fmt"
	"runtime"
	"runtime/goos"
	"strings"
	"time"
	_ "unsafe" // go:linkname

	"github.com/fosbury-net/fosbury/board/evk"
	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/fosbury-net/fosbury/firmware/internal/defaults"
	"github.com/fosbury-net/fosbury/stack"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

// Version is set at link time (-X main.Version=...).
var Version = "dev"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

func main() {
	bootNS := nanotime()
	start, end := runtime.MemRegion()
	fmt.Printf("fosbury %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("soc: %s, cpu: %d MHz, ram: %d MiB at %#08x\n",
		imx6ul.Model(), imx6ul.ARMFreq()/1000000, (end-start)>>20, start)
	fmt.Printf("boot: banner after %v of guest time\n", time.Duration(bootNS).Round(time.Microsecond))

	// Under QEMU -semihosting, `-append exit` ends the run here: the boot
	// test uses it; a board never sees that command line.
	args := ""
	if !imx6ul.Native {
		args = semihosting.Cmdline()
	}
	if strings.Contains(args, " exit") {
		goos.Exit(0)
	}

	if err := run(); err != nil {
		fmt.Printf("fosbury: %v\n", err)
		goos.Exit(1)
	}
	select {}
}

func run() error {
	if err := evk.Init(); err != nil {
		return err
	}
	cfg, err := stack.ParseConfig("fosbury.conf", defaults.Config)
	if err != nil {
		return err
	}
	started := time.Now()
	a, err := startNetwork(evk.Board, cfg, defaults.Rules)
	if err != nil {
		return err
	}
	for _, pc := range cfg.Ports {
		fmt.Printf("net: %s: %v\n", pc.Name, pc.Addrs)
	}
	if cfg.HTTPPort != 0 {
		if err := a.serveManagement(cfg.HTTPPort, started); err != nil {
			return err
		}
		fmt.Printf("fosbury: ready: http://<address>:%d/status\n", cfg.HTTPPort)
	}
	return nil
}

func init() {
	if !imx6ul.Native {
		goos.Exit = semihosting.Exit
	}
}
