// main.go owns the firmware's life on any board: the banner, the
// semihosting exit under QEMU, board bring-up, configuration and network.
//
//go:build tamago && arm

package appliance

import (
	"fmt"
	"runtime"
	"runtime/goos"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

// Main runs the firmware for board b, whose bring-up is boardInit; it
// returns only through goos.Exit on a fatal error.
func Main(b *board.Board, boardInit func() error, version string) {
	bootNS := nanotime()
	if !imx6ul.Native {
		goos.Exit = semihosting.Exit // QEMU: a status instead of a halt
	}
	start, end := runtime.MemRegion()
	fmt.Printf("fosbury %s (%s, %s/%s) on %s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, b.Name)
	fmt.Printf("soc: %s, cpu: %d MHz, ram: %d MiB at %#08x\n",
		imx6ul.Model(), imx6ul.ARMFreq()/1000000, (end-start)>>20, start)
	fmt.Printf("boot: banner after %v of guest time\n", time.Duration(bootNS).Round(time.Microsecond))

	// Under QEMU -semihosting, `-append exit` ends the run here: the boot
	// test uses it; a board never sees that command line.
	if !imx6ul.Native && strings.Contains(semihosting.Cmdline(), " exit") {
		goos.Exit(0)
	}
	g, err := armWatchdog()
	if err != nil {
		fmt.Printf("fosbury: %v\n", err)
		goos.Exit(1)
	}
	if err := run(b, boardInit, version, g); err != nil {
		fmt.Printf("fosbury: %v\n", err)
		goos.Exit(1)
	}
	select {}
}

func run(b *board.Board, boardInit func() error, version string, g *guard) error {
	if err := boardInit(); err != nil {
		return err
	}
	st, files := bootConfig(b)
	cfg, err := netstack.ParseConfig("fosbury.conf", files.Addresses)
	if err != nil {
		return err
	}
	started := time.Now()
	a, err := Start(b, cfg, files.Rules, version, g)
	if err != nil {
		return err
	}
	for _, pc := range cfg.Ports {
		fmt.Printf("net: %s: %v\n", pc.Name, pc.Addrs)
	}
	if err := a.StartAutoconf(cfg); err != nil {
		return err
	}
	if cfg.HTTPPort != 0 {
		a.newControl(st, files)
		if err := a.ServeManagement(cfg.HTTPPort, started); err != nil {
			return err
		}
		fmt.Printf("fosbury: ready: http://<address>:%d/status\n", cfg.HTTPPort)
	}
	g.markReady()
	return nil
}
