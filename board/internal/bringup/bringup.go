// Package bringup applies board facts to the SoC: DMA region memory
// attributes and ENET pin muxing, then starts the interrupt controller
// and the idle governor. It writes MMU tables, IOMUXC and GIC
// registers, nothing else, and runs once at boot.
//
//go:build tamago && arm

package bringup

import (
	"fmt"
	"runtime"

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/usbarmory/tamago/arm"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
	"github.com/usbarmory/tamago/soc/nxp/iomuxc"
)

// Section attributes (ARM ARM B3.5.1, short-descriptor section, TEX remap
// off). Descriptors: Normal, non-cacheable (TEX=001, C=0, B=0), so writes
// may be buffered and merged — which is why the rings issue dma_wmb.
// Packet pages: Normal, write-back cacheable (TEX=000, C=1, B=1): the
// rings keep them coherent with SyncForCPU/SyncForDevice.
const (
	texNormalNC   = 1 << 12
	descriptorMap = texNormalNC | arm.TTE_AP_001<<10 | arm.TTE_SECTION | arm.TTE_EXECUTE_NEVER
	pageMap       = arm.MemoryRegion | arm.TTE_EXECUTE_NEVER
)

// Init checks the runtime stays below the DMA region, maps the region,
// muxes every port's pins, initialises the GIC (every interrupt off;
// drivers enable theirs) and hands the idle CPU to the governor, which
// needs the GIC for its alarm.
func Init(b *board.Board) error {
	if err := b.Validate(); err != nil {
		return err
	}
	_, ramEnd := runtime.MemRegion()
	if ramEnd > b.DMA.Start {
		return fmt.Errorf("%s: the runtime owns RAM up to %#x, over the DMA region at %#x (build with -tags linkramsize)",
			b.Name, ramEnd, b.DMA.Start)
	}
	d := b.DMA
	imx6ul.ARM.ConfigureMMU(d.Start, d.Start+d.DescBytes, 0, descriptorMap)
	imx6ul.ARM.ConfigureMMU(d.Start+d.DescBytes, d.Start+d.Size, 0, pageMap)
	for _, p := range b.Ports {
		for _, pad := range board.ENETPads(p.ENET, p.MDIOBus) {
			apply(pad)
		}
	}
	imx6ul.GIC.Init()
	return idle.Start(imx6ul.ARM, imx6ul.GIC)
}

func apply(p board.Pad) {
	speed := uint32(iomuxc.SW_PAD_CTL_SPEED_50MHZ)
	if p.Fast {
		speed = iomuxc.SW_PAD_CTL_SPEED_100MHZ
	}
	ctl := uint32(iomuxc.SW_PAD_CTL_DSE_2_R0_6)<<iomuxc.SW_PAD_CTL_DSE |
		speed<<iomuxc.SW_PAD_CTL_SPEED |
		1<<iomuxc.SW_PAD_CTL_PUE | 1<<iomuxc.SW_PAD_CTL_PKE |
		uint32(iomuxc.SW_PAD_CTL_PUS_PULL_UP_100K)<<iomuxc.SW_PAD_CTL_PUS |
		1<<iomuxc.SW_PAD_CTL_HYS
	pad := &iomuxc.Pad{Mux: p.Mux, Pad: p.Ctl, Daisy: p.Daisy}
	pad.Mode(p.Mode)
	pad.Ctl(ctl)
	if p.Daisy != 0 {
		pad.Select(p.DaisyValue)
	}
	if p.SION {
		pad.SoftwareInput(true)
	}
}
