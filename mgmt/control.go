// control.go owns the configuration in force and its changes at runtime:
// rules put in force at once or on trial (commit-confirm, reverted by
// itself unless confirmed), addresses saved for the next boot, the API
// credential, and every change saved through the configuration store.
//
// # The commit-confirm invariant
//
// The store's current slot only ever holds a confirmed configuration:
// the one the appliance booted with, or one a plain change or a
// confirmation wrote. A change on trial (PUT /rules?confirm=D) is put in
// force in the filter only; the store keeps the previous configuration as
// the boot configuration. Hence:
//
//   - a reboot (or power cut) at any moment of the window boots the
//     previous rules: the revert needs no write, so it cannot fail;
//   - the revert (window over, or POST /rules/revert) installs a program
//     compiled from the previous rules when the trial began, so it
//     cannot fail either;
//   - the confirmation is one Store.Write of the new configuration; the
//     store makes it current only once it is verified on the medium, so a
//     power cut during it boots either the previous configuration or,
//     with the header down and verified, the new one, never a mix. A
//     write that fails leaves the change on trial: it reverts at the
//     deadline unless a later confirmation succeeds.
//
// Other changes while a trial runs (addresses, the credential) are written
// over the confirmed configuration, so they keep the invariant; a second
// rule change is refused.
//
// # No medium, or a read-only one
//
// Changes are then applied in memory and every answer says they are not
// saved (a reboot comes back with the card's configuration, or the
// compiled-in defaults). Refusing them would leave an operator unable to
// block an attack on an appliance whose card is write-protected. A
// medium that can be written but fails a write refuses the change:
// nothing changes, in memory or on the card.
package mgmt

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/mgmt/auth"
	"github.com/fosbury-net/fosbury/netstack"
)

// Bounds of a commit-confirm window.
const (
	MinConfirm = 5 * time.Second
	MaxConfirm = time.Hour
)

const (
	rulesFile = "fosbury.rules"
	addrFile  = "fosbury.conf"
)

// ControlOptions configure a Control.
type ControlOptions struct {
	// Store is the configuration medium; nil when there is none.
	Store *cfgstore.Store
	// Boot is the configuration the appliance booted with; its rules are
	// the ones loaded in Filter.
	Boot cfgstore.Config
	// Filter is the engine the datapath decides with.
	Filter *filter.Engine
	// Now and AfterFunc are the clock (time.Now, time.AfterFunc when nil).
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Logf writes a line on the console (nothing when nil).
	Logf func(format string, a ...any)
}

// Control applies and saves configuration changes. Its methods are safe
// for concurrent use; the poll loop never waits on its lock (the filter's
// program is swapped with one atomic store).
type Control struct {
	o     ControlOptions
	guard *auth.Guard

	mu        sync.Mutex
	cfg       cfgstore.Config // confirmed: what the next boot runs
	bootAddrs []byte          // addresses in force since boot
	seq       uint64          // store sequence number of cfg; 0: not in the store
	unsaved   string          // why a reboot would not come back with cfg ("": it would)
	lastID    uint64
	trial     *trial
}

// trial is a rule change waiting for its confirmation.
type trial struct {
	id                uint64
	rules             []byte
	revert            *filter.Program // compiled from cfg.Rules, not yet installed
	applied, deadline time.Time
	stop              func() bool
}

// Error is a refused change: the HTTP status to answer, a sentence, and
// file:line:col messages when the input was at fault.
type Error struct {
	Status  int      `json:"-"`
	Msg     string   `json:"error"`
	Details []string `json:"errors,omitempty"`
}

func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return e.Msg
	}
	return e.Msg + ": " + strings.Join(e.Details, "; ")
}

func invalid(msg string, err error) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: msg, Details: strings.Split(err.Error(), "\n")}
}

