// api.go owns the HTTP side of operating the appliance: the credential
// check in front of every endpoint but /health, and the endpoints that
// read and change the rules, the addresses and the token through Control.
//
//	GET  /health            200 "ok" (no credential needed; mgmt.go)
//	GET  /rules             the rules in force, their counters, the trial if any
//	PUT  /rules[?confirm=D] new rules (the body), at once or on trial for D
//	POST /rules/confirm     keep the rules on trial
//	POST /rules/revert      end the trial now
//	GET  /config            the address configuration (fosbury.conf)
//	PUT  /config            new addresses (the body), for the next boot
//	POST /auth/token        a new API token, in the answer only
//
// Answers are JSON. A refused change is a JSON Error: 400 with
// file:line:col messages for bad input, 409 for a trial in the way (or
// none to confirm), 413 for a body over the bound, 500 when saving failed
// (nothing changed); 401 without the right credential, 429 when the
// source has failed too often.
package mgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/fosbury-net/fosbury/mgmt/auth"
)

// Bounds of a request body. The rules' bound also bounds the time their
// compile holds the CPU (tamago does not preempt: the poll loop waits),
// which grows faster than the file: about 25 ms for 64 KiB (900 rules)
// on an amd64 host, 100 ms for 128 KiB.
const (
	MaxRulesBody  = 64 << 10
	MaxConfigBody = 64 << 10 // netstack.ParseConfig's own bound
)

// guarded passes /health to next, and every other request only with the
// right credential.
func guarded(g *auth.Guard, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			next.ServeHTTP(w, r)
			return
		}
		src, _ := netip.ParseAddrPort(r.RemoteAddr)
		switch o, retry := g.Check(src.Addr(), r.Header.Get("Authorization"), now()); o {
		case auth.Accepted:
			next.ServeHTTP(w, r)
		case auth.Limited:
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
			writeError(w, &Error{Status: http.StatusTooManyRequests,
				Msg: fmt.Sprintf("too many failed attempts from this address: try again in %.0f s", math.Ceil(retry.Seconds()))})
		default:
			w.Header().Add("WWW-Authenticate", `Bearer realm="fosbury"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="fosbury"`)
			writeError(w, &Error{Status: http.StatusUnauthorized,
				Msg: "a credential is required: Authorization: Bearer TOKEN (the console prints the token at the first boot)"})
		}
	})
}

// register adds Control's endpoints to mux.
func (c *Control) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /rules", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, c.Rules()) })
	mux.HandleFunc("PUT /rules", func(w http.ResponseWriter, r *http.Request) {
		window, err := confirmWindow(r.URL.Query().Get("confirm"))
		if err != nil {
			writeError(w, err)
			return
		}
		body, err := readBody(w, r, MaxRulesBody)
		if err != nil {
			writeError(w, err)
			return
		}
		answer(w)(c.SetRules(body, window))
	})
	mux.HandleFunc("POST /rules/confirm", func(w http.ResponseWriter, r *http.Request) { answer(w)(c.Confirm()) })
	mux.HandleFunc("POST /rules/revert", func(w http.ResponseWriter, r *http.Request) { answer(w)(c.Revert()) })
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, c.Addresses()) })
	mux.HandleFunc("PUT /config", func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, MaxConfigBody)
		if err != nil {
			writeError(w, err)
			return
		}
		answer(w)(c.SetAddresses(body))
	})
	mux.HandleFunc("POST /auth/token", func(w http.ResponseWriter, r *http.Request) { answer(w)(c.NewToken()) })
}

// confirmWindow reads ?confirm=: a Go duration ("90s", "2m") or seconds;
// SetRules checks its bounds.
func confirmWindow(q string) (time.Duration, error) {
	if q == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(q)
	if err != nil {
		n, nerr := strconv.ParseUint(q, 10, 32)
		if nerr != nil {
			return 0, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("confirm=%q is not a duration like 90s or 2m", q)}
		}
		d = time.Duration(n) * time.Second
	}
	if d == 0 {
		d = -1 // "confirm=0s" asks for a trial too: SetRules refuses the window
	}
	return d, nil
}

// readBody reads a whole request body of at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the body is over %d bytes: nothing was changed", limit)}
	case err != nil:
		return nil, &Error{Status: http.StatusBadRequest, Msg: "the body was cut short (" + err.Error() + "): nothing was changed"}
	}
	return b, nil
}

// answer writes a Control result or its error.
func answer(w http.ResponseWriter) func(Result, error) {
	return func(res Result, err error) {
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Msg: err.Error()}
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // tokens and rules are not for caches
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
