//go:build tamago && arm

// mmio_tamago.go owns the hardware side: WDOG1's register file through
// 16-bit accesses in assembly (never merged or elided by the compiler: the
// service sequence is two stores to one address), and SRC_SRSR.
package watchdog

import (
	"sync/atomic"
	"unsafe"
)

// Physical addresses (IMX6ULRM chapter 2, memory map).
const (
	wdog1Base = 0x020bc000
	srcSRSR   = 0x020d8008 // SRC base 0x020d8000 + 8
)

func read16(addr uintptr) uint16
func write16(addr uintptr, v uint16)

type mmio struct{ base uintptr }

func (m mmio) Read16(off uint32) uint16     { return read16(m.base + uintptr(off)) }
func (m mmio) Write16(off uint32, v uint16) { write16(m.base+uintptr(off), v) }

// WDOG1 is the SoC's first watchdog. tamago's imx6ul package already opened
// its clock gate and cleared the power-down counter (WMCR.PDE) at init.
func WDOG1() *WDOG { return New(mmio{wdog1Base}) }

// ReadResetCause reads SRC_SRSR and WDOG1_WRSR, then clears SRC_SRSR (write
// 1 to clear) so that the next boot sees only its own cause. Call it once,
// early at boot.
func ReadResetCause() ResetCause {
	a := uintptr(srcSRSR)
	p := (*uint32)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
	srsr := atomic.LoadUint32(p)
	atomic.StoreUint32(p, srsr)
	return DecodeReset(srsr, mmio{wdog1Base}.Read16(regWRSR))
}
