// Package defaults holds the configuration the firmware embeds: the
// management-plane addresses (fosbury.conf) and the filter rules
// (fosbury.rules). Both firmware builds read them from here.
package defaults

import (
	_ "embed"

	"github.com/fosbury-net/fosbury/cfgstore"
)

var (
	//go:embed fosbury.conf
	Config []byte
	//go:embed fosbury.rules
	Rules []byte
)

// Files is the compiled-in configuration as the store holds one.
func Files() cfgstore.Config {
	return cfgstore.Config{Addresses: Config, Rules: Rules}
}
