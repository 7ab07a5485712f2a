//go:build tamago && arm

#include "textflag.h"

// func call(op uint32, arg unsafe.Pointer) uint32
// The semihosting ABI takes the operation in R0 and the argument block
// in R1, and returns in R0.
TEXT ·call(SB),NOSPLIT,$0-12
	MOVW	op+0(FP), R0
	MOVW	arg+4(FP), R1
	SWI	$0x123456
	MOVW	R0, ret+8(FP)
	RET
