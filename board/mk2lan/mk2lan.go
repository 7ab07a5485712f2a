// Package mk2lan brings up the USB armory Mk II LAN: it
// wraps tamago's board package, gives the Go runtime the DDR below the DMA
// region (goos.RamSize; build with -tags linkramsize), and maps that
// region for the network.
//
//go:build tamago && arm && linkramsize

package mk2lan

import (
	_ "unsafe" // go:linkname

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/internal/bringup"
	_ "github.com/usbarmory/tamago/board/usbarmory/mk2"
)

// ramSize is read by the runtime before any Go code runs, so it must be a
// link-time constant: board.MK2LAN's DMA region starts at 496 MiB.
//
//go:linkname ramSize runtime/goos.RamSize
var ramSize uint = 496 << 20

// Board is the facts of this board.
var Board = &board.MK2LAN

// Init maps the DMA region and muxes the ENET pins.
func Init() error { return bringup.Init(Board) }
