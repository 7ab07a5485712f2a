package mgmt

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/rxring"
)

func TestStatusJSON(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0.Add(90 * time.Second)
	h := Handler(Options{
		Version: "v-test", Started: t0, Now: func() time.Time { return now },
		Collect: func(s *Status) {
			p := PortStatus{Name: "eth0", MAC: "52:54:00:12:34:56", Link: enet.Link{Up: true, Speed: 100, FullDuplex: true}}
			p.Driver.RX.Frames = 7
			p.Driver.RX.Errors[rxring.CRC] = 2
			s.Ports = append(s.Ports, p)
			s.Pool.InFlight = 3
			s.Filter.Reasons[filter.ReasonDefault] = 5
		},
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("code %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// Named, not positional: counters arrays render as objects by name.
	var raw struct {
		Version       string  `json:"version"`
		UptimeSeconds float64 `json:"uptime_seconds"`
		Ports         []struct {
			Link   struct{ Up bool } `json:"link"`
			Driver struct {
				RX struct {
					Frames uint64            `json:"frames"`
					Errors map[string]uint64 `json:"errors"`
				} `json:"rx"`
			} `json:"driver"`
		} `json:"ports"`
		Pool struct {
			InFlight int `json:"in_flight"`
		} `json:"pool"`
		Filter struct {
			Reasons map[string]uint64 `json:"drop_reasons"`
		} `json:"filter"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Version != "v-test" || raw.UptimeSeconds != 90 || len(raw.Ports) != 1 || !raw.Ports[0].Link.Up ||
		raw.Ports[0].Driver.RX.Frames != 7 || raw.Ports[0].Driver.RX.Errors["crc"] != 2 || raw.Pool.InFlight != 3 ||
		raw.Filter.Reasons["default-policy"] != 5 {
		t.Fatalf("status %s", rec.Body.Bytes())
	}
	var st Status // and the typed structs read it back as they are
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Ports[0].Driver.RX.Errors[rxring.CRC] != 2 || st.Filter.Reasons[filter.ReasonDefault] != 5 || st.Ports[0].Link.Speed != 100 {
		t.Fatalf("round trip %+v", st)
	}
}

func TestMethodsAndPaths(t *testing.T) {
	h := Handler(Options{Version: "v"})
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/", 200}, {"POST", "/status", 405}, {"GET", "/nope", 404}, {"DELETE", "/", 405},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.code)
		}
	}
}

// A request with an oversized header is refused, and the server goes on.
func TestServeBoundsHeaders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go Serve(ln, Options{Version: "v"})
	url := "http://" + ln.Addr().String()
	req, _ := http.NewRequest("GET", url+"/status", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized header: %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"version": "v"`) {
		t.Fatalf("after: %d %s", resp.StatusCode, body)
	}
}

func TestPattern(t *testing.T) {
	h := Handler(Options{Version: "v"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/pattern?bytes=100000", nil))
	b := rec.Body.Bytes()
	if rec.Code != 200 || len(b) != 100000 {
		t.Fatalf("code %d, %d bytes", rec.Code, len(b))
	}
	for i, c := range b {
		if c != Pattern(i) {
			t.Fatalf("byte %d is %d, want %d", i, c, Pattern(i))
		}
	}
	if Pattern(0) == Pattern(251) || Pattern(5) == Pattern(256) {
		t.Fatal("pattern repeats too soon")
	}
	for _, q := range []string{"bytes=-1", "bytes=x", "bytes=99999999999", ""} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/pattern?"+q, nil))
		if rec.Code != 400 {
			t.Errorf("%q: code %d, want 400", q, rec.Code)
		}
	}
}
