// Command baseline is the measurement baseline for the appliance: the same
// filter, gVisor link endpoint, netstack and /status as firmware/fosbury,
// but over tamago's own soc/nxp/enet driver, which copies every frame
// between its OCRAM descriptors/buffers and Go memory and writes TDAR for
// every frame — the design of usbarmory/imx-enet. It exists only to be
// measured side by side (make bench-qemu); it serves the lan port (ENET1).
// It idles in the appliance's governor (board/idle), not in tamago's
// spinning default, so that its whole-system busy time (/status cpu) is
// the copy driver's and the stack's, as the appliance's is.
//
//go:build tamago && arm

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime/goos"
	"time"
	_ "unsafe" // go:linkname

	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/board/semihosting"
	fenet "github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/firmware/internal/defaults"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/fosbury-net/fosbury/netstack/link"
	_ "github.com/usbarmory/tamago/board/nxp/mx6ullevk"
	"github.com/usbarmory/tamago/soc/nxp/enet"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
	"gvisor.dev/gvisor/pkg/tcpip"
)

var Version = "dev"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// copyPort is netstack/link's Port over tamago's driver: the stack writes
// into one Go buffer, Transmit copies it to the driver's DMA buffer and
// rings TDAR, per frame.
type copyPort struct {
	hw  *enet.ENET
	buf [2048]byte
	mac tcpip.LinkAddress
}

func (p *copyPort) LinkAddress() tcpip.LinkAddress { return p.mac }
func (p *copyPort) Flush()                         {}
func (p *copyPort) With(max int, fill func([]byte) int) error {
	if max > len(p.buf) {
		return errors.New("baseline: frame too long")
	}
	if n := fill(p.buf[:max]); n > 0 && n <= max {
		p.hw.Transmit(p.buf[:n])
	}
	return nil
}

func main() {
	if !imx6ul.Native {
		goos.Exit = semihosting.Exit
	}
	fmt.Printf("baseline %s: tamago soc/nxp/enet copy driver\n", Version)
	if err := run(); err != nil {
		fmt.Printf("baseline: %v\n", err)
		goos.Exit(1)
	}
	select {}
}

func run() error {
	cfg, err := netstack.ParseConfig("fosbury.conf", defaults.Config)
	if err != nil {
		return err
	}
	imx6ul.GIC.Init()
	if err := idle.Start(imx6ul.ARM, imx6ul.GIC); err != nil {
		return err
	}
	hw := imx6ul.ENET1
	hw.MAC = []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	if err := hw.Init(); err != nil {
		return err
	}
	port := &copyPort{hw: hw, mac: tcpip.LinkAddress(hw.MAC)}
	nic, ep := link.NewNIC(link.Options{Port: port})
	s, err := netstack.New(cfg, []netstack.NIC{{Name: "lan", Link: nic}})
	if err != nil {
		return err
	}
	var self []netip.Prefix
	for _, pc := range cfg.Ports {
		for _, p := range pc.Addrs {
			self = append(self, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
	}
	eng := filter.NewEngine(filter.Options{Self: self})
	if err := eng.Load("fosbury.rules", defaults.Rules); err != nil {
		return err
	}
	var rx, dropped, busy uint64
	started := time.Now()
	ln, err := s.ListenTCP(cfg.HTTPPort, true)
	if err != nil {
		return fmt.Errorf("listen: %v", err)
	}
	go mgmt.Serve(ln, mgmt.Options{Version: "baseline-" + Version, Started: started, Collect: func(st *mgmt.Status) {
		// The same fields the appliance fills, where the copy driver has them.
		p := mgmt.PortStatus{Name: "lan", Link: fenet.Link{Up: true, Speed: 100, FullDuplex: true}, Stack: ep.Stats()}
		p.Driver.RX.Frames = rx
		st.CPU = idle.Read()
		st.Ports = []mgmt.PortStatus{p}
		st.Loop.BusyNS = busy
		st.Datapath.Dropped = dropped
	}})

	// Receive as imx-enet does: on each RXF interrupt, copy every ready
	// frame out of the ring into a Go buffer, then hand it on.
	hw.EnableInterrupt(enet.IRQ_RXF)
	imx6ul.GIC.EnableInterrupt(hw.IRQ)
	hw.Start()
	fmt.Printf("fosbury: ready: http://<address>:%d/status\n", cfg.HTTPPort)
	buf := make([]byte, 2048)
	go imx6ul.ARM.ServiceInterrupts(func() {
		for {
			id := imx6ul.GIC.GetInterrupt()
			if id >= 1020 {
				return
			}
			if id != hw.IRQ {
				continue
			}
			hw.ClearInterrupt(enet.IRQ_RXF)
			t0 := nanotime()
			for {
				n, err := hw.Receive(buf)
				if n == 0 || err != nil {
					break
				}
				rx++
				frame := append([]byte(nil), buf[:n]...) // as imx-enet: a new slice per frame
				if v := eng.Decide(frame, filter.Meta{Port: 0, Now: nanotime()}); v.Action != filter.Pass {
					dropped++
					continue
				}
				ep.Deliver(frame)
			}
			busy += uint64(nanotime() - t0)
		}
	})
	return nil
}
