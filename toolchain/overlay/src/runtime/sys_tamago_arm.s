// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Assembly the GOOS=tamago ARM runtime needs beyond asm_arm.s.

#include "go_asm.h"
#include "textflag.h"

// CallOnG0 is called by exception vectors (tamago arm/exception.s) on
// the interrupted stack, with R0 = vector offset, R1 = entry of an ABI0
// func(off int), R2 = saved register area size, R3 = return address.
// It calls fn(off) on the g0 stack and returns on the original stack
// with the original g; every other register may be clobbered (the
// vector saved them).
TEXT runtime·CallOnG0(SB),NOSPLIT|NOFRAME,$0
	MOVW	R14, R4
	MOVW	R13, R5
	MOVW	g, R6
	MOVW	g_m(g), R7
	MOVW	m_g0(R7), R7
	CMP	g, R7
	B.EQ	ong0
	MOVW	R7, g
	MOVW	(g_sched+gobuf_sp)(g), R13
ong0:
	BIC	$7, R13
	SUB	$24, R13
	MOVW	R4, 12(R13)
	MOVW	R5, 16(R13)
	MOVW	R6, 20(R13)
	MOVW	R0, 4(R13)	// argument off; 0(R13) is the callee's LR slot
	BL	(R1)
	MOVW	20(R13), g
	MOVW	12(R13), R14
	MOVW	16(R13), R13
	RET

// publicationBarrier orders the stores initialising an object before
// the store publishing it (DMB ST on ARMv7).
TEXT ·publicationBarrier(SB),NOSPLIT|NOFRAME,$0-0
	B	runtime·armPublicationBarrier(SB)

// read_tls_fallback replaces the TLS register read (MRC TPIDRURO) when
// GOARM < 7. Nothing keeps g in TLS on tamago (save_g/load_g only run
// with cgo), so it only has to exist.
TEXT runtime·read_tls_fallback(SB),NOSPLIT|NOFRAME,$0
	MOVW	$0, R0
	RET

// func idISAR0() uint32
TEXT runtime·idISAR0(SB),NOSPLIT,$0-4
	WORD	$0xe10f0000	// mrs r0, cpsr
	AND	$0x1f, R0
	CMP	$0x10, R0	// USR mode: the ID registers are PL1 only
	MOVW.EQ	$0, R0
	B.EQ	done
	MRC	15, 0, R0, C0, C2, 0	// ID_ISAR0
done:
	MOVW	R0, ret+0(FP)
	RET

// func cntpct() uint64
TEXT runtime·cntpct(SB),NOSPLIT,$0-8
	WORD	$0xf57ff06f	// isb: no read ahead of earlier instructions
	WORD	$0xec510f0e	// mrrc p15, 0, r0, r1, c14 (CNTPCT)
	MOVW	R0, ret_lo+0(FP)
	MOVW	R1, ret_hi+4(FP)
	RET
