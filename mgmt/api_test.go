// The API over HTTP: every endpoint but /health wants the token, a
// brute-force loop is limited, bad input gets a clear status and changes
// nothing, and a change and its trial go through as in control_test.go.
package mgmt

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type api struct {
	t   *testing.T
	b   *box
	h   http.Handler
	tok string
}

func newAPI(t *testing.T) *api {
	b := newBox(t, defaults())
	tok, _ := b.ctl.FirstToken()
	if tok == "" {
		t.Fatal("no first token")
	}
	return &api{t: t, b: b, tok: tok, h: Handler(Options{Version: "v", Now: b.clk.Now, Control: b.ctl})}
}

// do sends a request from src with authz (the token when "token").
func (a *api) do(method, path, authz, body, src string) *httptest.ResponseRecorder {
	a.t.Helper()
	if authz == "token" {
		authz = "Bearer " + a.tok
	}
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = src
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w
}

func (a *api) want(w *httptest.ResponseRecorder, code int, substr string) {
	a.t.Helper()
	if w.Code != code || !strings.Contains(w.Body.String(), substr) {
		a.t.Fatalf("%d %s, want %d containing %q", w.Code, w.Body, code, substr)
	}
}

const op = "10.0.2.2:40000"

func TestEveryEndpointButHealthWantsTheToken(t *testing.T) {
	a := newAPI(t)
	a.want(a.do("GET", "/health", "", "", op), 200, "ok")
	gen := a.b.eng.Snapshot().Generation
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/", ""}, {"GET", "/status", ""}, {"GET", "/pattern?bytes=10", ""}, {"GET", "/rules", ""},
		{"PUT", "/rules", lockout}, {"PUT", "/rules?confirm=60s", lockout}, {"POST", "/rules/confirm", ""},
		{"POST", "/rules/revert", ""}, {"GET", "/config", ""}, {"PUT", "/config", addrs}, {"POST", "/auth/token", ""},
		{"GET", "/nope", ""}, {"DELETE", "/rules", ""},
	} {
		w := a.do(c.method, c.path, "", c.body, op)
		a.want(w, 401, "a credential is required")
		if h := w.Header().Values("WWW-Authenticate"); len(h) != 2 || !strings.HasPrefix(h[0], "Bearer") {
			t.Errorf("%s %s: WWW-Authenticate %q", c.method, c.path, h)
		}
	}
	if a.b.eng.Snapshot().Generation != gen || a.b.ctl.Rules().Pending != nil || !a.b.pings() {
		t.Fatal("an unauthenticated request changed the rules")
	}
	// With the token, as a bearer or as basic authentication's password.
	a.want(a.do("GET", "/status", "token", "", op), 200, `"accepted": 1`)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("fosbury:"+a.tok))
	a.want(a.do("GET", "/rules", basic, "", op), 200, `"text": "pass inet proto icmp`)
	a.want(a.do("GET", "/nope", "token", "", op), 404, "")
	a.want(a.do("DELETE", "/rules", "token", "", op), 405, "")
}

func TestBruteForceIsLimited(t *testing.T) {
	a := newAPI(t)
	const attacker = "[fd00::66]:5555"
	var codes []int
	for i := 0; i < 20; i++ {
		w := a.do("PUT", "/rules", fmt.Sprintf("Bearer guess-%d", i), lockout, attacker)
		codes = append(codes, w.Code)
		if w.Code == 429 && w.Header().Get("Retry-After") != "10" {
			t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
		}
	}
	want := "[401 401 401 401 401" + strings.Repeat(" 429", 15) + "]"
	if fmt.Sprint(codes) != want {
		t.Fatalf("codes %v, want %s", codes, want)
	}
	// The right token from the attacker's /64 is refused too, the operator
	// is not affected, and /status counts it all.
	a.want(a.do("GET", "/rules", "token", "", "[fd00::67]:1"), 429, "too many failed attempts")
	w := a.do("GET", "/status", "token", "", op)
	var st Status
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != 200 {
		t.Fatalf("%d %v", w.Code, err)
	}
	if s := st.Auth; s.Failed != 5 || s.Limited != 16 || s.Accepted != 1 || s.Sources != 1 {
		t.Fatalf("auth counters %+v", s)
	}
	if a.b.ctl.Rules().Text != baseRules {
		t.Fatal("the brute force changed the rules")
	}
	a.b.clk.advance(10 * time.Second)
	a.want(a.do("GET", "/rules", "token", "", "[fd00::67]:1"), 200, "counters")
}

