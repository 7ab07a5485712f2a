// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// ARM specifics of GOOS=tamago and the runtime API board packages use.

package runtime

import (
	"internal/cpu"
	"runtime/goos"
	_ "unsafe" // for go:linkname
)

// checkgoarm has nothing to check: GOARM is the builder's promise about
// the SoC (GOARM=7 for Cortex-A7), and VFP is enabled by goos.Hwinit0.
func checkgoarm() {}

// hwcapIDIVA is internal/cpu's bit for SDIV/UDIV in the ARM instruction
// set (Linux HWCAP_IDIVA): with it runtime.udiv uses the divider
// instead of its software loop.
const hwcapIDIVA = 1 << 17

// archinit runs before schedinit (and so before internal/cpu reads
// HWCap). There is no auxv to tell the runtime what the core has: the
// ID registers do. ID_ISAR0.Divide_instrs (bits 27:24) is 2 when SDIV
// and UDIV exist in both ARM and Thumb (Cortex-A7, ARMv7VE); the
// Cortex-A8 and A9 have 0, and no core before ARMv7 has a divider (nor,
// before ARMv6, ID_ISAR0).
func archinit() {
	if goarm >= 7 && (idISAR0()>>24)&0xf >= 2 {
		cpu.HWCap |= hwcapIDIVA
	}
}

// idISAR0 returns ID_ISAR0, or 0 in USR mode (PL0 cannot read it).
func idISAR0() uint32

// cntpct returns the generic timer's physical count (CNTPCT).
//
//go:nosplit
func cntpct() uint64

// nanotime1 scales the generic timer's count itself when the board
// described it in goos.Clock: a multiply and shift, where calling the
// board's Nanotime costs a float conversion each way (helper calls on
// ARM) in tamago's arm.CPU.GetTime.
//
//go:nosplit
func nanotime1() int64 {
	c := &goos.Clock
	if c.Mult == 0 {
		return goos.Nanotime()
	}
	n := cntpct()
	ns := uint64(uint32(n>>32))*uint64(c.Mult)<<(32-c.Shift) + uint64(uint32(n))*uint64(c.Mult)>>c.Shift
	if c.Offset != nil {
		return int64(ns) + *c.Offset
	}
	return int64(ns)
}

// MemRegion returns the RAM the runtime owns: [start, end).
func MemRegion() (start uint32, end uint32) {
	return uint32(goos.RamStart), uint32(goos.RamStart + goos.RamSize)
}

// TextRegion returns the executable code of the program: [start, end).
func TextRegion() (start uint32, end uint32) {
	return uint32(firstmoduledata.text), uint32(firstmoduledata.etext)
}

// GetRandomData fills b with random bytes from the board's source.
// crypto/internal/sysrand may reach it through a linkname.
//
//go:linkname GetRandomData
func GetRandomData(b []byte) {
	if rngState.Load() == 0 {
		throw("GetRandomData before goos.InitRNG")
	}
	goos.GetRandomData(b)
}

// CallOnG0 calls fn(off) on the g0 stack. Exception vectors call it
// (tamago arm/exception.s) with R0 = off, R1 = fn's entry (an ABI0
// func(int)), R2 = the size of the registers saved by the vector and
// R3 = the exception's return address; R2 and R3 are informational.
func CallOnG0()
