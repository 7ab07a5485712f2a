// wallclock.go checks our runtime port's wall-clock offset.
//
//go:build tamago && arm && !upstream_tamago

package main

import (
	"fmt"
	"runtime/goos"
	"time"
)

// checkWallClock moves the date with goos.SetWallOffset (as SNTP does)
// and checks that time.Now follows while the monotonic clock and a
// pending timer do not: the timer fires neither early nor at once.
func checkWallClock() error {
	const wait = 200 * time.Millisecond
	t0 := time.Now()
	tm := time.NewTimer(wait)
	date := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	goos.SetWallOffset(goos.WallOffset() + int64(date.Sub(time.Now())))
	defer goos.SetWallOffset(0)
	if now := time.Now(); now.Before(date) || now.After(date.Add(time.Minute)) {
		return fmt.Errorf("time.Now() = %v after setting the date to %v", now, date)
	}
	if d := time.Since(t0); d < 0 || d > time.Minute {
		return fmt.Errorf("the monotonic clock moved by %v with the date", d)
	}
	<-tm.C
	if d := time.Since(t0); d < wait {
		return fmt.Errorf("a %v timer fired after %v when the date moved", wait, d)
	}
	return nil
}

