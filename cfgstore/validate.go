// validate.go owns what the appliance accepts as a stored configuration:
// the checks the firmware applies at boot and on every write, and that
// imgtool applies before it writes a card.
package cfgstore

import (
	"errors"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/mgmt/auth"
	"github.com/fosbury-net/fosbury/netstack"
)

// Validate accepts a configuration the appliance can boot with: addresses
// that parse, rules that compile and, when there is one, a credential
// file that parses (none: the appliance makes a token at boot). Options
// are not interpreted yet; they are kept as given.
func Validate(c Config) error {
	if len(c.Addresses) == 0 || len(c.Rules) == 0 {
		return errors.New("fosbury.conf and fosbury.rules are both required")
	}
	if _, err := netstack.ParseConfig(Files[0], c.Addresses); err != nil {
		return err
	}
	rs, err := filter.Parse(Files[1], c.Rules)
	if err == nil {
		_, err = filter.Compile(rs, filter.Options{})
	}
	if err == nil && len(c.Credentials) > 0 {
		_, err = auth.Parse(c.Credentials)
	}
	return err
}
