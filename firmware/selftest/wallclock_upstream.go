// wallclock_upstream.go: under an upstream TamaGo compiler (make TAMAGO=...)
// there is no wall-clock offset apart from nanotime to check.
//
//go:build tamago && arm && upstream_tamago

package main

import "fmt"

func checkWallClock() error {
	fmt.Println("selftest: wallclock: not checked: upstream TamaGo has one clock for the date and nanotime")
	return nil
}
