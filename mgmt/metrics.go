// metrics.go renders a Status in the Prometheus text exposition format
// (version 0.0.4): one family per counter or gauge, each with HELP and
// TYPE, counters ending in _total, units in the names (_bytes,
// _seconds), labels port, class, verdict, reason, rule, proto where they
// apply. It reads the same typed structs as /status, so one place names
// each counter; metrics_test.go checks that every field of Status moves
// some sample. Rendering appends to one reused buffer: no allocation per
// scrape beyond it.

package mgmt

import (
	"runtime"
	"strconv"
	"time"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	"github.com/fosbury-net/fosbury/rxring"
)

// metricsContentType is what Prometheus expects for format 0.0.4.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

type prom struct{ b []byte }

func (p *prom) head(name, typ, help string) {
	p.b = append(p.b, "# HELP "...)
	p.b = append(p.b, name...)
	p.b = append(p.b, ' ')
	p.b = append(p.b, help...)
	p.b = append(p.b, "\n# TYPE "...)
	p.b = append(p.b, name...)
	p.b = append(p.b, ' ')
	p.b = append(p.b, typ...)
	p.b = append(p.b, '\n')
}

// sample writes one line; kv are label name, value pairs.
func (p *prom) sample(name string, v float64, kv ...string) {
	p.b = append(p.b, name...)
	if len(kv) > 0 {
		p.b = append(p.b, '{')
		for i := 0; i+1 < len(kv); i += 2 {
			if i > 0 {
				p.b = append(p.b, ',')
			}
			p.b = append(p.b, kv[i]...)
			p.b = append(p.b, `="`...)
			p.b = appendLabelValue(p.b, kv[i+1])
			p.b = append(p.b, '"')
		}
		p.b = append(p.b, '}')
	}
	p.b = append(p.b, ' ')
	p.b = strconv.AppendFloat(p.b, v, 'f', -1, 64)
	p.b = append(p.b, '\n')
}

// Samples whose label values are addresses are written label by label,
// the addresses appended in place: open, label or addrLabel, close.
func (p *prom) open(name string) {
	p.b = append(p.b, name...)
	p.b = append(p.b, '{')
}

func (p *prom) label(k, v string) {
	if p.b[len(p.b)-1] != '{' {
		p.b = append(p.b, ',')
	}
	p.b = append(p.b, k...)
	p.b = append(p.b, `="`...)
	p.b = appendLabelValue(p.b, v)
	p.b = append(p.b, '"')
}

// addrLabel appends a netip value's text (which needs no escape).
func addrLabel[T interface{ AppendTo([]byte) []byte }](p *prom, k string, v T) {
	p.label(k, "")
	p.b = v.AppendTo(p.b[:len(p.b)-1])
	p.b = append(p.b, '"')
}

func (p *prom) close(v float64) {
	p.b = append(p.b, "} "...)
	p.b = strconv.AppendFloat(p.b, v, 'f', -1, 64)
	p.b = append(p.b, '\n')
}

// ruleSample is a sample of rule i: labels rule (its index, as in the
// log and /status), line and label.
func (p *prom) ruleSample(name string, v float64, i int, r *filter.RuleCounters) {
	p.b = append(p.b, name...)
	p.b = append(p.b, `{rule="`...)
	p.b = strconv.AppendInt(p.b, int64(i), 10)
	p.b = append(p.b, `",line="`...)
	p.b = strconv.AppendInt(p.b, int64(r.Line), 10)
	p.b = append(p.b, `",label="`...)
	p.b = appendLabelValue(p.b, r.Label)
	p.b = append(p.b, `"} `...)
	p.b = strconv.AppendFloat(p.b, v, 'f', -1, 64)
	p.b = append(p.b, '\n')
}

// one is a family with a single sample.
func (p *prom) one(name, typ, help string, v float64) {
	p.head(name, typ, help)
	p.sample(name, v)
}

