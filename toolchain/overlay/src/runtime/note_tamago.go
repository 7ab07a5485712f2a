// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package runtime

// note is a one-time event (see note_other.go for the contract). On
// tamago a goroutine waiting in notetsleepg parks: the note records it,
// its deadline, and its place in the sleepingNotes list (lock_tamago.go).
type note struct {
	key      uintptr  // note_cleared, note_woken or note_timeout
	gp       guintptr // the parked goroutine, if any (no write barriers)
	deadline int64    // nanotime; 0: none
	allprev  *note
	allnext  *note
}
