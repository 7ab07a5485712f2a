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
)

func TestStatusJSON(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0.Add(90 * time.Second)
	h := Handler(Options{
		Version: "v-test", Started: t0, Now: func() time.Time { return now },
		Collect: func(s *Status) {
			s.Ports = append(s.Ports, PortStatus{Name: "eth0", MAC: "52:54:00:12:34:56", Link: true, SpeedMbps: 100, FullDuplex: true,
				Counters: map[string]uint64{"rx_frames": 7}})
			s.Pool = map[string]uint64{"in_flight": 3}
		},
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("code %d type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var st Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version != "v-test" || st.UptimeSeconds != 90 || len(st.Ports) != 1 ||
		!st.Ports[0].Link || st.Ports[0].Counters["rx_frames"] != 7 || st.Pool["in_flight"] != 3 {
		t.Fatalf("status %+v", st)
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