// appendLabelValue escapes \, " and newline (exposition format 0.0.4).
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendHex appends v as 0x followed by hex digits.
func appendHex(b []byte, v uint64) []byte {
	return strconv.AppendUint(append(b, "0x"...), v, 16)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

const (
	counter = "counter"
	gauge   = "gauge"
)

// portMetric is a per-port family with the one label port.
type portMetric struct {
	name, typ, help string
	get             func(*PortStatus) float64
}

var portMetrics = []portMetric{
	{"fosbury_link_up", gauge, "1 if the port's PHY reports link.", func(p *PortStatus) float64 { return b2f(p.Link.Up) }},
	{"fosbury_link_speed_bytes", gauge, "Link speed in bytes per second (0 when down).", func(p *PortStatus) float64 { return float64(p.Link.Speed) * 1e6 / 8 }},
	{"fosbury_link_full_duplex", gauge, "1 if the link is full duplex.", func(p *PortStatus) float64 { return b2f(p.Link.FullDuplex) }},
	{"fosbury_link_pause", gauge, "1 if both ends advertised symmetric PAUSE.", func(p *PortStatus) float64 { return b2f(p.Link.Pause) }},

	{"fosbury_mac_interrupts_total", counter, "ENET interrupts serviced.", func(p *PortStatus) float64 { return float64(p.Driver.Interrupts) }},
	{"fosbury_mac_spurious_interrupts_total", counter, "ENET interrupts with no enabled event.", func(p *PortStatus) float64 { return float64(p.Driver.Spurious) }},
	{"fosbury_mac_polls_total", counter, "Poll passes over the port's rings.", func(p *PortStatus) float64 { return float64(p.Driver.Polls) }},
	{"fosbury_mac_budget_exhausted_total", counter, "Poll passes that used the whole frame budget.", func(p *PortStatus) float64 { return float64(p.Driver.BudgetExhausted) }},
	{"fosbury_mac_link_changes_total", counter, "Link up/down transitions seen.", func(p *PortStatus) float64 { return float64(p.Driver.LinkChanges) }},
	{"fosbury_mac_restarts_total", counter, "MAC restarts for a new speed or duplex.", func(p *PortStatus) float64 { return float64(p.Driver.Restarts) }},
	{"fosbury_mac_restart_failures_total", counter, "MAC restarts that left the MAC stopped.", func(p *PortStatus) float64 { return float64(p.Driver.RestartFailures) }},
	{"fosbury_mdio_transactions_total", counter, "MDIO transactions on the port's bus.", func(p *PortStatus) float64 { return float64(p.Driver.MDIOTransactions) }},
	{"fosbury_mdio_timeouts_total", counter, "MDIO transactions that timed out.", func(p *PortStatus) float64 { return float64(p.Driver.MDIOTimeouts) }},

	{"fosbury_rx_frames_total", counter, "Good frames received (lent to the datapath).", func(p *PortStatus) float64 { return float64(p.Driver.RX.Frames) }},
	{"fosbury_rx_bytes_total", counter, "Bytes of good frames received.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Bytes) }},
	{"fosbury_rx_refill_failed_total", counter, "Frames dropped because no page was free for the refill.", func(p *PortStatus) float64 { return float64(p.Driver.RX.RefillFail) }},
	{"fosbury_rx_continued_total", counter, "Later buffers of frames longer than one buffer, dropped with them.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Continued) }},
	{"fosbury_rx_flips_total", counter, "Refills with the other half of the page.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Flips) }},
	{"fosbury_rx_reuses_total", counter, "Refills with the same half page.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Reuses) }},
	{"fosbury_rx_fresh_pages_total", counter, "Refills with a fresh page (both halves held elsewhere).", func(p *PortStatus) float64 { return float64(p.Driver.RX.FreshPages) }},
	{"fosbury_rx_abandoned_total", counter, "Completed descriptors dropped by a ring reset.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Abandoned) }},
	{"fosbury_rx_doorbells_total", counter, "RDAR writes.", func(p *PortStatus) float64 { return float64(p.Driver.RX.Doorbells) }},
	{"fosbury_rx_cpu_lines_total", counter, "Cache lines invalidated for the CPU.", func(p *PortStatus) float64 { return float64(p.Driver.RX.CPULines) }},
	{"fosbury_rx_device_lines_total", counter, "Cache lines cleaned for the device on refill.", func(p *PortStatus) float64 { return float64(p.Driver.RX.DevLines) }},

	{"fosbury_tx_ref_frames_total", counter, "Frames queued by reference (forwarded, zero copy).", func(p *PortStatus) float64 { return float64(p.Driver.TX.RefFrames) }},
	{"fosbury_tx_built_frames_total", counter, "Frames built in a lent TX buffer.", func(p *PortStatus) float64 { return float64(p.Driver.TX.BuiltFrames) }},
	{"fosbury_tx_built_bytes_total", counter, "Bytes of frames built in a lent TX buffer.", func(p *PortStatus) float64 { return float64(p.Driver.TX.BuiltBytes) }},
	{"fosbury_tx_unfilled_total", counter, "TX loans whose fill sent nothing.", func(p *PortStatus) float64 { return float64(p.Driver.TX.Unfilled) }},
	{"fosbury_tx_completed_total", counter, "TX descriptors reclaimed.", func(p *PortStatus) float64 { return float64(p.Driver.TX.Completed) }},
	{"fosbury_tx_errors_total", counter, "TX descriptors the device reported failed.", func(p *PortStatus) float64 { return float64(p.Driver.TX.TxErrors) }},
	{"fosbury_tx_abandoned_total", counter, "Frames dropped unsent by a ring reset.", func(p *PortStatus) float64 { return float64(p.Driver.TX.Abandoned) }},
	{"fosbury_tx_doorbells_total", counter, "TDAR writes.", func(p *PortStatus) float64 { return float64(p.Driver.TX.Doorbells) }},
	{"fosbury_tx_device_lines_total", counter, "Cache lines cleaned for the device.", func(p *PortStatus) float64 { return float64(p.Driver.TX.DevLines) }},

	{"fosbury_netstack_rx_frames_total", counter, "Frames delivered to the netstack.", func(p *PortStatus) float64 { return float64(p.Stack.RxFrames) }},
	{"fosbury_netstack_rx_bytes_total", counter, "Bytes delivered to the netstack.", func(p *PortStatus) float64 { return float64(p.Stack.RxBytes) }},
	{"fosbury_netstack_rx_dropped_total", counter, "Frames the netstack endpoint dropped on receive.", func(p *PortStatus) float64 { return float64(p.Stack.RxDropped) }},
	{"fosbury_netstack_tx_frames_total", counter, "Frames the netstack sent.", func(p *PortStatus) float64 { return float64(p.Stack.TxFrames) }},
	{"fosbury_netstack_tx_bytes_total", counter, "Bytes the netstack sent.", func(p *PortStatus) float64 { return float64(p.Stack.TxBytes) }},
	{"fosbury_netstack_tx_dropped_total", counter, "Frames the netstack could not send (ring full, above the MTU).", func(p *PortStatus) float64 { return float64(p.Stack.TxDropped) }},
	{"fosbury_netstack_tx_batches_total", counter, "Doorbells the netstack endpoint rang.", func(p *PortStatus) float64 { return float64(p.Stack.TxBatches) }},
}

// macErrors are the EIR error events (IMX6ULRM 22.5.1) by class.
var macErrors = []struct {
	class string
	get   func(*enet.Stats) uint64
}{
	{"babbling_rx", func(s *enet.Stats) uint64 { return s.BabblingRx }},
	{"babbling_tx", func(s *enet.Stats) uint64 { return s.BabblingTx }},
	{"bus_error", func(s *enet.Stats) uint64 { return s.BusError }},
	{"late_collision", func(s *enet.Stats) uint64 { return s.LateCollision }},
	{"retry_limit", func(s *enet.Stats) uint64 { return s.RetryLimit }},
	{"underrun", func(s *enet.Stats) uint64 { return s.Underrun }},
	{"payload_error", func(s *enet.Stats) uint64 { return s.PayloadError }},
}

// txRefused are enqueues the TX ring refused, by reason.
var txRefused = []struct {
	reason string
	get    func(*PortStatus) uint64
}{
	{"ring_full", func(p *PortStatus) uint64 { return p.Driver.TX.Full }},
	{"no_page", func(p *PortStatus) uint64 { return p.Driver.TX.NoPage }},
	{"bad_buffer", func(p *PortStatus) uint64 { return p.Driver.TX.BadBuf }},
}

// rxVerdicts are the datapath's verdicts as the RX ring counted them.
var rxVerdicts = []struct {
	verdict string
	get     func(*PortStatus) uint64
}{
	{"drop", func(p *PortStatus) uint64 { return p.Driver.RX.Drop }},
	{"forward", func(p *PortStatus) uint64 { return p.Driver.RX.Forward }},
	{"local", func(p *PortStatus) uint64 { return p.Driver.RX.Local }},
}

// statusMetrics are the families of one sample, read from Status.
var statusMetrics = []struct {
	name, typ, help string
	get             func(*Status) float64
}{
	{"fosbury_uptime_seconds", gauge, "Time since boot.", func(s *Status) float64 { return s.UptimeSeconds }},
	{"fosbury_poll_drains_total", counter, "Wakeups of the poll loop served.", func(s *Status) float64 { return float64(s.Loop.Drains) }},
	{"fosbury_poll_passes_total", counter, "Poll passes over every port.", func(s *Status) float64 { return float64(s.Loop.Passes) }},
	{"fosbury_poll_busy_seconds_total", counter, "Time the poll loop spent draining the rings.", func(s *Status) float64 { return float64(s.Loop.BusyNS) / 1e9 }},
	{"fosbury_pool_pages", gauge, "DMA pages in the pool.", func(s *Status) float64 { return float64(s.Pool.Pages) }},
	{"fosbury_pool_pages_in_flight", gauge, "DMA pages with at least one reference.", func(s *Status) float64 { return float64(s.Pool.InFlight) }},
	{"fosbury_pool_fresh_total", counter, "Pages handed out.", func(s *Status) float64 { return float64(s.Pool.Fresh) }},
	{"fosbury_pool_recycled_total", counter, "Pages returned at their last reference.", func(s *Status) float64 { return float64(s.Pool.Recycled) }},
	{"fosbury_pool_exhausted_total", counter, "Page requests that found the pool empty.", func(s *Status) float64 { return float64(s.Pool.Exhausted) }},
	{"fosbury_pool_bad_unref_total", counter, "References dropped on free or unknown pages (a bug, ignored).", func(s *Status) float64 { return float64(s.Pool.BadUnref) }},
	{"fosbury_datapath_local_total", counter, "Frames delivered to the netstack.", func(s *Status) float64 { return float64(s.Datapath.Local) }},
	{"fosbury_datapath_forwarded_total", counter, "Frames queued on another port by reference.", func(s *Status) float64 { return float64(s.Datapath.Forwarded) }},
	{"fosbury_datapath_flooded_total", counter, "Broadcast and multicast frames sent to every port.", func(s *Status) float64 { return float64(s.Datapath.Flooded) }},
	{"fosbury_datapath_dropped_total", counter, "Frames dropped: filter drops, runts, no local receiver.", func(s *Status) float64 { return float64(s.Datapath.Dropped) }},
	{"fosbury_datapath_rejected_total", counter, "Frames answered with a reject reply.", func(s *Status) float64 { return float64(s.Datapath.Rejected) }},
	{"fosbury_datapath_forward_errors_total", counter, "Forwards the TX ring refused.", func(s *Status) float64 { return float64(s.Datapath.ForwardErrors) }},
	{"fosbury_datapath_reject_errors_total", counter, "Reject replies not built or not queued.", func(s *Status) float64 { return float64(s.Datapath.RejectErrors) }},
	{"fosbury_log_lines_total", counter, "Log lines recorded.", func(s *Status) float64 { return float64(s.Log.Lines) }},
	{"fosbury_syslog_sent_total", counter, "Syslog datagrams sent.", func(s *Status) float64 { return float64(s.Log.SyslogSent) }},
	{"fosbury_syslog_errors_total", counter, "Log lines not sent to syslog.", func(s *Status) float64 { return float64(s.Log.SyslogErrors) }},
	{"fosbury_auth_sources", gauge, "Client sources in the credential check's table.", func(s *Status) float64 { return float64(s.Auth.Sources) }},
	{"fosbury_auth_evicted_total", counter, "Sources pushed out of the full table.", func(s *Status) float64 { return float64(s.Auth.Evicted) }},
	{"fosbury_watchdog_timeout_seconds", gauge, "The hardware watchdog's time-out.", func(s *Status) float64 { return s.Watchdog.TimeoutSeconds }},
	{"fosbury_watchdog_ready", gauge, "1 once every probed source has answered.", func(s *Status) float64 { return b2f(s.Watchdog.Ready) }},
	{"fosbury_watchdog_feeding", gauge, "1 while the monitor feeds the watchdog.", func(s *Status) float64 { return b2f(s.Watchdog.Feeding) }},
	{"fosbury_watchdog_feeds_total", counter, "Watchdog feeds.", func(s *Status) float64 { return float64(s.Watchdog.Feeds) }},
	{"fosbury_watchdog_missed_total", counter, "Periods without a feed: a source had not answered.", func(s *Status) float64 { return float64(s.Watchdog.Missed) }},
	{"fosbury_watchdog_deadline_seconds", gauge, "How long a source may go without answering.", func(s *Status) float64 { return s.Watchdog.Deadline }},
	{"fosbury_clock_synced", gauge, "1 once SNTP has set the wall clock.", func(s *Status) float64 { return b2f(s.Clock.Synced) }},
	{"fosbury_clock_offset_seconds", gauge, "The last step SNTP made.", func(s *Status) float64 { return s.Clock.Offset.Seconds() }},
	{"fosbury_clock_rtt_seconds", gauge, "Round trip of the last accepted SNTP reply.", func(s *Status) float64 { return s.Clock.RTT.Seconds() }},
	{"fosbury_clock_stratum", gauge, "Stratum of the server last used.", func(s *Status) float64 { return float64(s.Clock.Stratum) }},
	{"fosbury_sntp_queries_total", counter, "SNTP queries sent.", func(s *Status) float64 { return float64(s.Clock.Queries) }},
	{"fosbury_sntp_accepted_total", counter, "SNTP replies accepted.", func(s *Status) float64 { return float64(s.Clock.Accepted) }},
	{"fosbury_sntp_rejected_total", counter, "SNTP replies that failed a check (kisses of death included).", func(s *Status) float64 { return float64(s.Clock.Rejected) }},
	{"fosbury_sntp_kisses_of_death_total", counter, "SNTP kiss-of-death replies.", func(s *Status) float64 { return float64(s.Clock.Kisses) }},
	{"fosbury_sntp_failed_total", counter, "SNTP queries without a reply in time, or not sent.", func(s *Status) float64 { return float64(s.Clock.Failed) }},
	{"fosbury_capture_sessions_total", counter, "Packet captures started.", func(s *Status) float64 { return float64(s.Capture.Sessions) }},
	{"fosbury_capture_refused_total", counter, "Packet captures refused: one was running.", func(s *Status) float64 { return float64(s.Capture.Refused) }},
	{"fosbury_capture_frames_total", counter, "Frames written to capture clients.", func(s *Status) float64 { return float64(s.Capture.Frames) }},
	{"fosbury_capture_bytes_total", counter, "Frame bytes written to capture clients.", func(s *Status) float64 { return float64(s.Capture.Bytes) }},
	{"fosbury_capture_lost_total", counter, "Selected frames not captured: the reference budget was full.", func(s *Status) float64 { return float64(s.Capture.Lost) }},
	{"fosbury_capture_refs_held", gauge, "Frame references a capture holds now.", func(s *Status) float64 { return float64(s.Capture.Held) }},
	{"fosbury_capture_active", gauge, "1 while a capture runs.", func(s *Status) float64 { return b2f(s.Capture.Active) }},
	{"fosbury_filter_generation", gauge, "Generation of the rules in force (increments with each install).", func(s *Status) float64 { return float64(s.Filter.Generation) }},
	{"fosbury_filter_replies_total", counter, "Reject replies asked for.", func(s *Status) float64 { return float64(s.Filter.Replies) }},
	{"fosbury_filter_replies_limited_total", counter, "Rejects left unanswered by the reply rate limit.", func(s *Status) float64 { return float64(s.Filter.RepliesLimited) }},
	{"fosbury_filter_reloads_total", counter, "Rule sets installed.", func(s *Status) float64 { return float64(s.Filter.Reloads) }},
	{"fosbury_filter_reload_errors_total", counter, "Rule sets refused.", func(s *Status) float64 { return float64(s.Filter.ReloadErrors) }},
	{"fosbury_conntrack_entries", gauge, "State table entries in use (expired ones until reclaimed).", func(s *Status) float64 { return float64(s.Filter.States) }},
	{"fosbury_conntrack_mgmt_entries", gauge, "State table entries of management traffic.", func(s *Status) float64 { return float64(s.Filter.MgmtStates) }},
	{"fosbury_conntrack_entries_limit", gauge, "State table capacity.", func(s *Status) float64 { return float64(s.Filter.StateLimit) }},
	{"fosbury_conntrack_mgmt_reserve", gauge, "Entries only management traffic may use.", func(s *Status) float64 { return float64(s.Filter.MgmtReserve) }},
	{"fosbury_conntrack_created_total", counter, "States created.", func(s *Status) float64 { return float64(s.Filter.StatesCreated) }},
	{"fosbury_conntrack_purged_total", counter, "States removed by a reload's re-check.", func(s *Status) float64 { return float64(s.Filter.StatesPurged) }},
	{"fosbury_conntrack_related_total", counter, "ICMP errors passed for a state.", func(s *Status) float64 { return float64(s.Filter.Related) }},
}

// appendMetrics renders st.
func appendMetrics(b []byte, st *Status) []byte {
	p := prom{b: b}
	p.head("fosbury_build_info", gauge, "Always 1; the firmware version and Go release as labels.")
	p.sample("fosbury_build_info", 1, "version", st.Version, "goversion", runtime.Version())
	for _, m := range statusMetrics {
		p.head(m.name, m.typ, m.help)
		p.sample(m.name, m.get(st))
	}

	p.head("fosbury_cpu_seconds_total", counter, "CPU time since boot: halted in the idle governor, or not.")
	p.sample("fosbury_cpu_seconds_total", float64(st.CPU.IdleNS)/1e9, "mode", "idle")
	p.sample("fosbury_cpu_seconds_total", float64(st.CPU.UptimeNS-min(st.CPU.IdleNS, st.CPU.UptimeNS))/1e9, "mode", "busy")

	p.head("fosbury_port_info", gauge, "Always 1; the port's MAC address as a label.")
	for i := range st.Ports {
		p.sample("fosbury_port_info", 1, "port", st.Ports[i].Name, "mac", st.Ports[i].MAC)
	}
	for _, m := range portMetrics {
		p.head(m.name, m.typ, m.help)
		for i := range st.Ports {
			p.sample(m.name, m.get(&st.Ports[i]), "port", st.Ports[i].Name)
		}
	}
	appendDHCPMetrics(&p, st.Ports)
	p.head("fosbury_mac_errors_total", counter, "ENET error events (EIR) by class.")
	for i := range st.Ports {
		for _, e := range macErrors {
			p.sample("fosbury_mac_errors_total", float64(e.get(&st.Ports[i].Driver)), "port", st.Ports[i].Name, "class", e.class)
		}
	}
	p.head("fosbury_rx_errors_total", counter, "Receive descriptors with an error, by class.")
	for i := range st.Ports {
		for c := rxring.OK + 1; c < rxring.NumClasses; c++ {
			p.sample("fosbury_rx_errors_total", float64(st.Ports[i].Driver.RX.Errors[c]), "port", st.Ports[i].Name, "class", c.String())
		}
	}
	p.head("fosbury_rx_verdicts_total", counter, "Received frames by the datapath's verdict.")
	for i := range st.Ports {
		for _, v := range rxVerdicts {
			p.sample("fosbury_rx_verdicts_total", float64(v.get(&st.Ports[i])), "port", st.Ports[i].Name, "verdict", v.verdict)
		}
	}
	p.head("fosbury_tx_refused_total", counter, "TX enqueues refused, by reason.")
	for i := range st.Ports {
		for _, r := range txRefused {
			p.sample("fosbury_tx_refused_total", float64(r.get(&st.Ports[i])), "port", st.Ports[i].Name, "reason", r.reason)
		}
	}

	appendFilterMetrics(&p, &st.Filter)

	p.head("fosbury_log_dropped_total", counter, "Log lines not recorded, by reason.")
	p.sample("fosbury_log_dropped_total", float64(st.Log.RateLimited), "reason", "rate-limit")
	p.sample("fosbury_log_dropped_total", float64(st.Log.Overflow), "reason", "reader-behind")

	au := &st.Auth
	p.head("fosbury_auth_requests_total", counter, "API requests by the outcome of their credential check.")
	p.sample("fosbury_auth_requests_total", float64(au.Accepted), "result", "accepted")
	p.sample("fosbury_auth_requests_total", float64(au.Missing), "result", "missing")
	p.sample("fosbury_auth_requests_total", float64(au.Failed), "result", "failed")
	p.sample("fosbury_auth_requests_total", float64(au.Limited), "result", "limited")

	var srsr, wrsr [10]byte
	p.head("fosbury_reset_info", gauge, "Always 1; why the SoC last reset, and its reset status registers, as labels.")
	p.sample("fosbury_reset_info", 1, "cause", st.Reset.Cause,
		"src_srsr", string(appendHex(srsr[:0], uint64(st.Reset.SRSR))), "wdog1_wrsr", string(appendHex(wrsr[:0], uint64(st.Reset.WRSR))))
	wd := &st.Watchdog
	p.head("fosbury_watchdog_source_answered_seconds_ago", gauge, "Time since each probed source last answered.")
	for i := range wd.Sources {
		p.sample("fosbury_watchdog_source_answered_seconds_ago", wd.Sources[i].AnsweredAgo, "source", wd.Sources[i].Name)
	}
	p.head("fosbury_watchdog_source_fresh", gauge, "1 if the source answered within the deadline.")
	for i := range wd.Sources {
		p.sample("fosbury_watchdog_source_fresh", b2f(wd.Sources[i].Fresh), "source", wd.Sources[i].Name)
	}

	ck := &st.Clock
	if ck.LastSync != nil {
		p.one("fosbury_clock_last_sync_timestamp_seconds", gauge, "When SNTP last set the wall clock.", unixSeconds(*ck.LastSync))
	}
	p.head("fosbury_clock_server_info", gauge, "Always 1; the SNTP server last used as a label.")
	p.open("fosbury_clock_server_info")
	addrLabel(&p, "server", ck.Server)
	p.close(1)

	return p.b
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// dhcpCounters are a lease client's counters, for the ports with DHCP.
var dhcpCounters = []struct {
	name, help string
	get        func(*dhcp.Status) uint64
}{
	{"fosbury_dhcp_discovers_total", "DHCPDISCOVERs sent, retransmissions included.", func(s *dhcp.Status) uint64 { return s.Discovers }},
	{"fosbury_dhcp_requests_total", "DHCPREQUESTs sent.", func(s *dhcp.Status) uint64 { return s.Requests }},
	{"fosbury_dhcp_offers_total", "DHCPOFFERs accepted.", func(s *dhcp.Status) uint64 { return s.Offers }},
	{"fosbury_dhcp_acks_total", "DHCPACKs.", func(s *dhcp.Status) uint64 { return s.Acks }},
	{"fosbury_dhcp_naks_total", "DHCPNAKs.", func(s *dhcp.Status) uint64 { return s.Naks }},
	{"fosbury_dhcp_renewals_total", "Leases extended while renewing.", func(s *dhcp.Status) uint64 { return s.Renewals }},
	{"fosbury_dhcp_rebinds_total", "Leases extended while rebinding.", func(s *dhcp.Status) uint64 { return s.Rebinds }},
	{"fosbury_dhcp_expired_total", "Leases that ran out.", func(s *dhcp.Status) uint64 { return s.Expired }},
	{"fosbury_dhcp_ignored_total", "Replies not for this exchange.", func(s *dhcp.Status) uint64 { return s.Ignored }},
	{"fosbury_dhcp_invalid_total", "Replies that offered no usable lease.", func(s *dhcp.Status) uint64 { return s.Invalid }},
	{"fosbury_dhcp_malformed_total", "Replies that did not parse.", func(s *dhcp.Status) uint64 { return s.Malformed }},
	{"fosbury_dhcp_rx_dropped_total", "Replies arriving faster than handled.", func(s *dhcp.Status) uint64 { return s.RxDropped }},
	{"fosbury_dhcp_send_errors_total", "Requests the stack refused.", func(s *dhcp.Status) uint64 { return s.SendErrors }},
	{"fosbury_dhcp_stack_errors_total", "Addresses the stack refused.", func(s *dhcp.Status) uint64 { return s.StackErrors }},
}

func appendDHCPMetrics(p *prom, ports []PortStatus) {
	p.head("fosbury_dhcp_lease_info", gauge, "Always 1; the lease's state, address, server and router as labels.")
	for i := range ports {
		if d := ports[i].DHCP; d != nil {
			p.open("fosbury_dhcp_lease_info")
			p.label("port", ports[i].Name)
			p.label("state", d.State)
			addrLabel(p, "address", d.Address)
			addrLabel(p, "server", d.Server)
			addrLabel(p, "router", d.Router)
			p.close(1)
		}
	}
	p.head("fosbury_dhcp_ntp_server_info", gauge, "Always 1; the SNTP servers the lease names, as labels.")
	for i := range ports {
		if d := ports[i].DHCP; d != nil {
			for _, n := range d.NTP {
				p.open("fosbury_dhcp_ntp_server_info")
				p.label("port", ports[i].Name)
				addrLabel(p, "server", n)
				p.close(1)
			}
		}
	}
	for _, t := range []struct {
		name, help string
		get        func(*dhcp.Status) *time.Time
	}{
		{"fosbury_dhcp_renew_timestamp_seconds", "When the lease is to be renewed.", func(s *dhcp.Status) *time.Time { return s.Renew }},
		{"fosbury_dhcp_rebind_timestamp_seconds", "When the lease is to be rebound.", func(s *dhcp.Status) *time.Time { return s.Rebind }},
		{"fosbury_dhcp_expiry_timestamp_seconds", "When the lease expires.", func(s *dhcp.Status) *time.Time { return s.Expires }},
	} {
		p.head(t.name, gauge, t.help)
		for i := range ports {
			if d := ports[i].DHCP; d != nil && t.get(d) != nil {
				p.sample(t.name, unixSeconds(*t.get(d)), "port", ports[i].Name)
			}
		}
	}
	for _, c := range dhcpCounters {
		p.head(c.name, counter, c.help)
		for i := range ports {
			if d := ports[i].DHCP; d != nil {
				p.sample(c.name, float64(c.get(d)), "port", ports[i].Name)
			}
		}
	}
}

func appendFilterMetrics(p *prom, f *filter.Snapshot) {
	p.head("fosbury_filter_rule_packets_total", counter, "Frames each rule decided (states and fragments included).")
	for i := range f.Rules {
		p.ruleSample("fosbury_filter_rule_packets_total", float64(f.Rules[i].Packets), i, &f.Rules[i])
	}
	p.head("fosbury_filter_rule_bytes_total", counter, "Ethernet bytes of the frames each rule decided.")
	for i := range f.Rules {
		p.ruleSample("fosbury_filter_rule_bytes_total", float64(f.Rules[i].Bytes), i, &f.Rules[i])
	}
	p.head("fosbury_filter_verdicts_total", counter, "Frames by the filter's verdict.")
	for _, a := range []filter.Action{filter.Pass, filter.Drop, filter.Reject} {
		p.sample("fosbury_filter_verdicts_total", float64(f.Verdicts[a]), "verdict", a.String())
	}
	p.head("fosbury_filter_drops_total", counter, "Frames dropped or rejected, by reason.")
	for r := filter.ReasonNone + 1; r < filter.NumReasons; r++ {
		p.sample("fosbury_filter_drops_total", float64(f.Reasons[r]), "reason", r.String())
	}

	p.head("fosbury_conntrack_states", gauge, "Live connection states by protocol.")
	for c := filter.StateTCP; c < filter.NumStateProtos; c++ {
		p.sample("fosbury_conntrack_states", float64(f.StatesByProto[c]), "proto", c.String())
	}
}
