// Package board holds the per-board facts fosbury needs: which ENET ports
// a board wires and to which PHY, and where its DMA region sits in DDR
// with which memory attributes. It is plain data, checked on the host;
// the bring-up that applies it lives in board/evk and board/mk2lan
// (tamago/arm only).
package board

import "fmt"

// ENET controller facts (IMX6ULRM 2.2 memory map, 3.2 interrupts).
const (
	ENET1Base = 0x02188000
	ENET2Base = 0x020b4000
	ENET1IRQ  = 32 + 118 // GIC ID of SPI 118
	ENET2IRQ  = 32 + 120 // GIC ID of SPI 120
)

// PHY models the drivers know.
const (
	PHYKSZ8081RNB = "ksz8081rnb" // Microchip, MCIMX6UL(L)-EVK
	PHYDP83825I   = "dp83825i"   // TI, USB armory Mk II LAN
)

// Port is one Ethernet port of a board.
type Port struct {
	Name string // as the configuration and the rules call it
	ENET int    // 1 or 2
	// MDIOBus is the ENET whose MDIO pins reach this port's PHY; PHYAddr
	// is its address there. On the EVK both PHYs hang off ENET2's MDIO
	// (QEMU >= 8.1 too); QEMU 7.2 answers each PHY on its own ENET only,
	// which the driver's probe detects.
	MDIOBus, PHYAddr int
	PHY              string
}

// Base is the port's ENET register base.
func (p Port) Base() uint32 {
	if p.ENET == 1 {
		return ENET1Base
	}
	return ENET2Base
}

// IRQ is the port's GIC interrupt ID.
func (p Port) IRQ() int {
	if p.ENET == 1 {
		return ENET1IRQ
	}
	return ENET2IRQ
}

// PHYAlone reports whether p's PHY is the only one the board puts on its
// MDIO bus: then a PHY found there at another address (a scan) is p's.
func (b *Board) PHYAlone(p Port) bool {
	for _, q := range b.Ports {
		if q.ENET != p.ENET && q.MDIOBus == p.MDIOBus {
			return false
		}
	}
	return true
}

// DMA describes the region of DDR kept out of the Go heap for the
// network: its first DescBytes hold descriptor rings, mapped normal
// non-cacheable; the rest holds packet pages, mapped write-back cacheable.
type DMA struct {
	Start, Size, DescBytes uint32
}

// Medium is the card or chip that holds the configuration store
// (cfgstore), on one of the SoC's two uSDHC controllers (IMX6ULRM 58).
type Medium struct {
	Name  string // for the console: "microSD", "eMMC"
	USDHC int    // 1 or 2; QEMU's mcimx6ul-evk attaches -drive if=sd,index=N-1 to uSDHC N
}

// Board is what firmware needs to know of a board.
type Board struct {
	Name string
	// DDR is the RAM, RAMSize what the Go runtime gets of it from its
	// start: everything below DMA.Start.
	DDRStart, DDRSize uint32
	DMA               DMA
	Ports             []Port
	Store             Medium
}

// RAMSize is the size given to the runtime (goos.RamSize).
func (b *Board) RAMSize() uint32 { return b.DMA.Start - b.DDRStart }

// section is the MMU's 1 MiB section: attributes change per section.
const section = 1 << 20

// Validate checks the facts are consistent; firmware calls it at boot and
// tests call it on every board.
func (b *Board) Validate() error {
	d := b.DMA
	switch {
	case d.Start%section != 0 || d.Size%section != 0 || d.DescBytes%section != 0:
		return fmt.Errorf("%s: DMA region %#x+%#x (descriptors %#x) is not in whole 1 MiB MMU sections", b.Name, d.Start, d.Size, d.DescBytes)
	case d.DescBytes == 0 || d.DescBytes >= d.Size:
		return fmt.Errorf("%s: DMA region needs descriptor and page space", b.Name)
	case d.Start < b.DDRStart || uint64(d.Start)+uint64(d.Size) > uint64(b.DDRStart)+uint64(b.DDRSize):
		return fmt.Errorf("%s: DMA region %#x+%#x is outside DDR", b.Name, d.Start, d.Size)
	case b.RAMSize() < 64<<20:
		return fmt.Errorf("%s: only %d MiB left for the runtime", b.Name, b.RAMSize()>>20)
	case len(b.Ports) == 0:
		return fmt.Errorf("%s: no ports", b.Name)
	case b.Store.USDHC != 1 && b.Store.USDHC != 2:
		return fmt.Errorf("%s: the configuration store is on uSDHC%d", b.Name, b.Store.USDHC)
	}
	seen := map[int]bool{}
	for _, p := range b.Ports {
		if p.ENET != 1 && p.ENET != 2 || p.MDIOBus != 1 && p.MDIOBus != 2 || p.PHYAddr < 0 || p.PHYAddr > 31 {
			return fmt.Errorf("%s: port %s: bad ENET %d / MDIO %d / PHY address %d", b.Name, p.Name, p.ENET, p.MDIOBus, p.PHYAddr)
		}
		if seen[p.ENET] {
			return fmt.Errorf("%s: ENET%d used twice", b.Name, p.ENET)
		}
		seen[p.ENET] = true
	}
	return nil
}

// DDR of both boards: 512 MiB at 0x80000000; the top 16 MiB are the DMA
// region: 1 MiB of descriptors, 15 MiB (3840 pages) of packet memory.
const (
	ddrStart = 0x80000000
	ddrSize  = 512 << 20
	dmaSize  = 16 << 20
)

// EVK is the MCIMX6UL(L)-EVK, also what QEMU's mcimx6ul-evk models: two
// ports, KSZ8081RNB PHYs at addresses 2 (ENET1) and 1 (ENET2), both on
// ENET2's MDIO bus. It boots from the CPU board's microSD slot, uSDHC2
// (uSDHC1 is the base board's full-size slot), which holds the store.
var EVK = Board{
	Name:     "MCIMX6UL(L)-EVK",
	DDRStart: ddrStart, DDRSize: ddrSize,
	DMA: DMA{Start: ddrStart + ddrSize - dmaSize, Size: dmaSize, DescBytes: section},
	Ports: []Port{
		{Name: "lan", ENET: 1, MDIOBus: 2, PHYAddr: 2, PHY: PHYKSZ8081RNB},
		{Name: "wan", ENET: 2, MDIOBus: 2, PHYAddr: 1, PHY: PHYKSZ8081RNB},
	},
	Store: Medium{Name: "microSD", USDHC: 2},
}

// MK2LAN is the USB armory Mk II LAN: ENET2 with a DP83825I at address 0.
// It has no microSD slot (tamago's board package leaves SD nil on the LAN
// model): it boots from, and keeps the store on, its eMMC on uSDHC2.
var MK2LAN = Board{
	Name:     "USB armory Mk II LAN",
	DDRStart: ddrStart, DDRSize: ddrSize,
	DMA: DMA{Start: ddrStart + ddrSize - dmaSize, Size: dmaSize, DescBytes: section},
	Ports: []Port{
		{Name: "lan", ENET: 2, MDIOBus: 2, PHYAddr: 0, PHY: PHYDP83825I},
	},
	Store: Medium{Name: "eMMC", USDHC: 2},
}
