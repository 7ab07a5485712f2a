// regs_access.go owns how the driver reaches ENET registers: the Regs
// interface (MMIO on tamago/arm, a fake on the host), the two ENET instances
// of the i.MX6UL/ULL, and small read-modify-write helpers.

package enet

// Regs is one ENET instance's register file. Offsets are the reg* constants
// (IMX6ULRM 22.5). Implementations must perform every access (no caching,
// no elision, no merging) in program order with respect to other accesses
// through the same Regs.
type Regs interface {
	// Read32 returns the 32-bit register at byte offset off.
	Read32(off uint32) uint32
	// Write32 stores v into the 32-bit register at byte offset off.
	Write32(off uint32, v uint32)
}

// Port identifies one ENET instance of the SoC (IMX6ULRM chapter 2 memory
// map, chapter 3 interrupts: GIC IDs are the SPI number plus 32).
type Port struct {
	Index int    // 1 or 2, as in ENET1 / ENET2
	Base  uint32 // physical base address of the register file
	IRQ   int    // GIC interrupt ID of the MAC interrupt
}

// ENET1 and ENET2 of the i.MX6UL/ULL.
var (
	ENET1 = Port{Index: 1, Base: 0x02188000, IRQ: 32 + 118}
	ENET2 = Port{Index: 2, Base: 0x020B4000, IRQ: 32 + 120}
)

// setBits ORs bits into a register.
func setBits(r Regs, off, bits uint32) { r.Write32(off, r.Read32(off)|bits) }

// clearBits removes bits from a register.
func clearBits(r Regs, off, bits uint32) { r.Write32(off, r.Read32(off)&^bits) }