// Pending describes the change on trial.
type Pending struct {
	ID               uint64    `json:"id"`
	Applied          time.Time `json:"applied"`
	Deadline         time.Time `json:"deadline"`
	RemainingSeconds float64   `json:"remaining_seconds"`
	Confirm          string    `json:"confirm"` // what to send to keep it
}

// Saved says whether a reboot comes back with the configuration in force.
type Saved struct {
	Saved    bool   `json:"saved"`
	NotSaved string `json:"not_saved,omitempty"` // why not
	Sequence uint64 `json:"sequence"`            // store sequence of the boot configuration (0: none)
}

// Result is the answer to an accepted change.
type Result struct {
	Message    string `json:"message"`
	Generation uint32 `json:"generation,omitempty"` // of the filter program now in force
	Saved
	Pending *Pending `json:"pending,omitempty"`
	Token   string   `json:"token,omitempty"` // a new API token, shown once
}

// RulesState is the body of GET /rules.
type RulesState struct {
	File       string `json:"file"`
	Text       string `json:"text"` // the rules in force
	Generation uint32 `json:"generation"`
	Saved
	Pending  *Pending              `json:"pending"`
	Counters []filter.RuleCounters `json:"counters"`
}

// ConfigState is the body of GET /config.
type ConfigState struct {
	File    string `json:"file"`
	Text    string `json:"text"`               // the addresses the next boot runs with
	InForce string `json:"in_force,omitempty"` // those in force, when they differ
	Saved
}

// NewControl takes over the configuration the appliance booted with.
func NewControl(o ControlOptions) *Control {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	c := &Control{o: o, cfg: cloneConfig(o.Boot), bootAddrs: o.Boot.Addresses}
	if o.Store != nil {
		if cur, sl, ok := o.Store.Current(); ok && cur.Equal(o.Boot) {
			c.seq = sl.Seq
		}
	}
	f, _ := auth.Parse(o.Boot.Credentials) // Validate accepted it, or it is empty: no token works yet
	c.guard = auth.NewGuard(f, auth.Options{})
	return c
}

