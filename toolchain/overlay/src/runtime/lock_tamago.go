// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Locks, notes and the idle loop for GOOS=tamago with one hardware thread.
//
// There is exactly one M and nothing preempts it except interrupt
// handlers, which never take runtime locks: a mutex is a flag, and
// waiting on a note parks the goroutine instead of the thread. Interrupt
// handlers record wake-up requests in atomics (see tamagoIRQ); they are
// acted on at the next scheduling point (checkTimeouts) or when the CPU
// goes idle (beforeIdle), both in normal goroutine or scheduler context.

package runtime

import (
	"internal/runtime/atomic"
	"runtime/goos"
)

const (
	mutex_unlocked = 0
	mutex_locked   = 1

	note_cleared = 0
	note_woken   = 1
	note_timeout = 2

	active_spin     = 4
	active_spin_cnt = 30
)

type mWaitList struct{}

func lockVerifyMSize() {}

func mutexContended(l *mutex) bool { return false }

func lock(l *mutex) { lockWithRank(l, getLockRank(l)) }

func lock2(l *mutex) {
	if l.key == mutex_locked {
		// Only one thread exists: a held lock can never be released.
		throw("self deadlock")
	}
	gp := getg()
	if gp.m.locks < 0 {
		throw("lock count")
	}
	gp.m.locks++
	l.key = mutex_locked
}

func unlock(l *mutex) { unlockWithRank(l) }

func unlock2(l *mutex) {
	if l.key == mutex_unlocked {
		throw("unlock of unlocked lock")
	}
	gp := getg()
	gp.m.locks--
	if gp.m.locks < 0 {
		throw("lock count")
	}
	l.key = mutex_unlocked
}

// sleepingNotes lists the notes a goroutine is parked on (notetsleepg),
// linked through note.allnext, so that checkTimeouts can end them.
var sleepingNotes *note

func noteclear(n *note) { n.key = note_cleared }

func notewakeup(n *note) {
	if n.key == note_woken {
		throw("notewakeup - double wakeup")
	}
	cleared := n.key == note_cleared
	n.key = note_woken
	if gp := n.gp.ptr(); cleared && gp != nil {
		n.gp = 0
		goready(gp, 1)
	}
}

// notesleep and notetsleep run on g0, which cannot park: they idle the
// CPU until the note is woken (by a goroutine readied meanwhile, or by
// an interrupt) or the deadline passes.
func notesleep(n *note) { notetsleep(n, -1) }

func notetsleep(n *note, ns int64) bool {
	deadline := int64(1<<63 - 1)
	if ns >= 0 {
		deadline = nanotime() + ns
	}
	for atomic.Loaduintptr(&n.key) != note_woken {
		if nanotime() >= deadline {
			return false
		}
		idle(deadline)
	}
	return true
}

// notetsleepg parks the calling goroutine until n is woken or ns
// nanoseconds pass (ns < 0: no deadline).
func notetsleepg(n *note, ns int64) bool {
	gp := getg()
	if gp == gp.m.g0 {
		throw("notetsleepg on g0")
	}
	n.deadline = 0
	if ns >= 0 {
		n.deadline = nanotime() + ns
	}
	for n.key == note_cleared {
		n.gp.set(gp)
		n.allnext = sleepingNotes
		n.allprev = nil
		if sleepingNotes != nil {
			sleepingNotes.allprev = n
		}
		sleepingNotes = n
		gopark(nil, nil, waitReasonSleep, traceBlockSleep, 1)
		if n.allprev != nil {
			n.allprev.allnext = n.allnext
		} else {
			sleepingNotes = n.allnext
		}
		if n.allnext != nil {
			n.allnext.allprev = n.allprev
		}
		n.allnext, n.allprev, n.gp = nil, nil, 0
	}
	return n.key == note_woken
}

// checkTimeouts runs at scheduling points (on a user goroutine) and when
// the CPU wakes from idle (on g0): it delivers what interrupt handlers
// requested and ends expired note sleeps.
func checkTimeouts() {
	tamagoIRQ.deliver()
	if sleepingNotes == nil {
		return
	}
	now := nanotime()
	for n := sleepingNotes; n != nil; n = n.allnext {
		if gp := n.gp.ptr(); n.key == note_cleared && n.deadline != 0 && now >= n.deadline && gp != nil {
			n.key = note_timeout
			n.gp = 0
			goready(gp, 1)
		}
	}
}

// beforeIdle is called by the scheduler when no goroutine is runnable:
// it idles the CPU until pollUntil (0: no timer pending), a note
// deadline or an interrupt, then asks the scheduler to look again. The
// single M must never stop, as nothing else could restart it.
func beforeIdle(now, pollUntil int64) (gp *g, otherReady bool) {
	if !tamagoIRQ.pending() {
		until := pollUntil
		if until == 0 {
			until = 1<<63 - 1
		}
		for n := sleepingNotes; n != nil; n = n.allnext {
			if n.deadline != 0 && n.deadline < until {
				until = n.deadline
			}
		}
		idle(until)
		sched.idleTime.Add(nanotime() - now)
	}
	checkTimeouts()
	return nil, true
}

// idle waits for an interrupt or until the nanotime until, through the
// board's goos.Idle when it has one.
func idle(until int64) {
	if goos.Idle != nil {
		goos.Idle(until)
	}
}
