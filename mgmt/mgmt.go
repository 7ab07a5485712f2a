// Package mgmt is the appliance's management plane over HTTP: `/status`
// reports uptime, link state and the counters of every layer (CPU time,
// poll loop, MAC and rings, netstack endpoint, page pool, datapath,
// filter), the DHCP leases and the SNTP clock as JSON; api.go and
// control.go read and change the rules, the addresses and the API token
// at runtime, behind the credential check of mgmt/auth. It serves any net.Listener (a gonet listener on the
// appliance, a loopback one in tests) and reads counters only through
// Options.Collect.
package mgmt

import (
	"encoding/json"

	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/board/watchdog"
	"github.com/fosbury-net/fosbury/datapath"
	"github.com/fosbury-net/fosbury/enet"
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
	// request and must not keep the Status.
	Collect func(*Status)
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
		st := &Status{Version: o.Version, UptimeSeconds: o.Now().Sub(o.Started).Seconds()}
		if o.Collect != nil {
			o.Collect(st)
		}
		if o.Control != nil {
			st.Auth = o.Control.Guard().Stats()
		}
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
	mux.HandleFunc("GET /pattern", servePattern)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("fosbury " + o.Version + "\nGET /status for counters as JSON\n"))
	})
	if o.Control == nil {
		return mux
	}
	o.Control.register(mux)
	return guarded(o.Control.Guard(), o.Now, mux)
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

// writeStall is how long a /pattern client may take to accept 4 KiB.
const writeStall = 10 * time.Second

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
	// The server's WriteTimeout bounds a whole response; a long transfer
	// instead gets a deadline that moves with its progress, so only a
	// stalled client is cut off.
	rc := http.NewResponseController(w)
	var buf [4096]byte
	for off := 0; off < n; {
		rc.SetWriteDeadline(time.Now().Add(writeStall))
		k := min(len(buf), n-off)
		for i := 0; i < k; i++ {
			buf[i] = Pattern(off + i)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		off += k
	}
}
