// Package mgmt is the appliance's management plane over HTTP: `/status`
// reports uptime, link state and the counters of every layer (CPU time,
// poll loop, MAC and rings, netstack endpoint, page pool, datapath,
// filter, log, capture), the DHCP leases and the SNTP clock as JSON,
// `/metrics` the same in the Prometheus text format, `/log` the event log
// and `/capture` a packet capture; api.go and control.go read and change
// the rules, the addresses and the API token at runtime, behind the
// credential check of mgmt/auth. It serves any net.Listener (a gonet
// listener on the appliance, a loopback one in tests) and reads counters
// only through Options.Collect.
package mgmt

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/board/watchdog"
	"github.com/fosbury-net/fosbury/capture"
	"github.com/fosbury-net/fosbury/datapath"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/health"
	"github.com/fosbury-net/fosbury/mgmt/auth"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	"github.com/fosbury-net/fosbury/netstack/link"
	"github.com/fosbury-net/fosbury/netstack/sntp"
	"github.com/fosbury-net/fosbury/pagepool"
)

// PortStatus is one Ethernet port: its link and the counters of its
// driver (MAC, RX and TX rings) and of its netstack link endpoint.
type PortStatus struct {
	Name   string     `json:"name"`
	MAC    string     `json:"mac"`
	Link   enet.Link  `json:"link"`
	Driver enet.Stats `json:"driver"`
	Stack  link.Stats `json:"stack"`
	// DHCP is the port's lease, when its address comes by DHCP.
	DHCP *dhcp.Status `json:"dhcp,omitempty"`
}

// Status is the body of GET /status: every layer's counters, each as its
// layer's own typed struct, so one place names each counter (the metrics
// endpoint renders the same structs).
type Status struct {
	Version       string          `json:"version"`
	UptimeSeconds float64         `json:"uptime_seconds"`
	CPU           idle.Stats      `json:"cpu"`
	Loop          enet.LoopStats  `json:"poll_loop"`
	Ports         []PortStatus    `json:"ports"`
	Pool          pagepool.Stats  `json:"pool"`
	Datapath      datapath.Stats  `json:"datapath"`
	Filter        filter.Snapshot `json:"filter"`
	Log           eventlog.Stats  `json:"log"`
	Capture       capture.Stats   `json:"capture"`
	// Auth counts the API's credential checks (mgmt/auth).
	Auth auth.Stats `json:"auth"`
	// Reset is why the SoC last reset, as read at boot.
	Reset watchdog.ResetCause `json:"reset"`
	// Watchdog is the hardware watchdog and the monitor feeding it.
	Watchdog WatchdogStatus `json:"watchdog"`
	// Clock says whether SNTP has set the wall clock, and when.
	Clock sntp.Status `json:"clock"`
}

// WatchdogStatus is the armed time-out and the liveness of every source.
type WatchdogStatus struct {
	TimeoutSeconds float64 `json:"timeout_seconds"`
	health.Status
}

// Options configures the server.
type Options struct {
	Version string
	// Started is the boot time on the Now clock.
	Started time.Time
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Collect fills the counters of a Status; it is called once per
	// request and must not keep the Status. It may reuse the storage of
	// st.Ports and st.Filter.Rules (append to them from [:0]).
	Collect func(*Status)
	// Log serves GET /log (nil: 404).
	Log *eventlog.Log
	// Capture serves GET /capture (nil: 404); Filter compiles its match
	// expressions and Ports names the ports by index.
	Capture *capture.Tap
	Filter  *filter.Engine
	Ports   []string
	// Control serves the rules, configuration and token endpoints
	// (api.go), and its Guard checks every request but /health. Nil (in
	// tests only): no such endpoints, and no credential asked.
	Control *Control
}

// Handler returns the management HTTP handler.
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	status := func() *Status {
		st := &Status{}
		collect(o, st)
		return st
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(status())
	})
	// /health needs no credential and shows nothing, but it gathers what
	// /status does: it answers only while that path works (the watchdog
	// probes it).
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		status()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /metrics", metricsHandler(o))
	mux.HandleFunc("GET /pattern", servePattern)
	if o.Log != nil {
		mux.HandleFunc("GET /log", logHandler(o.Log))
	}
	if o.Capture != nil && o.Filter != nil {
		mux.HandleFunc("GET /capture", captureHandler(o))
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("fosbury " + o.Version + "\n" + endpoints))
	})
	if o.Control == nil {
		return mux
	}
	o.Control.register(mux)
	return guarded(o.Control.Guard(), o.Now, mux)
}

// collect fills st for /status and /metrics, reusing the storage of its
// Ports and Filter.Rules.
func collect(o Options, st *Status) {
	ports, rules := st.Ports[:0], st.Filter.Rules[:0]
	*st = Status{Version: o.Version, UptimeSeconds: o.Now().Sub(o.Started).Seconds(), Ports: ports}
	st.Filter.Rules = rules
	if o.Collect != nil {
		o.Collect(st)
	}
	if o.Control != nil {
		st.Auth = o.Control.Guard().Stats()
	}
}

// endpoints is the index GET / shows.
const endpoints = `GET /status    counters as JSON
GET /metrics   the same, in the Prometheus text format
GET /log       recent log lines (?follow=1 streams new ones, ?lines=N)
GET /capture   a pcap of received frames (?port=lan&count=N&seconds=S
               &match=EXPR&verdict=drop|pass&snap=N&format=pcap|pcapng)
`

// metricsHandler renders /metrics from one reused Status and buffer:
// scrapes take turns, and allocate nothing of their own in steady state.
func metricsHandler(o Options) http.HandlerFunc {
	var mu sync.Mutex
	var st Status
	var buf []byte
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		collect(o, &st)
		buf = appendMetrics(buf[:0], &st)
		w.Header().Set("Content-Type", metricsContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
		w.Write(buf)
	}
}

// Serve answers HTTP on ln until it is closed. Requests are bounded in
// header size and time, so a slow or hostile client cannot hold the
// appliance's memory.
func Serve(ln net.Listener, o Options) error {
	srv := &http.Server{
		Handler:           Handler(o),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
	return srv.Serve(ln)
}

// MaxPattern bounds one /pattern response.
const MaxPattern = 64 << 20

// Pattern is byte i of a /pattern response: a sequence that a dropped,
// repeated or reordered segment cannot imitate (it repeats every 251*256).
func Pattern(i int) byte { return byte(i%251) ^ byte(i/251) }

// servePattern streams Pattern, so a client can check a long TCP transfer
// byte for byte without the appliance holding it in memory.
func servePattern(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
	if err != nil || n < 0 || n > MaxPattern {
		http.Error(w, "bytes must be 0.."+strconv.Itoa(MaxPattern), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	sw := newStallWriter(w)
	var buf [4096]byte
	for off := 0; off < n; {
		k := min(len(buf), n-off)
		for i := 0; i < k; i++ {
			buf[i] = Pattern(off + i)
		}
		if _, err := sw.Write(buf[:k]); err != nil {
			return
		}
		off += k
	}
}
