// Command mk2lan is the appliance firmware for the USB armory Mk II LAN
// (one port: lan on ENET2, DP83825I PHY). Everything but the choice of
// board is in firmware/internal/appliance.
//
//go:build tamago && arm && linkramsize

package main

import (
	"github.com/fosbury-net/fosbury/board/mk2lan"
	"github.com/fosbury-net/fosbury/firmware/internal/appliance"
)

// Version is set at link time (-X main.Version=...).
var Version = "dev"

func main() { appliance.Main(mk2lan.Board, mk2lan.Init, Version) }
