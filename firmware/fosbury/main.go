// Command fosbury is the appliance firmware for the MCIMX6UL(L)-EVK, the
// board QEMU's mcimx6ul-evk machine models (two ports: lan on ENET1, wan
// on ENET2). Everything but the choice of board is in
// firmware/internal/appliance.
//
//go:build tamago && arm && linkramsize

package main

import (
	"github.com/fosbury-net/fosbury/board/evk"
	"github.com/fosbury-net/fosbury/firmware/internal/appliance"
)

// Version is set at link time (-X main.Version=...).
var Version = "dev"

func main() { appliance.Main(evk.Board, evk.Init, Version) }
