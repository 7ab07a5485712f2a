// wallclock_upstream.go steps the date under an upstream TamaGo compiler
// (make TAMAGO=..., which builds with the upstream_tamago tag): its runtime
// has one clock for the date and for nanotime, so tamago's SetTime moves
// both, and timers pending across the step fire early or late by it.
//
//go:build tamago && arm && upstream_tamago

package appliance

import (
	"time"

	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

func stepWallClock(off time.Duration) { imx6ul.ARM.SetTime(time.Now().Add(off).UnixNano()) }
