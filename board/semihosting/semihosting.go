// Package semihosting talks to a debugger or emulator through ARM
// semihosting (SVC 0x123456 in A32 state). Under `qemu-system-arm
// -semihosting` it is how firmware ends a run with an exit status and
// reads the command line QEMU was given. On a board without a debugger
// attached the SVC traps into the exception vector instead, so only test
// firmware and QEMU runs use it.
//
// It touches no memory but the argument blocks it builds.
//
//go:build tamago && arm

package semihosting

import "unsafe"

// Operation numbers (ARM "Semihosting for AArch32 and AArch64", 2.0, ch. 6).
const (
	sysGetCmdline   = 0x15
	sysExitExtended = 0x20

	// ADP_Stopped_ApplicationExit: the reason code that carries a status.
	adpStoppedApplicationExit = 0x20026
)

// call issues one semihosting operation; defined in semihosting_arm.s.
func call(op uint32, arg unsafe.Pointer) uint32

// Exit ends the emulation with the given status (QEMU's own exit status).
// It has the signature of runtime/goos.Exit so firmware can install it.
func Exit(code int32) {
	block := [2]uint32{adpStoppedApplicationExit, uint32(code)}
	call(sysExitExtended, unsafe.Pointer(&block[0]))
	for {
		// Without a semihosting host the SVC returns or traps; never go on.
	}
}

// Cmdline returns the command line of the run (under QEMU: the -kernel
// file name followed by the -append text), or "" when none is available.
func Cmdline() string {
	buf := make([]byte, 256)
	block := [2]uint32{uint32(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf))}
	if call(sysGetCmdline, unsafe.Pointer(&block[0])) != 0 {
		return ""
	}
	n := block[1]
	if n > uint32(len(buf)) {
		return ""
	}
	return string(buf[:n])
}
