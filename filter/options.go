// Engine options and their defaults.

package filter

import (
	"net/netip"
	"time"
)

// Options configure Compile and NewEngine. Zero fields take defaults.
type Options struct {
	// PortNames maps the names used after "on" to Meta.Port values.
	// Default: lan=0, wan=1 (numbers "0", "1" always work too).
	PortNames map[string]uint8
	// Self lists the appliance's own addresses, added to "set self".
	// Traffic to or from them is management traffic for the state reserve.
	Self []netip.Prefix

	StateLimit  int // conntrack capacity; default 16384, at most 1<<24
	MgmtReserve int // states only management traffic may use; default StateLimit/16

	SourceLimitEntries int // per-source rate buckets; default 4096
	FragmentEntries    int // fragments being followed; default 256

	RejectRate  uint32 // reject replies per second; default 100
	RejectBurst uint32 // default RejectRate

	Timeouts Timeouts

	// HashSeed seeds the table hashes. Zero: random (crypto/rand) per Engine.
	HashSeed uint64

	// DeferPublish makes the per-frame counters (verdicts, drop reasons,
	// per-rule packets and bytes) plain fields of the Decide goroutine,
	// published for Snapshot only by Publish, which that goroutine calls
	// once per batch (the datapath: once per poll pass). Without it Decide
	// publishes the counters it moved itself: atomic stores per frame.
	DeferPublish bool
}

// Timeouts of idle states, by protocol and TCP state.
type Timeouts struct {
	TCPOpening     time.Duration // default 30s (SYN seen, not established)
	TCPEstablished time.Duration // default 24h
	TCPClosing     time.Duration // default 2m (a FIN seen)
	TCPClosed      time.Duration // default 30s (RST, or both FINs acked)
	UDPSingle      time.Duration // default 30s (no reply yet)
	UDPMultiple    time.Duration // default 3m
	ICMP           time.Duration // default 30s
	Other          time.Duration // default 60s
	Fragment       time.Duration // default 30s
}

const maxStates = 1 << 24 // entries are indexed by int32

func orDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func (o Options) withDefaults() Options {
	if o.PortNames == nil {
		o.PortNames = map[string]uint8{"lan": 0, "wan": 1}
	}
	names := make(map[string]uint8, len(o.PortNames)+maxPorts)
	for i := 0; i < maxPorts; i++ {
		names[string(rune('0'+i))] = uint8(i)
	}
	for k, v := range o.PortNames {
		names[k] = v
	}
	o.PortNames = names
	if o.StateLimit <= 0 {
		o.StateLimit = 16384
	}
	if o.StateLimit > maxStates {
		o.StateLimit = maxStates
	}
	if o.MgmtReserve <= 0 {
		o.MgmtReserve = o.StateLimit / 16
	}
	if o.MgmtReserve > o.StateLimit {
		o.MgmtReserve = o.StateLimit
	}
	if o.SourceLimitEntries <= 0 {
		o.SourceLimitEntries = 4096
	}
	if o.FragmentEntries <= 0 {
		o.FragmentEntries = 256
	}
	if o.RejectRate == 0 {
		o.RejectRate = 100
	}
	if o.RejectBurst == 0 {
		o.RejectBurst = o.RejectRate
	}
	t := &o.Timeouts
	orDur(&t.TCPOpening, 30*time.Second)
	orDur(&t.TCPEstablished, 24*time.Hour)
	orDur(&t.TCPClosing, 2*time.Minute)
	orDur(&t.TCPClosed, 30*time.Second)
	orDur(&t.UDPSingle, 30*time.Second)
	orDur(&t.UDPMultiple, 3*time.Minute)
	orDur(&t.ICMP, 30*time.Second)
	orDur(&t.Other, 60*time.Second)
	orDur(&t.Fragment, 30*time.Second)
	return o
}
