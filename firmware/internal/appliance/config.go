// config.go owns where the configuration comes from at boot: the store on
// the board's medium (cfgstore), else the compiled-in defaults, said on
// the console either way.
//
//go:build tamago && arm

package appliance

import (
	"fmt"
	"time"

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/blockdev"
	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/firmware/internal/defaults"
)

// bootConfig returns the configuration to run and the store it came from;
// the store is nil when the medium is missing or unusable, and its Write
// is how a new configuration is saved.
func bootConfig(b *board.Board) (*cfgstore.Store, cfgstore.Config) {
	where := fmt.Sprintf("%s (uSDHC%d)", b.Store.Name, b.Store.USDHC)
	t0 := time.Now()
	card, err := blockdev.Open(b.Store)
	if err != nil {
		fmt.Printf("config: %s: %v: using the compiled-in defaults\n", where, err)
		return nil, defaults.Files()
	}
	detected := time.Since(t0)
	st, err := cfgstore.Open(card, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		fmt.Printf("config: %s: %v: using the compiled-in defaults\n", where, err)
		return nil, defaults.Files()
	}
	read := time.Since(t0) - detected
	for _, sl := range st.Slots() {
		fmt.Printf("config: %s %v\n", where, sl)
	}
	if err := st.WriteErr(); err != nil {
		fmt.Printf("config: %s: changes cannot be saved: %v\n", where, err)
	}
	c, sl, ok := st.Current()
	if !ok {
		fmt.Printf("config: %s holds no valid configuration: using the compiled-in defaults\n", where)
		return st, defaults.Files()
	}
	fmt.Printf("config: loaded from %s slot %s, sequence %d (card detected in %v, slots read in %v)\n",
		where, sl.Name(), sl.Seq, detected.Round(time.Microsecond), read.Round(time.Microsecond))
	return st, c
}
