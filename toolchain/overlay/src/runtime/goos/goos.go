// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package goos is the boundary between the GOOS=tamago runtime and the
// board, SoC and CPU packages that bring a machine up (for example
// github.com/usbarmory/tamago/board/nxp/mx6ullevk).
//
// The runtime reads the variables and calls the functions declared here;
// board packages supply them with push linknames, for example
//
//	//go:linkname ramSize runtime/goos.RamSize
//	var ramSize uint32 = 0x20000000
//
//	//go:linkname printk runtime/goos.Printk
//	func printk(c byte) { ... }
//
// A definition with an initializer wins over the zero declaration here.
// The API matches the one the upstream TamaGo compiler exposes, so the
// same board packages link with either toolchain.
package goos

import (
	"internal/runtime/atomic"
	"unsafe"
)

// Memory layout, required.
var (
	// RamStart is the first address of the RAM the runtime owns; the
	// executable is linked inside it.
	RamStart uint

	// RamSize is the size in bytes of that RAM.
	RamSize uint

	// RamStackOffset is how far below RamStart+RamSize the initial
	// (g0) stack starts.
	RamStackOffset uint
)

// Optional hooks; the runtime checks each for nil before use.
var (
	// Bloc, when not zero, is where the heap starts instead of right
	// after the executable's last section.
	Bloc uintptr

	// Exit ends the program with a status code; when nil the runtime
	// halts the CPU.
	Exit func(code int32)

	// Idle is called when no goroutine can run, with the time
	// (nanotime) of the next timer, or math.MaxInt64 if there is none.
	// It may sleep the CPU until an interrupt or until that time.
	Idle func(until int64)

	// ProcID identifies the current processor.
	ProcID func() uint64

	// Task starts fn on another hardware thread with stack pointer sp,
	// m mp and g gp. When nil the runtime uses one hardware thread.
	Task func(sp, mp, gp, fn unsafe.Pointer)

	// Wake wakes a processor halted in Idle.
	Wake func(procid uint64)
)

// Clock, when Mult is not zero, lets the runtime keep time without
// calling Nanotime: it reads the ARM generic timer's physical count
// (CNTPCT) itself and scales it,
//
//	nanotime = CNTPCT*Mult>>Shift + *Offset   (Shift <= 32, Offset nil: 0)
//
// in two 32-bit halves, so that no count overflows before the result
// does. A board fills it, Mult last, once the counter runs at its final
// frequency; it keeps Nanotime for the time before and for toolchains
// without Clock. Offset lets the board move the clock (set the time).
// Boards reach it with a push linkname, which compiles with those
// toolchains too.
//
//go:linkname Clock
var Clock struct {
	Mult   uint32
	Shift  uint32
	Offset *int64
}

// CPUinit is the first code to run (the ELF entry jumps to it). It sets
// up the CPU and the initial stack and branches to _rt0_tamago_start.
func CPUinit()

// Hwinit0 runs before the runtime is initialised: no allocation.
func Hwinit0()

// Hwinit1 runs once the scheduler and heap exist, before package init.
func Hwinit1()

// Printk writes one byte to the console.
func Printk(c byte)

// Nanotime returns monotonic time in nanoseconds.
func Nanotime() int64

// InitRNG prepares GetRandomData.
func InitRNG()

// GetRandomData fills b with random bytes.
func GetRandomData(b []byte)

// wallOffset is added to Nanotime for the time of day. A fosbury
// extension (upstream TamaGo has none): the only other way to set the
// date, tamago's CPU.SetTime, moves Nanotime itself, and with it every
// timer and deadline of the running program.
var wallOffset atomic.Int64

// SetWallOffset makes the wall clock (time.Now's date) read
// Nanotime()+ns. The monotonic clock, timers and time.Since/Sub between
// monotonic readings are not affected.
func SetWallOffset(ns int64) { wallOffset.Store(ns) }

// WallOffset returns what SetWallOffset set (0 at boot: the date starts
// at the Unix epoch plus the board's Nanotime).
//
//go:nosplit
func WallOffset() int64 { return wallOffset.Load() }