func TestRuleChangeOverHTTP(t *testing.T) {
	a := newAPI(t)
	gen := a.b.ctl.Rules().Generation
	w := a.do("PUT", "/rules", "token", badRules, op)
	a.want(w, 400, `"fosbury.rules:2:6: `)
	var e Error
	json.Unmarshal(w.Body.Bytes(), &e)
	if e.Msg != "rules rejected, nothing was changed" || len(e.Details) != 1 {
		t.Fatalf("error body %s", w.Body)
	}
	a.want(a.do("PUT", "/rules?confirm=soon", "token", noPing, op), 400, `confirm=\"soon\" is not a duration`)
	a.want(a.do("PUT", "/rules?confirm=0", "token", noPing, op), 400, "confirm window")
	a.want(a.do("PUT", "/rules", "token", strings.Repeat("# pad\n", MaxRulesBody/6+1), op), 413, "over 65536 bytes")
	a.want(a.do("PUT", "/config", "token", strings.Repeat("#", MaxConfigBody+1), op), 413, "over 65536 bytes")
	a.want(a.do("PUT", "/config", "token", "port lan address x\nhttp 80\n", op), 400, `fosbury.conf:1:18: `)
	if !a.b.pings() || a.b.ctl.Rules().Generation != gen {
		t.Fatal("refused input changed the rules")
	}

	a.want(a.do("PUT", "/rules?confirm=90", "token", noPing, op), 200, `"remaining_seconds": 90`)
	a.want(a.do("PUT", "/rules?confirm=90s", "token", lockout, op), 409, "waiting for its confirmation")
	a.want(a.do("GET", "/rules", "token", "", op), 200, `"confirm": "POST /rules/confirm"`)
	a.want(a.do("POST", "/rules/confirm", "token", "", op), 200, `"saved": true`)
	a.want(a.do("POST", "/rules/confirm", "token", "", op), 409, "no rule change is waiting")
	if a.b.pings() || string(a.b.stored().Rules) != noPing {
		t.Fatal("the confirmed rules are not in force and saved")
	}
	a.want(a.do("PUT", "/rules", "token", baseRules, op), 200, `"sequence": 4`)
	a.want(a.do("GET", "/config", "token", "", op), 200, `"text": "port lan address 10.0.2.15/24\nhttp 80\n"`)

	w = a.do("POST", "/auth/token", "token", "", op)
	var r Result
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || w.Code != 200 || r.Token == "" || r.Token == a.tok {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	a.want(a.do("GET", "/rules", "token", "", op), 401, "")
	a.want(a.do("GET", "/rules", "Bearer "+r.Token, "", op), 200, "")
}

// A body cut short (the client promised more and hung up) is refused and
// changes nothing.
func TestTruncatedBody(t *testing.T) {
	a := newAPI(t)
	srv := httptest.NewServer(a.h)
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "PUT /rules HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n%s", a.tok, lockout)
	c.(*net.TCPConn).CloseWrite()
	c.SetDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "cut short") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if !a.b.pings() || a.b.ctl.Rules().Text != baseRules {
		t.Fatal("a truncated upload changed the rules")
	}
}

// Any request: no panic, a JSON answer for the API's paths, and without
// the token never a change of the rules; with it, a rule upload is
// either in force (200) or refused with nothing changed (400, 413).
func FuzzAPI(f *testing.F) {
	f.Add("PUT", "/rules", "", lockout, false)
	f.Add("PUT", "/rules", "confirm=90s", noPing, true)
	f.Add("PUT", "/rules", "confirm=-5", badRules, true)
	f.Add("PUT", "/config", "", "port lan address 10.0.0.1/8\nhttp 1\n", true)
	f.Add("POST", "/rules/confirm", "", "", true)
	f.Fuzz(func(t *testing.T, method, path, query, body string, withToken bool) {
		a := newAPI(t)
		gen := a.b.ctl.Rules().Generation
		u := "http://appliance" + path
		if query != "" {
			u += "?" + query
		}
		r, err := http.NewRequest(method, u, strings.NewReader(body))
		if err != nil || r.URL.Path != path {
			return // not a request a client could send
		}
		r.RemoteAddr = op
		if withToken {
			r.Header.Set("Authorization", "Bearer "+a.tok)
		}
		w := httptest.NewRecorder()
		a.h.ServeHTTP(w, r)
		changed := a.b.ctl.Rules().Generation != gen
		switch {
		case !withToken && path != "/health" && w.Code != 401:
			t.Fatalf("%s %s without the token: %d", method, path, w.Code)
		case !withToken && changed:
			t.Fatal("the rules changed without the token")
		case w.Code >= 500:
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		case w.Code != 200 && changed:
			t.Fatalf("%s %s: %d, yet the rules changed", method, path, w.Code)
		}
	})
}

// /health needs no token, shows no counters, and goes through Collect, so
// a hung status path hangs it too (the watchdog probes it).
func TestHealthGathersStatus(t *testing.T) {
	a := newAPI(t)
	calls := 0
	a.h = Handler(Options{Version: "v", Now: a.b.clk.Now, Control: a.b.ctl, Collect: func(*Status) { calls++ }})
	a.want(a.do("GET", "/health", "", "", op), 200, "ok\n")
	if calls != 1 {
		t.Fatalf("/health called Collect %d times", calls)
	}
	a.want(a.do("POST", "/health", "", "", op), 405, "")
	a.want(a.do("GET", "/healthz", "", "", op), 401, "")
}
