// The embedded configuration must parse: a firmware with a bad default
// file would come up without a management plane.
package defaults

import (
	"testing"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/netstack"
)

func TestEmbeddedConfig(t *testing.T) {
	cfg, err := netstack.ParseConfig("fosbury.conf", Config)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port("lan") == nil || cfg.HTTPPort == 0 {
		t.Fatalf("config %+v lacks the lan port or HTTP", cfg)
	}
	if err := filter.NewEngine(filter.Options{}).Load("fosbury.rules", Rules); err != nil {
		t.Fatal(err)
	}
	// What imgtool puts on a card and the firmware falls back to.
	if err := cfgstore.Validate(Files()); err != nil {
		t.Fatal(err)
	}
}
