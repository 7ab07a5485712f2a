// Command storetest is test-only firmware for the configuration store on
// QEMU's mcimx6ul-evk: it opens the EVK's store medium (uSDHC2: -drive
// if=sd,index=1), prints what each slot holds, writes the configuration
// in force (or the compiled-in defaults) back with its options replaced
// by "generation N", N one more than before, as many times as the
// semihosting command line's "writes=K" says (1 if absent), and exits
// through semihosting: 0 when every write was read back, 1 otherwise.
// hw-tests then reads the card image on the host.
//
//go:build tamago && arm && linkramsize

package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/board/blockdev"
	"github.com/fosbury-net/fosbury/board/evk"
	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/firmware/internal/defaults"
)

func fail(format string, a ...any) {
	fmt.Printf("storetest: FAIL "+format+"\n", a...)
	semihosting.Exit(1)
}

func main() {
	writes := 1
	for _, w := range strings.Fields(semihosting.Cmdline()) {
		if v, ok := strings.CutPrefix(w, "writes="); ok {
			writes, _ = strconv.Atoi(v)
		}
	}
	card, err := blockdev.Open(evk.Board.Store)
	if err != nil {
		fail("%v", err)
	}
	fmt.Printf("storetest: card %+v\n", card.Info())
	t0 := time.Now()
	if _, err := cfgstore.Open(card, cfgstore.DefaultLayout, nil); err != nil {
		fail("%v", err)
	}
	t1 := time.Now()
	st, err := cfgstore.Open(card, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		fail("%v", err)
	}
	fmt.Printf("storetest: open %v unchecked, %v with Validate\n", t1.Sub(t0), time.Since(t1))
	for _, sl := range st.Slots() {
		fmt.Printf("storetest: %v\n", sl)
	}
	c, _, ok := st.Current()
	if !ok {
		c = defaults.Files()
	}
	gen := 0
	fmt.Sscanf(string(c.Options), "generation %d", &gen)
	for i := 0; i < writes; i++ {
		gen++
		c.Options = []byte(fmt.Sprintf("generation %d\n", gen))
		t0 := time.Now()
		sl, err := st.Write(c)
		if err != nil {
			fail("write %d: %v", i+1, err)
		}
		fmt.Printf("storetest: wrote %v in %v\n", sl, time.Since(t0))
	}
	// Reopen: what a reboot would load.
	st, err = cfgstore.Open(card, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		fail("%v", err)
	}
	got, sl, ok := st.Current()
	if !ok || !got.Equal(c) {
		fail("reopened store holds %v %q, want generation %d", sl, got.Options, gen)
	}
	fmt.Printf("storetest: ok: %v, generation %d\n", sl, gen)
	semihosting.Exit(0)
}
