// uncached.go owns the CPU's 32-bit accesses to non-cacheable descriptor
// memory on hardware (the rings' DescMem contract).
package pagepool

import (
	"fmt"
	"unsafe"
)

// Uncached is descriptor memory mapped non-cacheable (normal memory, not
// Go heap), accessed as aligned 32-bit words. Loads and stores are plain
// single-copy-atomic LDR/STR in functions the compiler may not inline, so
// each one happens; ordering is the caller's business (DmaRMB, DmaWMB, WMB).
type Uncached struct {
	b   []byte
	bus uint32
}

// NewUncached wraps b, whose device address is bus. b must be 32-byte
// aligned and a multiple of 32 bytes (one enhanced buffer descriptor).
func NewUncached(b []byte, bus uint32) (*Uncached, error) {
	if len(b) == 0 || len(b)%32 != 0 || uintptr(unsafe.Pointer(&b[0]))%32 != 0 || bus%32 != 0 {
		return nil, fmt.Errorf("pagepool: descriptor memory must be 32-byte aligned whole descriptors")
	}
	return &Uncached{b: b, bus: bus}, nil
}

// Len is the size in bytes.
func (u *Uncached) Len() int { return len(u.b) }

// BusAddr is the device address of the first byte (ERDSR/ETDSR).
func (u *Uncached) BusAddr() uint32 { return u.bus }

// Load32 reads the aligned word at off.
//
//go:noinline
func (u *Uncached) Load32(off int) uint32 {
	_ = u.b[off+3]
	return *(*uint32)(unsafe.Pointer(&u.b[off]))
}

// Store32 writes the aligned word at off.
//
//go:noinline
func (u *Uncached) Store32(off int, v uint32) {
	_ = u.b[off+3]
	*(*uint32)(unsafe.Pointer(&u.b[off])) = v
}
