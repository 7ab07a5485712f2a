// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// The OS layer of GOOS=tamago: one hardware thread, no signals, no
// files. Everything the machine provides comes through runtime/goos,
// which the board packages fill in: memory bounds, time, console,
// randomness, idle and exit.

package runtime

import (
	"internal/abi"
	"internal/runtime/atomic"
	"runtime/goos"
	"unsafe"
)

type mOS struct{}

type sigset struct{}

type gsignalStack struct{}

// Signals do not exist; os/signal is served by sigqueue.go, fed by
// interrupt handlers through os/signal.Relay (irq_tamago.go).
const _NSIG = 32

const preemptMSupported = false

func osinit() {
	archinit()
	physPageSize = 4096
	numCPUStartup = getCPUCount()
	if goos.Bloc != 0 {
		bloc = memRound(goos.Bloc)
		blocMax = bloc
	} else {
		initBloc()
	}
	blocLimit = heapLimit()
}

func getCPUCount() int32 { return 1 }

// heapLimit is the end of the memory sbrk may hand out: the initial (g0)
// stack sits right below RamStart+RamSize-RamStackOffset.
func heapLimit() uintptr {
	top := uintptr(goos.RamStart) + uintptr(goos.RamSize) - uintptr(goos.RamStackOffset)
	return top - g0StackSize
}

// g0StackSize is the size of the initial stack, set by rt0_tamago_arm.s.
const g0StackSize = 64 << 10

var blocLimit uintptr

// sbrk hands out memory from the break up to blocLimit. mem_sbrk.go
// expects fresh memory to be zero, which RAM after reset is not: clear
// it the first time the break passes over it.
func sbrk(n uintptr) unsafe.Pointer {
	bl := bloc
	n = memRound(n)
	if bl+n > blocLimit || bl+n < bl {
		return nil
	}
	if bl+n > blocMax {
		memclrNoHeapPointers(unsafe.Pointer(blocMax), bl+n-blocMax)
		blocMax = bl + n
	}
	bloc += n
	return unsafe.Pointer(bl)
}

// goenvs: there is no environment; an empty, non-nil one tells gogetenv
// that initialisation is done.
func goenvs() { envs = make([]string, 0) }

func mpreinit(mp *m) {
	mp.gsignal = malg(32 * 1024)
	mp.gsignal.m = mp
}

func minit() {
	if goos.ProcID != nil {
		getg().m.procid = goos.ProcID()
	}
}

func unminit()                       {}
func mdestroy(mp *m)                 {}
func sigsave(p *sigset)              {}
func msigrestore(sigmask sigset)     {}
func clearSignalHandlers()           {}
func sigblock(exiting bool)          {}
func initsig(preinit bool)           {}
func sigdisable(uint32)              {}
func sigenable(uint32)               {}
func sigignore(uint32)               {}
func setProcessCPUProfiler(hz int32) {}
func setThreadCPUProfiler(hz int32)  {}
func preemptM(mp *m)                 {}
func signame(sig uint32) string      { return "" }

//go:linkname os_sigpipe os.sigpipe
func os_sigpipe() { throw("write on closed pipe") }

// newosproc starts mp on another hardware thread through goos.Task; with
// no Task the runtime never asks (GOMAXPROCS is 1 and there is no sysmon).
//
//go:nowritebarrier
func newosproc(mp *m) {
	if goos.Task == nil {
		throw("newosproc: tamago runs on one hardware thread (goos.Task is nil)")
	}
	goos.Task(unsafe.Pointer(mp.g0.stack.hi), unsafe.Pointer(mp), unsafe.Pointer(mp.g0), unsafe.Pointer(abi.FuncPCABI0(mstart)))
}

func exitThread(wait *atomic.Uint32) { throw("exitThread on tamago") }

//go:nosplit
func osyield() {}

//go:nosplit
func osyield_no_g() {}

// usleep busy-waits: it is only used for short back-offs in the runtime.
// Before goos.Hwinit1 the board clock may not run yet (nanotime stays
// 0), so the wait is also bounded by a spin count.
//
//go:nosplit
func usleep(usec uint32) {
	end := nanotime() + int64(usec)*1000
	for i := uint64(0); nanotime() < end && i < uint64(usec)*1000; i++ {
	}
}

//go:nosplit
func usleep_no_g(usec uint32) { usleep(usec) }

// walltime is the board clock plus goos.WallOffset: setting the date
// (SNTP) moves the offset only, never nanotime, so timers stay put.
//
//go:nosplit
func walltime() (sec int64, nsec int32) {
	t := nanotime1() + goos.WallOffset()
	return t / 1e9, int32(t % 1e9)
}

func cputicks() int64 { return nanotime() }

// write1 sends stdout and stderr to the console; other descriptors do
// not exist.
//
//go:nosplit
func write1(fd uintptr, p unsafe.Pointer, n int32) int32 {
	if fd != 1 && fd != 2 {
		return -9 // EBADF
	}
	for i := int32(0); i < n; i++ {
		goos.Printk(*(*byte)(add(p, uintptr(i))))
	}
	return n
}

func open(name *byte, mode, perm int32) int32        { return -2 } // ENOENT
func closefd(fd int32) int32                         { return -9 }
func read(fd int32, p unsafe.Pointer, n int32) int32 { return -9 }

// exit ends the program through goos.Exit; without one (or if it
// returns) the CPU idles forever.
func exit(code int32) {
	if goos.Exit != nil {
		goos.Exit(code)
	}
	for {
		idle(1<<63 - 1)
	}
}

// crash (GOTRACEBACK=crash) has no core to dump: it exits like a fatal
// error does.
func crash() { exit(2) }

// readRandom serves the runtime's own seed (randinit, before the heap
// exists). goos.InitRNG may allocate, so it runs in hwinit1; until then
// this reports failure and the runtime seeds itself from the clock.
func readRandom(r []byte) int {
	if rngState.Load() == 0 {
		return 0
	}
	goos.GetRandomData(r)
	return len(r)
}

// rngState is 1 once goos.InitRNG has run.
var rngState atomic.Uint32

//go:linkname syscall_now syscall.now
func syscall_now() (sec int64, nsec int32) {
	sec, nsec, _ = time_now()
	return
}

// hwinit1 runs the board bring-up (MMU, caches, timers, console) once
// the heap and scheduler exist, before any package is initialised.
// SoC packages expect InitRNG before their package init (tamago's imx6ul
// learns the SoC family there), so it follows immediately.
func hwinit1() {
	goos.Hwinit1()
	goos.InitRNG()
	rngState.Store(1)
}

// syscall_runtimeWrite is syscall.Write for stdout and stderr.
//
//go:linkname syscall_runtimeWrite syscall.runtimeWrite
func syscall_runtimeWrite(fd uintptr, p unsafe.Pointer, n int32) int32 {
	return write1(fd, p, n)
}
