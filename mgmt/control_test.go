// Control on a host medium (cfgstore.MemDevice) with a fake clock: rule
// changes at once and on trial, the revert by itself, reboots inside and
// after the window, power cuts during the confirmation, read-only and
// missing media, failed writes, addresses and tokens.
package mgmt

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/mgmt/auth"
)

const (
	baseRules = "pass inet proto icmp icmp-type echo-request to self\npass proto tcp to self port 80\npass ether type arp\nset default drop\n"
	// noPing drops pings to the appliance; management (TCP 80) still works.
	noPing = "pass proto tcp to self port 80\npass ether type arp\nset default drop\n"
	// lockout drops everything, management included.
	lockout  = "set default drop\n"
	badRules = "pass proto tcp to self port 80\npass frobnicate\n"
	addrs    = "port lan address 10.0.2.15/24\nhttp 80\n"
)

var (
	self   = netip.MustParsePrefix("10.0.2.15/32")
	layout = cfgstore.Layout{Start: 4, SlotBlocks: 64}
)

// clock is a fake time.Now and time.AfterFunc: timers run in advance.
type clock struct {
	now    time.Time
	timers []*timer
}

type timer struct {
	at   time.Time
	f    func()
	done bool // fired or stopped
}

func (c *clock) Now() time.Time { return c.now }

func (c *clock) AfterFunc(d time.Duration, f func()) func() bool {
	t := &timer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		was := !t.done
		t.done = true
		return was
	}
}

// advance moves time on, running the timers that come due.
func (c *clock) advance(d time.Duration) {
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			t.f()
		}
	}
}

// box is one appliance: a medium that survives reboots, and what runs on it.
type box struct {
	t     *testing.T
	dev   cfgstore.Device
	mem   *cfgstore.MemDevice
	clk   *clock
	store *cfgstore.Store
	eng   *filter.Engine
	ctl   *Control
	log   []string
}

