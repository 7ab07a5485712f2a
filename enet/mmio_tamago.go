//go:build tamago && arm

// mmio_tamago.go owns the hardware Regs: volatile 32-bit accesses to an
// ENET's register file at its physical address (identity mapped, device
// memory, on tamago). Atomic loads and stores keep the compiler from
// eliding, merging or reordering them; the CPU orders device accesses
// among themselves, and the barriers towards descriptor memory are the
// rings' (pagepool) and the doorbell's (Options.DoorbellBarrier).

package enet

import (
	"sync/atomic"
	"unsafe"
)

// MMIO is the register file of one ENET instance.
type MMIO struct {
	base unsafe.Pointer
}

// NewMMIO returns the Regs of port p (ENET1 or ENET2).
func NewMMIO(p Port) *MMIO {
	return &MMIO{base: physPointer(uintptr(p.Base))}
}

// physPointer turns a physical device address into a pointer. The address
// is outside the Go heap, so the collector ignores it.
func physPointer(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// Read32 loads the register at byte offset off.
func (r *MMIO) Read32(off uint32) uint32 {
	return atomic.LoadUint32((*uint32)(unsafe.Add(r.base, off)))
}

// Write32 stores v into the register at byte offset off.
func (r *MMIO) Write32(off uint32, v uint32) {
	atomic.StoreUint32((*uint32)(unsafe.Add(r.base, off)), v)
}

var _ Regs = (*MMIO)(nil)
