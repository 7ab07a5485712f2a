//go:build arm && (tamago || fosbury_armasm)

// cache_arm.s owns the Cortex-A7 data cache maintenance by address and the
// DMA barriers. Go's ARM assembler has MCR but no DMB/DSB options, so those
// are WORD-encoded: DMB is 0xF57FF050|option, DSB is 0xF57FF040|option
// (ARM ARM A8.8.43 DMB, A8.8.44 DSB); options SY=0xF, ST=0xE, OSH=0x3,
// OSHST=0x2. Cache operations by MVA to the point of coherency (ARM ARM
// B4.2.1, B6.2.1): DCIMVAC is MCR p15,0,Rt,c7,c6,1; DCCMVAC is
// MCR p15,0,Rt,c7,c10,1. Only the lines covering [start, end) are touched.

#include "textflag.h"

// func dcacheClean(start, end uintptr)
TEXT ·dcacheClean(SB),NOSPLIT,$0-8
	MOVW	start+0(FP), R0
	MOVW	end+4(FP), R1
	BIC	$63, R0, R0
clean:
	CMP	R1, R0
	BHS	cleaned
	MCR	15, 0, R0, C7, C10, 1	// DCCMVAC
	ADD	$64, R0, R0
	B	clean
cleaned:
	WORD	$0xf57ff04e		// DSB ST: the write-backs complete
	RET

// func dcacheInvalidate(start, end uintptr)
TEXT ·dcacheInvalidate(SB),NOSPLIT,$0-8
	MOVW	start+0(FP), R0
	MOVW	end+4(FP), R1
	BIC	$63, R0, R0
inval:
	CMP	R1, R0
	BHS	invalidated
	MCR	15, 0, R0, C7, C6, 1	// DCIMVAC
	ADD	$64, R0, R0
	B	inval
invalidated:
	WORD	$0xf57ff04f		// DSB SY: later loads miss to memory
	RET

// func dmbOSH()
TEXT ·dmbOSH(SB),NOSPLIT,$0-0
	WORD	$0xf57ff053		// DMB OSH
	RET

// func dmbOSHST()
TEXT ·dmbOSHST(SB),NOSPLIT,$0-0
	WORD	$0xf57ff052		// DMB OSHST
	RET

// func dsbST()
TEXT ·dsbST(SB),NOSPLIT,$0-0
	WORD	$0xf57ff04e		// DSB ST
	RET