func cloneConfig(c cfgstore.Config) cfgstore.Config {
	return cfgstore.Config{Addresses: clone(c.Addresses), Rules: clone(c.Rules),
		Credentials: clone(c.Credentials), Options: clone(c.Options)}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// Guard is the credential check the API runs before every request.
func (c *Control) Guard() *auth.Guard { return c.guard }

// save makes next the confirmed configuration, on the medium when it can
// be written. Only a failed write is an error; then nothing changes.
func (c *Control) save(next cfgstore.Config) error {
	switch {
	case c.o.Store == nil:
		c.unsaved = "no configuration medium"
	case c.o.Store.WriteErr() != nil:
		c.unsaved = "the configuration medium cannot be written: " + c.o.Store.WriteErr().Error()
	default:
		sl, err := c.o.Store.Write(next)
		if err != nil {
			return &Error{Status: http.StatusInternalServerError, Msg: "saving the configuration failed, nothing was changed: " + err.Error()}
		}
		c.seq, c.unsaved = sl.Seq, ""
	}
	c.cfg = next
	return nil
}

// savedLocked is the state of the confirmed configuration on the medium.
func (c *Control) savedLocked() Saved {
	return Saved{Saved: c.unsaved == "", NotSaved: c.unsaved, Sequence: c.seq}
}

func (c *Control) pendingLocked(now time.Time) *Pending {
	t := c.trial
	if t == nil {
		return nil
	}
	return &Pending{ID: t.id, Applied: t.applied, Deadline: t.deadline,
		RemainingSeconds: max(0, t.deadline.Sub(now).Seconds()), Confirm: "POST /rules/confirm"}
}

// Rules returns the rules in force with their counters.
func (c *Control) Rules() RulesState {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.o.Filter.Snapshot()
	st := RulesState{File: rulesFile, Text: string(c.cfg.Rules), Generation: snap.Generation,
		Saved: c.savedLocked(), Pending: c.pendingLocked(c.o.Now()), Counters: snap.Rules}
	if c.trial != nil {
		st.Text = string(c.trial.rules)
		st.Saved.Saved = false
		st.Saved.NotSaved = "on trial: the boot configuration keeps the previous rules until POST /rules/confirm"
	}
	return st
}

// SetRules checks src and puts it in force. With window 0 it is saved at
// once; otherwise it is on trial: it reverts by itself after window
// unless Confirm comes first.
func (c *Control) SetRules(src []byte, window time.Duration) (Result, error) {
	if window != 0 && (window < MinConfirm || window > MaxConfirm) {
		return Result{}, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("confirm window %v is not within %v..%v", window, MinConfirm, MaxConfirm)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trial != nil {
		return Result{}, c.busyLocked()
	}
	prog, err := c.o.Filter.Compile(rulesFile, src)
	if err != nil {
		return Result{}, invalid("rules rejected, nothing was changed", err)
	}
	next := cloneConfig(c.cfg)
	next.Rules = clone(src)
	if err := cfgstore.Validate(next); err != nil {
		return Result{}, invalid("configuration rejected, nothing was changed", err)
	}
	now := c.o.Now()
	if window == 0 {
		if err := c.save(next); err != nil {
			return Result{}, err
		}
		c.o.Filter.Install(prog)
		r := c.resultLocked("new rules in force")
		c.o.Logf("rules: new rules in force (generation %d), %s", r.Generation, savedPhrase(r.Saved))
		return r, nil
	}
	revert, err := c.o.Filter.Compile(rulesFile, c.cfg.Rules)
	if err != nil { // the rules in force compiled before: the engine is broken
		return Result{}, &Error{Status: http.StatusInternalServerError, Msg: "cannot prepare the revert: " + err.Error()}
	}
	c.lastID++
	t := &trial{id: c.lastID, rules: next.Rules, revert: revert, applied: now, deadline: now.Add(window)}
	c.o.Filter.Install(prog)
	c.trial = t
	id := t.id
	t.stop = c.o.AfterFunc(window, func() { c.expire(id) })
	r := c.resultLocked(fmt.Sprintf("new rules in force on trial: they revert in %v unless confirmed with POST /rules/confirm", window))
	r.Saved = Saved{NotSaved: "on trial: the boot configuration keeps the previous rules until confirmed", Sequence: c.seq}
	c.o.Logf("rules: change %d in force on trial (generation %d): reverts in %v unless POST /rules/confirm", id, r.Generation, window)
	return r, nil
}

func (c *Control) busyLocked() *Error {
	return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf(
		"rule change %d is waiting for its confirmation (%.0f s left): POST /rules/confirm or /rules/revert first",
		c.trial.id, c.trial.deadline.Sub(c.o.Now()).Seconds())}
}

func (c *Control) resultLocked(msg string) Result {
	return Result{Message: msg, Generation: c.o.Filter.Program().Generation(), Saved: c.savedLocked(),
		Pending: c.pendingLocked(c.o.Now())}
}

func savedPhrase(s Saved) string {
	if s.Saved {
		return fmt.Sprintf("saved as sequence %d", s.Sequence)
	}
	return "NOT saved (" + s.NotSaved + ")"
}

var errNoTrial = &Error{Status: http.StatusConflict, Msg: "no rule change is waiting for confirmation"}

// Confirm keeps the change on trial: it is saved and becomes the boot
// configuration. A confirmation that arrives after the deadline (the
// timer not having run yet) reverts instead.
func (c *Control) Confirm() (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trial
	if t == nil {
		return Result{}, errNoTrial
	}
	if !c.o.Now().Before(t.deadline) {
		c.revertLocked("not confirmed in time")
		return Result{}, &Error{Status: http.StatusConflict, Msg: fmt.Sprintf("rule change %d was not confirmed in time: the previous rules are back in force", t.id)}
	}
	next := cloneConfig(c.cfg)
	next.Rules = t.rules
	if err := c.save(next); err != nil {
		e := err.(*Error)
		e.Msg = fmt.Sprintf("%s; rule change %d stays on trial and reverts at its deadline unless a confirmation succeeds", e.Msg, t.id)
		return Result{}, e
	}
	t.stop()
	c.trial = nil
	r := c.resultLocked(fmt.Sprintf("rule change %d confirmed", t.id))
	c.o.Logf("rules: change %d confirmed, %s", t.id, savedPhrase(r.Saved))
	return r, nil
}

// Revert ends the trial now, putting the previous rules back.
func (c *Control) Revert() (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trial == nil {
		return Result{}, errNoTrial
	}
	id := c.trial.id
	c.revertLocked("withdrawn by request")
	return c.resultLocked(fmt.Sprintf("rule change %d withdrawn: the previous rules are back in force", id)), nil
}

// expire is the trial's timer.
func (c *Control) expire(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trial != nil && c.trial.id == id {
		c.revertLocked("not confirmed in time")
	}
}

func (c *Control) revertLocked(why string) {
	t := c.trial
	t.stop()
	c.trial = nil
	c.o.Filter.Install(t.revert)
	c.o.Logf("rules: change %d %s: reverted to the boot rules (generation %d, %s)",
		t.id, why, t.revert.Generation(), savedPhrase(c.savedLocked()))
}

// Addresses returns the address configuration.
func (c *Control) Addresses() ConfigState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := ConfigState{File: addrFile, Text: string(c.cfg.Addresses), Saved: c.savedLocked()}
	if string(c.bootAddrs) != st.Text {
		st.InForce = string(c.bootAddrs)
	}
	return st
}

