// Generic timer, IRQ mask and WFI for the idle governor (idle.go). ARMv7
// ARM: B4.1.21 CNTFRQ, B4.1.27-28 CNTP_CTL/CVAL (PL1 physical timer),
// DDI 0406B B1.6.9 WFI.
//
//go:build tamago && arm

#include "textflag.h"

// func cntfrq() uint32
TEXT ·cntfrq(SB),NOSPLIT,$0-4
	MRC	15, 0, R0, C14, C0, 0	// CNTFRQ
	MOVW	R0, ret+0(FP)
	RET

// func alarm(cval uint64): compare value, then CNTP_CTL = ENABLE (IMASK
// clear). The timer asserts its PPI while CNTPCT >= CVAL.
TEXT ·alarm(SB),NOSPLIT,$0-8
	MOVW	cval_lo+0(FP), R0
	MOVW	cval_hi+4(FP), R1
	WORD	$0xec410f2e	// mcrr p15, 2, r0, r1, c14 (CNTP_CVAL)
	MOVW	$1, R0
	MCR	15, 0, R0, C14, C2, 1	// CNTP_CTL
	WORD	$0xf57ff06f	// isb: the timer sees the writes before WFI
	RET

// func alarmOff(): CNTP_CTL = 0, which drops the PPI.
TEXT ·alarmOff(SB),NOSPLIT,$0-0
	MOVW	$0, R0
	MCR	15, 0, R0, C14, C2, 1	// CNTP_CTL
	WORD	$0xf57ff06f	// isb
	RET

// func irqMask() (cpsr uint32)
TEXT ·irqMask(SB),NOSPLIT,$0-4
	WORD	$0xe10f0000	// mrs r0, cpsr
	WORD	$0xf10c0080	// cpsid i
	MOVW	R0, cpsr+0(FP)
	RET

// func irqRestore(cpsr uint32): unmask IRQs if cpsr had them unmasked.
TEXT ·irqRestore(SB),NOSPLIT,$0-4
	MOVW	cpsr+0(FP), R0
	TST	$0x80, R0	// CPSR.I
	B.NE	masked
	WORD	$0xf1080080	// cpsie i
masked:
	RET

// func wfi()
TEXT ·wfi(SB),NOSPLIT,$0-0
	WORD	$0xf57ff04f	// dsb: memory accesses complete before halting
	WORD	$0xe320f003	// wfi
	RET
