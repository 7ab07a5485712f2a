// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Entry of a GOOS=tamago GOARCH=arm executable.
//
// The ELF entry (_rt0_arm_tamago) jumps to cpuinit, which the CPU package
// of the board support (tamago's arm/init.s) defines: it sets SP to
// RamStart+RamSize-RamStackOffset, enters System mode and branches to
// _rt0_tamago_start, which starts the runtime on that stack.

#include "go_asm.h"
#include "textflag.h"

TEXT _rt0_arm_tamago(SB),NOSPLIT|NOFRAME,$0
	B	cpuinit(SB)

TEXT _rt0_tamago_start(SB),NOSPLIT|NOFRAME,$0
	// Clear BSS: a raw image (.bin/.imx) is not zeroed by a loader.
	MOVW	$runtime·bss(SB), R0
	MOVW	$runtime·enoptrbss(SB), R1
	MOVW	$0, R2
clear:
	CMP	R1, R0
	B.HS	cleared
	MOVW.P	R2, 4(R0)
	B	clear
cleared:
	// Enough of g0 for Go code to pass its stack check (rt0_go redoes
	// this), so that goos.Hwinit0 can enable VFP before the runtime's
	// first floating point instruction.
	MOVW	$runtime·g0(SB), g
	MOVW	$(-64*1024+104)(R13), R0
	MOVW	R0, g_stackguard0(g)
	MOVW	R0, g_stackguard1(g)
	MOVW	R0, (g_stack+stack_lo)(g)
	MOVW	R13, (g_stack+stack_hi)(g)
	BL	runtime∕goos·Hwinit0(SB)

	MOVW	$0, R0	// argc
	MOVW	$0, R1	// argv
	B	runtime·rt0_go(SB)
