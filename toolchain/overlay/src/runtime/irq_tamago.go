// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Wake-ups requested from interrupt context (WakeG, os/signal.Relay).
//
// An interrupt handler runs on its own stack with whatever g was
// interrupted, possibly inside the runtime: it may only record the
// request in atomics (nosplit code, no locks). The scheduler acts on
// requests in checkTimeouts and beforeIdle (lock_tamago.go).

package runtime

import (
	"internal/runtime/atomic"
	"unsafe"
)

type irqRequests struct {
	any     atomic.Uint32     // set last by every request
	signals atomic.Uint32     // bit mask of relayed signals (os/signal)
	wakeG   [8]atomic.Uintptr // goroutines whose time.Sleep must end
}

var tamagoIRQ irqRequests

//go:nosplit
func (r *irqRequests) pending() bool { return r.any.Load() != 0 }

// deliver acts on the recorded requests; it runs in scheduler or
// goroutine context with a P, never in an interrupt handler. It is
// reached from nowritebarrierrec callers (exitsyscall via Gosched) but
// only after they hold a P, and timer.reset with nil f/arg stores no
// pointers.
//
//go:yeswritebarrierrec
func (r *irqRequests) deliver() {
	if r.any.Load() == 0 {
		return
	}
	r.any.Store(0)
	if sigs := r.signals.Swap(0); sigs != 0 {
		for s := uint32(0); s < 32; s++ {
			if sigs&(1<<s) != 0 {
				sigsend(s)
			}
		}
	}
	for i := range r.wakeG {
		if p := r.wakeG[i].Swap(0); p != 0 {
			wakeSleeping((*g)(unsafe.Pointer(p)))
		}
	}
}

// wakeSleeping ends gp's time.Sleep now, if gp is in one.
func wakeSleeping(gp *g) bool {
	if readgstatus(gp) != _Gwaiting || gp.waitreason != waitReasonSleep {
		return false
	}
	for n := sleepingNotes; n != nil; n = n.allnext {
		if n.gp.ptr() == gp {
			return false // parked on a note, not in time.Sleep
		}
	}
	t := gp.timer
	if t == nil || t.when == 0 {
		return false
	}
	t.reset(nanotime(), 0)
	return true
}

// WakeG asks the scheduler to end the time.Sleep that goroutine gp (a
// *g, as returned by GetG) is in. It is safe to call from an interrupt
// handler: the sleep ends at the next scheduling point or when the CPU
// leaves idle. A goroutine that is not sleeping then is not affected.
//
//go:nosplit
func WakeG(gp uint64) {
	p := uintptr(gp)
	for i := range tamagoIRQ.wakeG {
		if tamagoIRQ.wakeG[i].CompareAndSwap(0, p) || tamagoIRQ.wakeG[i].Load() == p {
			break
		}
	}
	tamagoIRQ.any.Store(1)
}

// Wake ends the time.Sleep goroutine gp is in, from goroutine context,
// and reports whether it was sleeping.
func Wake(gp uint) bool {
	return wakeSleeping((*g)(unsafe.Pointer(uintptr(gp))))
}

// signalRelay is os/signal.Relay: interrupt handlers (tamago's
// arm/irq.s) call it to deliver sig to os/signal.Notify channels.
//
//go:linkname signalRelay os/signal.Relay
//go:nosplit
func signalRelay(sig uint32) {
	if sig < 32 {
		tamagoIRQ.signals.Or(1 << sig)
		tamagoIRQ.any.Store(1)
	}
}

// GetG returns the current goroutine (a *g) for WakeG.
//
//go:nosplit
func GetG() unsafe.Pointer { return unsafe.Pointer(getg()) }
