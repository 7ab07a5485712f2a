//go:build tamago && arm

// soc_tamago.go owns the SoC wiring of the MACs on tamago/arm: the ENET
// clock gate and 50 MHz reference PLL (through tamago's imx6ul helpers),
// and the GIC: enabling the MAC interrupts and dispatching IRQs to MAC.ISR.
// Pads (IOMUX) and PHY power stay with the board package.

package enet

import (
	"fmt"

	"github.com/usbarmory/tamago/arm"
	"github.com/usbarmory/tamago/arm/gic"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

// CCM clock gates of the ENETs (IMX6ULRM / IMX6ULLRM chapter 18, CCM_CCGRn;
// 0b11 = clock on in all modes). The gate moved between the two parts:
// i.MX6UL gates enet_clk in CCGR3 CG2, i.MX6ULL in CCGR0 CG6 (where the
// i.MX6UL has CAAM's IPG clock). Linux clk-imx6ul.c agrees; tamago's
// imx6ul package uses CCGR0 CG6 for both parts.
const (
	ccmCCGR0    = 0x020C4068
	ccmCCGR3    = 0x020C4074
	ccgrULLENET = 0b11 << 12 // CCGR0 CG6 on i.MX6ULL
	ccgrULENET  = 0b11 << 4  // CCGR3 CG2 on i.MX6UL
)

// EnableClocks opens the ENET clock gate and starts the 50 MHz RMII
// reference clock of port p (ANADIG PLL6 ENET output, driven out on
// ENETx_TX_CLK: tamago's imx6ul.EnableENETPLL, IMX6ULRM chapter 18 and
// IOMUXC_GPR1). It returns the IPG clock for Options.IPGClockHz.
func EnableClocks(p Port) (ipgHz uint32, err error) {
	ul, ull := true, true // unknown part (QEMU's model): open both gates
	switch imx6ul.Model() {
	case "i.MX6UL":
		ull = false
	case "i.MX6ULL", "i.MX6ULZ":
		ul = false
	}
	if ull {
		g := &MMIO{base: physPointer(ccmCCGR0)}
		g.Write32(0, g.Read32(0)|ccgrULLENET)
	}
	if ul {
		g := &MMIO{base: physPointer(ccmCCGR3)}
		g.Write32(0, g.Read32(0)|ccgrULENET)
	}
	if err := imx6ul.EnableENETPLL(p.Index); err != nil {
		return 0, fmt.Errorf("enet: ENET%d reference clock: %w", p.Index, err)
	}
	return imx6ul.GetPeripheralClock(), nil
}

// ServeInterrupts enables each MAC's interrupt in the GIC (initialised by
// the caller) and services IRQs on the calling goroutine forever: every
// pending interrupt ID is acknowledged at the GIC and routed to its MAC's
// ISR; others go to other (may be nil). Run each MAC's poll loop (MAC.Run)
// on its own goroutine.
func ServeInterrupts(cpu *arm.CPU, g *gic.GIC, other func(id int), macs ...*MAC) {
	byID := make(map[int]*MAC, len(macs))
	for _, m := range macs {
		byID[m.Port().IRQ] = m
		g.EnableInterrupt(m.Port().IRQ)
	}
	cpu.ServiceInterrupts(func() {
		for {
			id := g.GetInterrupt()
			if id >= 1020 { // 1020-1023: spurious / none pending (GICv2 3.2.5)
				return
			}
			if m := byID[id]; m != nil {
				m.ISR()
			} else if other != nil {
				other(id)
			}
		}
	})
}

// DefaultCPU and DefaultGIC are tamago's i.MX6UL instances, for callers
// that do not hold their own.
var (
	DefaultCPU = imx6ul.ARM
	DefaultGIC = imx6ul.GIC
)
