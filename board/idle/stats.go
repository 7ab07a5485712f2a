// stats.go owns the CPU time /status reports (host-buildable, so that
// mgmt can name the type).

package idle

// Stats is the CPU's time since its counter started: busy time is
// UptimeNS - IdleNS.
type Stats struct {
	UptimeNS uint64 `json:"uptime_ns"`
	IdleNS   uint64 `json:"idle_ns"` // halted in the governor, waiting for an interrupt
}
