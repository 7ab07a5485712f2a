// wallclock.go steps the date on our toolchain port, whose runtime keeps a
// wall-clock offset apart from the monotonic clock.
//
//go:build tamago && arm && !upstream_tamago

package appliance

import (
	"runtime/goos"
	"time"
)

// stepWallClock moves the date only: goos.SetWallOffset leaves nanotime,
// and so every timer, the poll loop's and the filter's clocks, alone.
func stepWallClock(off time.Duration) { goos.SetWallOffset(goos.WallOffset() + int64(off)) }