// SetAddresses checks and saves a new address configuration. It applies
// at the next boot: the running netstack keeps its addresses.
func (c *Control) SetAddresses(src []byte) (Result, error) {
	cfg, err := netstack.ParseConfig(addrFile, src)
	if err != nil {
		return Result{}, invalid("addresses rejected, nothing was changed", err)
	}
	if cfg.HTTPPort == 0 {
		return Result{}, &Error{Status: http.StatusBadRequest, Msg: "addresses rejected, nothing was changed",
			Details: []string{addrFile + ": no http statement: the appliance could not be managed after the next boot"}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := cloneConfig(c.cfg)
	next.Addresses = clone(src)
	if err := cfgstore.Validate(next); err != nil {
		return Result{}, invalid("configuration rejected, nothing was changed", err)
	}
	if err := c.save(next); err != nil {
		return Result{}, err
	}
	r := c.resultLocked("new addresses saved: they apply at the next boot")
	c.o.Logf("config: new addresses %s: they apply at the next boot", savedPhrase(r.Saved))
	return r, nil
}

// NewToken replaces the API credential with a fresh token, returned in
// the Result (the only time it is shown). On a failed write the old token
// stays in force.
func (c *Control) NewToken() (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.newTokenLocked(false)
}

// newTokenLocked makes and saves a token; with orMemory a failed write
// puts it in force anyway, unsaved (an appliance without any token could
// not be operated at all).
func (c *Control) newTokenLocked(orMemory bool) (Result, error) {
	tok, f := auth.NewToken()
	next := cloneConfig(c.cfg)
	next.Credentials = f.Marshal()
	if err := c.save(next); err != nil {
		if !orMemory {
			return Result{}, err
		}
		c.cfg, c.unsaved = next, "writing the configuration medium failed"
	}
	c.guard.Set(f)
	r := c.resultLocked("new API token in force; the previous one no longer works")
	r.Token = tok
	c.o.Logf("auth: new API token in force, %s", savedPhrase(r.Saved))
	return r, nil
}

// FirstToken makes the first API token when the configuration has none
// (the first boot, or a card written without fosbury.auth) and returns
// it for the console; "" when there is one already.
func (c *Control) FirstToken() (string, Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cfg.Credentials) > 0 {
		return "", Result{}
	}
	r, _ := c.newTokenLocked(true)
	return r.Token, r
}