func newBox(t *testing.T, initial ...cfgstore.Config) *box {
	t.Helper()
	mem := cfgstore.NewMemDevice(layout.End())
	b := &box{t: t, dev: mem, mem: mem}
	if len(initial) > 0 {
		st, err := cfgstore.Open(mem, layout, cfgstore.Validate)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range initial {
			if _, err := st.Write(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.boot()
	return b
}

func defaults() cfgstore.Config {
	return cfgstore.Config{Addresses: []byte(addrs), Rules: []byte(baseRules)}
}

// boot does what the firmware does at boot: the store's configuration,
// else the defaults, loaded into a new engine.
func (b *box) boot() {
	b.t.Helper()
	b.mem.Restore()
	var err error
	b.store = nil
	if b.dev != nil {
		if b.store, err = cfgstore.Open(b.dev, layout, cfgstore.Validate); err != nil {
			b.t.Fatal(err)
		}
	}
	cfg := defaults()
	if b.store != nil {
		if c, _, ok := b.store.Current(); ok {
			cfg = c
		}
	}
	b.eng = filter.NewEngine(filter.Options{Self: []netip.Prefix{self}})
	if err := b.eng.Load("fosbury.rules", cfg.Rules); err != nil {
		b.t.Fatal(err)
	}
	b.clk = &clock{now: time.Unix(1e6, 0)}
	b.log = nil
	b.ctl = NewControl(ControlOptions{Store: b.store, Boot: cfg, Filter: b.eng, Now: b.clk.Now, AfterFunc: b.clk.AfterFunc,
		Logf: func(f string, a ...any) { b.log = append(b.log, fmt.Sprintf(f, a...)) }})
}

// ping is an ICMP echo request from 10.0.2.2 to the appliance.
var ping = func() []byte {
	f := make([]byte, 14+20+8)
	copy(f[0:6], []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56})
	copy(f[6:12], []byte{2, 0, 0, 0, 0, 2})
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0], ip[3], ip[8], ip[9] = 0x45, 28, 64, 1
	copy(ip[12:16], []byte{10, 0, 2, 2})
	copy(ip[16:20], []byte{10, 0, 2, 15})
	ip[20] = 8 // echo request
	return f
}()

func (b *box) pings() bool {
	return b.eng.Decide(ping, filter.Meta{Port: 0, Dir: filter.In, Now: 1}).Action == filter.Pass
}

func (b *box) stored() cfgstore.Config {
	b.t.Helper()
	c, _, ok := b.store.Current()
	if !ok {
		b.t.Fatal("the store holds no configuration")
	}
	return c
}

func (b *box) logged(substr string) {
	b.t.Helper()
	for _, l := range b.log {
		if strings.Contains(l, substr) {
			return
		}
	}
	b.t.Fatalf("console lacks %q: %q", substr, b.log)
}

func wantStatus(t *testing.T, err error, code int, substr string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != code || !strings.Contains(e.Error(), substr) {
		t.Fatalf("error %v, want %d containing %q", err, code, substr)
	}
}

func TestSetRulesAtOnceIsSaved(t *testing.T) {
	b := newBox(t)
	if !b.pings() {
		t.Fatal("defaults drop pings")
	}
	r, err := b.ctl.SetRules([]byte(noPing), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Saved.Saved || r.Sequence != 1 || r.Pending != nil || b.pings() {
		t.Fatalf("result %+v, pings %v", r, b.pings())
	}
	if st := b.ctl.Rules(); st.Text != noPing || !st.Saved.Saved || st.Sequence != 1 || st.Pending != nil || len(st.Counters) != 2 {
		t.Fatalf("rules %+v", st)
	}
	b.logged("new rules in force")
	b.boot()
	if b.pings() || b.ctl.Rules().Text != noPing || b.ctl.Rules().Sequence != 1 {
		t.Fatal("the change did not survive the reboot")
	}
}

func TestBadRulesChangeNothing(t *testing.T) {
	b := newBox(t, defaults())
	before := bytes.Clone(b.mem.Data)
	gen := b.eng.Snapshot().Generation
	for _, src := range []string{badRules, "drop on dmz\n", ""} {
		for _, window := range []time.Duration{0, time.Minute} {
			_, err := b.ctl.SetRules([]byte(src), window)
			wantStatus(t, err, 400, "nothing was changed")
			var e *Error
			errors.As(err, &e)
			if src == badRules && (len(e.Details) != 1 || !strings.HasPrefix(e.Details[0], "fosbury.rules:2:6: ")) {
				t.Fatalf("details %q, want one at fosbury.rules:2:6", e.Details)
			}
		}
	}
	for _, w := range []time.Duration{time.Second, 2 * time.Hour, -1} {
		_, err := b.ctl.SetRules([]byte(noPing), w)
		wantStatus(t, err, 400, "confirm window")
	}
	if !bytes.Equal(b.mem.Data, before) || b.eng.Snapshot().Generation != gen || !b.pings() || b.ctl.Rules().Pending != nil {
		t.Fatal("refused rules changed something")
	}
}

// A change that locks the operator out reverts by itself at the deadline,
// without a request, and without writing the medium at all.
func TestTrialRevertsByItself(t *testing.T) {
	b := newBox(t, defaults())
	before := bytes.Clone(b.mem.Data)
	r, err := b.ctl.SetRules([]byte(lockout), 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pending == nil || r.Pending.RemainingSeconds != 90 || r.Saved.Saved || r.Sequence != 1 || b.pings() {
		t.Fatalf("result %+v", r)
	}
	b.logged("change 1 in force on trial")
	st := b.ctl.Rules()
	if st.Text != lockout || st.Pending == nil || st.Pending.ID != 1 || st.Saved.Saved {
		t.Fatalf("rules on trial: %+v", st)
	}
	b.clk.advance(89 * time.Second)
	if b.pings() || b.ctl.Rules().Pending.RemainingSeconds != 1 {
		t.Fatal("reverted early")
	}
	b.clk.advance(time.Second)
	st = b.ctl.Rules()
	if !b.pings() || st.Text != baseRules || st.Pending != nil || !st.Saved.Saved || st.Sequence != 1 {
		t.Fatalf("after the window: pings %v, rules %+v", b.pings(), st)
	}
	b.logged("change 1 not confirmed in time: reverted")
	if !bytes.Equal(b.mem.Data, before) {
		t.Fatal("the trial or its revert wrote the medium")
	}
	// Management works again: a new change is accepted.
	if _, err := b.ctl.SetRules([]byte(noPing), 0); err != nil {
		t.Fatal(err)
	}
}

func TestRebootInsideTheWindowBootsThePreviousRules(t *testing.T) {
	b := newBox(t, defaults())
	if _, err := b.ctl.SetRules([]byte(lockout), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	b.clk.advance(time.Minute)
	b.boot()
	if !b.pings() || b.ctl.Rules().Text != baseRules || b.ctl.Rules().Pending != nil {
		t.Fatal("the reboot did not come back with the previous rules")
	}
}

func TestConfirmedChangeSurvivesReboot(t *testing.T) {
	b := newBox(t, defaults())
	if _, err := b.ctl.SetRules([]byte(noPing), 90*time.Second); err != nil {
		t.Fatal(err)
	}
	b.clk.advance(30 * time.Second)
	r, err := b.ctl.Confirm()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Saved.Saved || r.Sequence != 2 || r.Pending != nil || string(b.stored().Rules) != noPing {
		t.Fatalf("confirm: %+v", r)
	}
	b.logged("change 1 confirmed, saved as sequence 2")
	b.clk.advance(time.Hour) // the timer was stopped: no revert
	if b.pings() || b.ctl.Rules().Text != noPing {
		t.Fatal("a confirmed change reverted")
	}
	b.boot()
	if b.pings() || b.ctl.Rules().Text != noPing || b.ctl.Rules().Sequence != 2 {
		t.Fatal("the confirmed change did not survive the reboot")
	}
}

func TestOneTrialAtATime(t *testing.T) {
	b := newBox(t, defaults())
	_, err := b.ctl.Confirm()
	wantStatus(t, err, 409, "no rule change is waiting")
	_, err = b.ctl.Revert()
	wantStatus(t, err, 409, "no rule change is waiting")
	if _, err := b.ctl.SetRules([]byte(noPing), time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, w := range []time.Duration{time.Minute, 0} {
		_, err := b.ctl.SetRules([]byte(lockout), w)
		wantStatus(t, err, 409, "rule change 1 is waiting for its confirmation (60 s left)")
	}
	if b.ctl.Rules().Text != noPing {
		t.Fatal("a refused second change replaced the first")
	}
	r, err := b.ctl.Revert()
	if err != nil || b.ctl.Rules().Text != baseRules || !b.pings() || r.Pending != nil {
		t.Fatalf("revert: %v %+v", err, r)
	}
	b.logged("change 1 withdrawn by request")
	// The old timer must not touch the next trial.
	if _, err := b.ctl.SetRules([]byte(lockout), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	b.clk.advance(time.Minute)
	if b.ctl.Rules().Pending == nil || b.ctl.Rules().Pending.ID != 2 {
		t.Fatal("the first trial's timer ended the second")
	}
}

// The timer late (a busy appliance): a confirmation after the deadline
// reverts instead of keeping the rules.
func TestLateConfirmReverts(t *testing.T) {
	b := newBox(t, defaults())
	b.ctl.SetRules([]byte(noPing), time.Minute)
	b.clk.now = b.clk.now.Add(time.Minute) // due, not yet run
	_, err := b.ctl.Confirm()
	wantStatus(t, err, 409, "not confirmed in time")
	if !b.pings() || string(b.stored().Rules) != baseRules {
		t.Fatal("a late confirmation kept the rules")
	}
	b.clk.advance(0) // the timer runs now and finds nothing to do
	if b.ctl.Rules().Text != baseRules {
		t.Fatal("the late timer changed the rules")
	}
}

// A power cut at any point of the confirmation's write: the medium boots
// a whole configuration, the previous or the new one; the appliance that
// lost the write keeps the change on trial and reverts it at the deadline.
func TestPowerCutDuringConfirm(t *testing.T) {
	// How many bytes the confirmation writes: the same write on a copy.
	probe := &cfgstore.MemDevice{Data: bytes.Clone(newBox(t, defaults()).mem.Data), CutAfter: -1}
	ps, _ := cfgstore.Open(probe, layout, cfgstore.Validate)
	next := defaults()
	next.Rules = []byte(noPing)
	if _, err := ps.Write(next); err != nil {
		t.Fatal(err)
	}
	total := probe.Written
	saw := map[string]bool{}
	for cut := int64(0); cut < total+97; cut += 97 {
		cut := min(cut, total)
		b := newBox(t, defaults())
		b.ctl.SetRules([]byte(noPing), time.Minute)
		b.mem.CutAfter = b.mem.Written + cut
		_, err := b.ctl.Confirm()
		if err != nil {
			wantStatus(t, err, 500, "stays on trial")
			if b.ctl.Rules().Pending == nil {
				t.Fatalf("cut at %d: the failed confirmation ended the trial", cut)
			}
			b.clk.advance(time.Minute)
			if !b.pings() {
				t.Fatalf("cut at %d: no revert at the deadline", cut)
			}
		}
		b.boot()
		got := b.ctl.Rules().Text
		switch got {
		case baseRules:
			saw["previous"] = true
		case noPing:
			saw["new"] = true
		default:
			t.Fatalf("cut at %d: booted %q", cut, got)
		}
		if err == nil && got != noPing {
			t.Fatalf("cut at %d: a confirmation that succeeded booted the previous rules", cut)
		}
		if a := string(b.ctl.Addresses().Text); a != addrs {
			t.Fatalf("cut at %d: addresses %q", cut, a)
		}
	}
	if !saw["previous"] || !saw["new"] {
		t.Fatalf("outcomes %v: the cut points missed one side", saw)
	}
}

func TestReadOnlyCardAppliesInMemory(t *testing.T) {
	b := newBox(t, defaults())
	b.mem.Protected = true
	b.boot()
	before := bytes.Clone(b.mem.Data)
	r, err := b.ctl.SetRules([]byte(noPing), 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Saved.Saved || !strings.Contains(r.NotSaved, "read-only") || b.pings() {
		t.Fatalf("result %+v", r)
	}
	if st := b.ctl.Rules(); st.Saved.Saved || !strings.Contains(st.NotSaved, "read-only") {
		t.Fatalf("rules %+v", st)
	}
	b.logged("NOT saved")
	// A trial and its confirmation work in memory too.
	b.ctl.SetRules([]byte(lockout), time.Minute)
	if r, err := b.ctl.Confirm(); err != nil || r.Saved.Saved {
		t.Fatalf("confirm %v %+v", err, r)
	}
	if !bytes.Equal(b.mem.Data, before) {
		t.Fatal("a read-only medium was written")
	}
	b.boot()
	if !b.pings() {
		t.Fatal("the reboot did not come back with the card's rules")
	}
}

func TestNoMediumAppliesInMemory(t *testing.T) {
	b := &box{t: t, mem: cfgstore.NewMemDevice(1)}
	b.boot()
	r, err := b.ctl.SetRules([]byte(noPing), 0)
	if err != nil || r.Saved.Saved || r.NotSaved != "no configuration medium" || b.pings() {
		t.Fatalf("%v %+v", err, r)
	}
	tok, r := b.ctl.FirstToken()
	if tok == "" || r.Saved.Saved {
		t.Fatalf("first token %q %+v", tok, r)
	}
}

// failing fails every write after the first n, as a worn-out card does.
type failing struct {
	*cfgstore.MemDevice
	n int
}

func (f *failing) WriteBlocks(lba int64, p []byte) error {
	if f.n <= 0 {
		return errors.New("card error")
	}
	f.n--
	return f.MemDevice.WriteBlocks(lba, p)
}

func TestFailedWriteChangesNothing(t *testing.T) {
	b := newBox(t, defaults())
	b.dev = &failing{MemDevice: b.mem}
	b.boot()
	gen := b.eng.Snapshot().Generation
	_, err := b.ctl.SetRules([]byte(noPing), 0)
	wantStatus(t, err, 500, "card error")
	_, err = b.ctl.SetAddresses([]byte("port lan address 10.0.9.1/24\nhttp 80\n"))
	wantStatus(t, err, 500, "nothing was changed")
	_, err = b.ctl.NewToken()
	wantStatus(t, err, 500, "nothing was changed")
	st := b.ctl.Rules()
	if !b.pings() || st.Text != baseRules || st.Generation != gen || !st.Saved.Saved || b.ctl.Addresses().Text != addrs {
		t.Fatalf("after failed writes: %+v", st)
	}
}

// A first boot whose token cannot be saved still gets a working token.
func TestFirstTokenWhenTheWriteFails(t *testing.T) {
	b := newBox(t)
	b.dev = &failing{MemDevice: b.mem}
	b.boot()
	tok, r := b.ctl.FirstToken()
	if tok == "" || r.Saved.Saved || !strings.Contains(r.NotSaved, "failed") {
		t.Fatalf("first token %q %+v", tok, r)
	}
	if o, _ := b.ctl.Guard().Check(netip.MustParseAddr("10.0.2.2"), "Bearer "+tok, b.clk.now); o != auth.Accepted {
		t.Fatal("the unsaved first token is refused")
	}
}

func TestSetAddressesForTheNextBoot(t *testing.T) {
	b := newBox(t, defaults())
	_, err := b.ctl.SetAddresses([]byte("port lan address 10.0.2.300/24\nhttp 80\n"))
	wantStatus(t, err, 400, "fosbury.conf:1:18:")
	_, err = b.ctl.SetAddresses([]byte("port lan address 10.0.3.1/24\n"))
	wantStatus(t, err, 400, "no http statement")
	next := "port lan address 10.0.3.1/24\nhttp 8080\n"
	r, err := b.ctl.SetAddresses([]byte(next))
	if err != nil || !r.Saved.Saved || !strings.Contains(r.Message, "next boot") {
		t.Fatalf("%v %+v", err, r)
	}
	if st := b.ctl.Addresses(); st.Text != next || st.InForce != addrs {
		t.Fatalf("config %+v", st)
	}
	// During a trial the addresses are saved with the confirmed rules.
	b.ctl.SetRules([]byte(lockout), time.Minute)
	if _, err := b.ctl.SetAddresses([]byte(next + "# again\n")); err != nil {
		t.Fatal(err)
	}
	if c := b.stored(); string(c.Rules) != baseRules || string(c.Addresses) != next+"# again\n" {
		t.Fatalf("stored during the trial: %q / %q", c.Rules, c.Addresses)
	}
	b.boot()
	if st := b.ctl.Addresses(); st.Text != next+"# again\n" || st.InForce != "" || b.ctl.Rules().Text != baseRules {
		t.Fatalf("after the reboot: %+v", st)
	}
}

func TestTokenLifeCycle(t *testing.T) {
	b := newBox(t) // blank card: the first boot
	tok, r := b.ctl.FirstToken()
	if tok == "" || !r.Saved.Saved || r.Sequence != 1 {
		t.Fatalf("first token %q: %+v", tok, r)
	}
	creds := b.stored().Credentials
	if bytes.Contains(creds, []byte(tok)) || bytes.Contains(b.mem.Data, []byte(tok)) {
		t.Fatal("the token itself is on the card")
	}
	if f, err := auth.Parse(creds); err != nil || f != auth.FileFor(tok) {
		t.Fatalf("stored credential %v", err)
	}
	src := netip.MustParseAddr("10.0.2.2")
	b.boot()
	if again, _ := b.ctl.FirstToken(); again != "" {
		t.Fatal("a second boot made a new token")
	}
	if o, _ := b.ctl.Guard().Check(src, "Bearer "+tok, b.clk.now); o != auth.Accepted {
		t.Fatal("the stored token is refused after the reboot")
	}
	r, err := b.ctl.NewToken()
	if err != nil || r.Token == "" || r.Token == tok || !r.Saved.Saved {
		t.Fatalf("new token: %v %+v", err, r)
	}
	if o, _ := b.ctl.Guard().Check(src, "Bearer "+tok, b.clk.now); o != auth.Failed {
		t.Fatal("the old token still works")
	}
	b.boot()
	if o, _ := b.ctl.Guard().Check(src, "Bearer "+r.Token, b.clk.now); o != auth.Accepted {
		t.Fatal("the new token did not survive the reboot")
	}
}
