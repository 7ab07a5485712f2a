//go:build hwtest

// Operating the appliance through its API in QEMU, with a card attached
// (the EVK's uSDHC2) and the lan port wired to the peer: the first boot
// makes a token and keeps only its hash; nothing but /health answers
// without it; bad input changes nothing; a rule change shows on the wire
// (pings blocked, then answered) and survives restarts of QEMU; a change
// on trial that locks the operator out reverts by itself; a restart inside
// a trial's window comes back with the previous rules; a brute-force loop
// is limited.
package hwtests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/mgmt/auth"
)

// noPingRule blocks pings to the appliance; prepended to the default
// rules it wins over their pass (first match).
const noPingRule = "drop inet proto icmp icmp-type echo-request to self label \"no ping\"\n"

func defaultRules(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../firmware/internal/defaults/fosbury.rules")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bootCard boots the appliance on card img. A token printed on the
// console is taken; otherwise token (a previous boot's) is used.
func bootCard(t *testing.T, img, token string) *appliance {
	t.Helper()
	a := startAppliance(t, t.TempDir(), 15*time.Minute, cardDrive(img)...)
	t.Cleanup(a.stop)
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.token == "" {
		a.token = token
	}
	return &a
}

// call sends a request with the appliance's token and returns the status
// and the body.
func (a *appliance) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	code, b, err := a.request(applianceV4, method, path, "Bearer "+a.token, []byte(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, string(b)
}

func (a *appliance) want(t *testing.T, method, path, body string, code int, substr string) string {
	t.Helper()
	c, b := a.call(t, method, path, body)
	if c != code || !strings.Contains(b, substr) {
		t.Fatalf("%s %s: %d %s, want %d containing %q", method, path, c, b, code, substr)
	}
	return b
}

func (a *appliance) rules(t *testing.T) mgmt.RulesState {
	t.Helper()
	var st mgmt.RulesState
	if err := json.Unmarshal([]byte(a.want(t, "GET", "/rules", "", 200, "")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// noPings fails if any of three pings is answered.
func (a *appliance) noPings(t *testing.T) {
	t.Helper()
	pg, err := a.peer.NewPinger(applianceV4)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for seq := uint16(1); seq <= 3; seq++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := pg.Ping(ctx, 1000+seq, []byte("blocked?"))
		cancel()
		if err == nil {
			t.Fatalf("ping %d answered: the rules should block it", seq)
		}
	}
}

func (a *appliance) waitConsole(t *testing.T, substr string) {
	t.Helper()
	if l, _, err := a.run.WaitLine(substr); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, a.run.Output())
	} else {
		t.Logf("console: %s", l)
	}
}

// cardNow reads the configuration in force on the card image.
func cardNow(t *testing.T, img string) (cfgstore.Config, cfgstore.Slot) {
	t.Helper()
	st := openCard(t, img)
	c, sl, ok := st.Current()
	if !ok {
		t.Fatalf("no valid slot on the card: %v", st.Slots())
	}
	return c, sl
}

// storeBytes is the card's store area, both slots.
func storeBytes(t *testing.T, img string) []byte {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := cfgstore.DefaultLayout
	b := make([]byte, (l.End()-l.Start)*cfgstore.BlockSize)
	if _, err := f.ReadAt(b, l.Start*cfgstore.BlockSize); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOperateThroughTheAPI(t *testing.T) {
	defRules := defaultRules(t)
	noPing := noPingRule + defRules
	img := newCard(t) // blank: the first boot

	// Boot 1: the first token, authentication, bad input, a lockout
	// reverted by itself, a confirmed change.
	a := bootCard(t, img, "")
	if a.token == "" || !strings.Contains(a.run.Output(), "(shown this once; the card keeps only its SHA-256)") {
		t.Fatalf("no first token on the console:\n%s", a.run.Output())
	}
	c, _ := cardNow(t, img)
	if f, err := auth.Parse(c.Credentials); err != nil || f != auth.FileFor(a.token) {
		t.Fatalf("the card's fosbury.auth does not hold the token's hash: %v\n%s", err, c.Credentials)
	}
	if bytes.Contains(storeBytes(t, img), []byte(a.token)) {
		t.Fatal("the token itself is on the card")
	}

	if code, body, err := a.request(applianceV4, "GET", "/health", "", nil); err != nil || code != 200 || string(body) != "ok\n" {
		t.Fatalf("/health without a token: %d %q %v", code, body, err)
	}
	before := a.rules(t)
	// No credential, a wrong one, a wrong basic password: 401, and three
	// failures counted against the peer's IPv4 address (the limit is 5).
	for _, rq := range []struct{ method, path, body, authz string }{
		{"GET", "/status", "", ""}, {"GET", "/rules", "", ""}, {"PUT", "/rules", noPing, ""},
		{"PUT", "/rules?confirm=60s", "set default drop\n", ""}, {"POST", "/rules/confirm", "", ""},
		{"PUT", "/rules", noPing, "Bearer not-the-token"}, {"GET", "/status", "", "Bearer " + a.token + "x"},
		{"PUT", "/rules?confirm=60s", "set default drop\n", "Basic Zm9zYnVyeTp3cm9uZw=="},
	} {
		code, body, err := a.request(applianceV4, rq.method, rq.path, rq.authz, []byte(rq.body))
		if err != nil || code != 401 {
			t.Fatalf("%s %s with %q: %d %s %v, want 401", rq.method, rq.path, rq.authz, code, body, err)
		}
	}
	a.want(t, "PUT", "/rules", "pass proto tcp to self port 99999\n", 400, `"fosbury.rules:1:`)
	a.want(t, "PUT", "/rules", strings.Repeat("# padding\n", 20000), 413, "nothing was changed")
	a.want(t, "PUT", "/rules?confirm=1s", noPing, 400, "confirm window")
	a.want(t, "PUT", "/config", "port lan address nope\nhttp 80\n", 400, `"fosbury.conf:1:18: `)
	if st := a.rules(t); st.Generation != before.Generation || st.Text != defRules || st.Pending != nil {
		t.Fatalf("refused requests changed the rules: generation %d -> %d", before.Generation, st.Generation)
	}
	a.ping(t, applianceV4, 3, func(int) int { return 56 })

	// A change that drops everything, management included, on trial for
	// 30 s: it locks the operator out, then reverts without any request.
	a.want(t, "PUT", "/rules?confirm=30s", "set default drop\n", 200, `"remaining_seconds"`)
	a.waitConsole(t, "rules: change 1 in force on trial")
	a.noPings(t)
	a.waitConsole(t, "rules: change 1 not confirmed in time: reverted")
	a.waitPing(t, applianceV4, 30*time.Second)
	if st := a.rules(t); st.Text != defRules || st.Pending != nil || !st.Saved.Saved {
		t.Fatalf("after the revert: %+v", st)
	}
	if c, _ := cardNow(t, img); string(c.Rules) != defRules {
		t.Fatal("the trial's rules reached the card")
	}

	// A change confirmed within its window: saved on the card.
	a.want(t, "PUT", "/rules?confirm=5m", noPing, 200, `"pending"`)
	a.noPings(t)
	a.want(t, "POST", "/rules/confirm", "", 200, `"saved": true`)
	// The pings reached the filter and its "no ping" rule dropped them
	// (counters are per program: confirming keeps it).
	var dropped uint64
	for _, rc := range a.rules(t).Counters {
		if rc.Label == "no ping" {
			dropped = rc.Packets
		}
	}
	if dropped < 3 {
		t.Fatalf("the \"no ping\" rule counted %d packets, want the 3 pings at least", dropped)
	}
	// One trial at a time; a trial can be withdrawn.
	a.want(t, "PUT", "/rules?confirm=60s", noPing+"# once more\n", 200, "")
	a.want(t, "PUT", "/rules?confirm=60s", defRules, 409, "waiting for its confirmation")
	a.want(t, "POST", "/rules/revert", "", 200, "withdrawn")
	c, sl := cardNow(t, img)
	if string(c.Rules) != noPing {
		t.Fatalf("the confirmed rules are not on the card (%v)", sl)
	}

	// A brute-force loop from the peer's IPv6 address: limited after 5.
	var codes []int
	for i := 0; i < 12; i++ {
		code, _, err := a.request(applianceV6, "PUT", "/rules", fmt.Sprintf("Bearer guess-%d", i), []byte("set default drop\n"))
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
	}
	t.Logf("brute force: %v", codes)
	n401, n429 := 0, 0
	for _, c := range codes {
		switch c {
		case 401:
			n401++
		case 429:
			n429++
		default:
			t.Fatalf("brute force answered %d", c)
		}
	}
	if n401 < auth.DefaultBurst || n429 == 0 {
		t.Fatalf("brute force: %v, want %d or more 401 and then 429", codes, auth.DefaultBurst)
	}
	if st := a.status(t).Auth; st.Failed != uint64(n401)+3 || st.Limited != uint64(n429) || st.Missing != 5 {
		t.Fatalf("/status auth %+v: want %d failed (3 earlier), %d limited, 5 missing", st, n401+3, n429)
	}
	if st := a.rules(t); st.Text != noPing {
		t.Fatal("the brute force changed the rules")
	}
	a.stop()

	// Boot 2: the confirmed change survived; a trial that allows pings
	// again, with QEMU killed inside its window.
	a = bootCard(t, img, a.token)
	if !strings.Contains(a.run.Output(), "auth: API token from fosbury.auth") {
		t.Fatalf("a second token was made:\n%s", a.run.Output())
	}
	a.noPings(t)
	if st := a.rules(t); st.Text != noPing || st.Sequence != sl.Seq {
		t.Fatalf("after the restart: sequence %d, rules %q", st.Sequence, st.Text)
	}
	a.want(t, "PUT", "/rules?confirm=10m", defRules, 200, `"pending"`)
	a.waitPing(t, applianceV4, 30*time.Second) // blocked, then allowed
	a.stop()

	// Boot 3: the restart inside the window came back with the previous
	// rules. A change at once allows pings.
	a = bootCard(t, img, a.token)
	a.noPings(t)
	if st := a.rules(t); st.Text != noPing || st.Pending != nil {
		t.Fatalf("after the restart inside the window: %+v", st)
	}
	a.want(t, "PUT", "/rules", defRules, 200, `"saved": true`)
	a.waitPing(t, applianceV4, 30*time.Second)
	a.stop()

	// Boot 4: and that change survived too.
	a = bootCard(t, img, a.token)
	a.ping(t, applianceV4, 3, func(int) int { return 56 })
	if st := a.rules(t); st.Text != defRules {
		t.Fatal("the change at once did not survive the restart")
	}
}

// Without a card (the shared boot): the token lasts this boot, and a
// change applies in memory, said in the answer. (A read-only card is
// tested on the host only: QEMU 7.2 refuses a read-only SD drive.)
func TestAPIWithoutCard(t *testing.T) {
	a := bootAppliance(t)
	if !strings.Contains(a.run.Output(), "(for this boot only: no configuration medium)") {
		t.Fatalf("no one-boot token on the console:\n%s", a.run.Output())
	}
	rules := a.rules(t).Text // the same rules again: the tests after this one keep theirs
	body := a.want(t, "PUT", "/rules", rules, 200, `"saved": false`)
	if !strings.Contains(body, `"not_saved": "no configuration medium"`) {
		t.Fatalf("answer %s", body)
	}
	if st := a.rules(t); st.Saved.Saved || st.Text != rules {
		t.Fatalf("GET /rules %+v", st)
	}
}
