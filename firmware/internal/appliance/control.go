// control.go owns the operator's side of the boot: the management API's
// Control over the configuration store and the filter, and the first API
// token, printed once on the console.
//
//go:build tamago && arm

package appliance

import (
	"fmt"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/mgmt"
)

// newControl hands the boot configuration and its store (nil: none) to
// the management API. Its messages (rule changes, trials, reverts) go to
// the console.
func (a *Appliance) newControl(st *cfgstore.Store, boot cfgstore.Config) {
	a.control = mgmt.NewControl(mgmt.ControlOptions{Store: st, Boot: boot, Filter: a.filter,
		Logf: func(format string, args ...any) { fmt.Printf(format+"\n", args...) }})
	tok, r := a.control.FirstToken()
	switch {
	case tok == "":
		fmt.Println("auth: API token from fosbury.auth (POST /auth/token replaces it)")
	case r.Saved.Saved:
		fmt.Printf("auth: API token %s (shown this once; the card keeps only its SHA-256)\n", tok)
	default:
		fmt.Printf("auth: API token %s (for this boot only: %s)\n", tok, r.NotSaved)
	}
}
