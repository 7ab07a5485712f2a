//go:build arm && (tamago || fosbury_armasm)

// armmem.go owns the hardware Memory: a DDR region outside the Go heap,
// identity mapped and cacheable, maintained by the Cortex-A7 cache and
// barrier instructions in cache_arm.s. (fosbury_armasm lets the assembly be
// built and vetted with a stock GOOS=linux GOARCH=arm toolchain.)
package pagepool

import (
	"fmt"
	"unsafe"
)

// Implemented in cache_arm.s.
func dcacheClean(start, end uintptr)
func dcacheInvalidate(start, end uintptr)
func dmbOSH()
func dmbOSHST()
func dsbST()

// ARMMemory is a physical DDR range [base, base+size) that the board placed
// outside the Go heap and mapped identity, cacheable: the device address of
// a byte is its CPU address.
type ARMMemory struct {
	b    []byte
	base uintptr
}

// NewARMMemory wraps the region. base must be page aligned and size a whole
// number of pages.
func NewARMMemory(base uintptr, size int) (*ARMMemory, error) {
	if base == 0 || base%PageSize != 0 || size <= 0 || size%PageSize != 0 {
		return nil, fmt.Errorf("%w: %#x+%#x", ErrRegion, base, size)
	}
	var p unsafe.Pointer
	*(*uintptr)(unsafe.Pointer(&p)) = base // the region is not Go memory
	return &ARMMemory{b: unsafe.Slice((*byte)(p), size), base: base}, nil
}

// Bytes is the region.
func (m *ARMMemory) Bytes() []byte { return m.b }

// BusAddr is the region's physical address (identity mapping).
func (m *ARMMemory) BusAddr() uintptr { return m.base }

// Clean runs DCCMVAC on each line covering [off, off+n), then DSB ST.
func (m *ARMMemory) Clean(off, n int) {
	if n > 0 {
		dcacheClean(m.base+uintptr(off), m.base+uintptr(off+n))
	}
}

// Invalidate runs DCIMVAC on each line covering [off, off+n), then DSB SY.
func (m *ARMMemory) Invalidate(off, n int) {
	if n > 0 {
		dcacheInvalidate(m.base+uintptr(off), m.base+uintptr(off+n))
	}
}

// DmaRMB is DMB OSH.
func (m *ARMMemory) DmaRMB() { dmbOSH() }

// DmaWMB is DMB OSHST.
func (m *ARMMemory) DmaWMB() { dmbOSHST() }

// WMB is DSB ST.
func (m *ARMMemory) WMB() { dsbST() }
