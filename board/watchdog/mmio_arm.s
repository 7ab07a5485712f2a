//go:build tamago && arm

#include "textflag.h"

// func read16(addr uintptr) uint16
TEXT ·read16(SB),NOSPLIT,$0-6
	MOVW	addr+0(FP), R0
	MOVHU	(R0), R1
	MOVH	R1, ret+4(FP)
	RET

// func write16(addr uintptr, v uint16)
TEXT ·write16(SB),NOSPLIT,$0-6
	MOVW	addr+0(FP), R0
	MOVHU	v+4(FP), R1
	MOVH	R1, (R0)
	RET
