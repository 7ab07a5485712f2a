// Package datapath decides the fate of every received frame, on its DMA
// buffer: the filter's verdict first, then by destination MAC: to the
// appliance (delivered to the netstack, one copy), to the other ports
// (forwarded by reference, zero copy), or dropped. Rejects get their reply
// built in a TX buffer of the receiving port.
//
// It owns no ring and no register: the Ports' TX sides belong to the MACs.
// Every method but Stats runs on the one poll loop (enet.Loop) that polls
// all ports: Handle per frame, EndPass once per pass. Forwarded frames wait
// in a per-port batch until EndPass, which queues each batch under one TX
// lock and rings each doorbell once, so the per-frame path takes no lock
// and allocates nothing.
package datapath

import (
	"errors"
	"sync"

	"github.com/fosbury-net/fosbury/capture"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

const (
	// ethHeader is the Ethernet header: destination, source, type.
	ethHeader = 14
	// maxReply bounds a reject reply (TCP RST or ICMP error quoting the
	// offending header): one untagged Ethernet frame with FCS room.
	maxReply = 1518
	// MaxPorts bounds the ports of one datapath (the filter's Meta.Port
	// names up to 4).
	MaxPorts = 4
)

// Port is one side of the appliance.
type Port struct {
	TX  *enet.TX // the port's transmit side
	MAC [6]byte  // its station address: frames to it are the appliance's
}

// Local receives frames for the appliance itself; frame is lent for the
// duration of the call.
type Local func(port int, frame []byte)

// Options configures a Datapath.
type Options struct {
	Filter *filter.Engine // required
	Ports  []Port         // by index, the filter's Meta.Port; 1..MaxPorts
	// Local delivers to the port's netstack NIC; nil drops local traffic.
	Local Local
	// Now is the monotonic clock in ns, read once per pass that has a frame.
	Now func() int64 // required
	// Budget is the most frames one MAC hands over in a pass (the MACs'
	// Options.Budget); it sizes the forward batches. 0: enet.DefaultBudget.
	Budget int
	// Log records the frames of rules with log (nil: not recorded).
	Log *eventlog.Log
	// Tap is where packet captures attach (nil: none).
	Tap *capture.Tap
}

// Stats are the datapath's counters (verdicts are the filter's own).
type Stats struct {
	Local         uint64 `json:"local"`          // frames delivered to the netstack
	Forwarded     uint64 `json:"forwarded"`      // frames queued on another port, by reference
	Flooded       uint64 `json:"flooded"`        // broadcast/multicast frames sent to every port
	Dropped       uint64 `json:"dropped"`        // filter drops, runts, no local receiver
	Rejected      uint64 `json:"rejected"`       // frames answered with a reject reply
	ForwardErrors uint64 `json:"forward_errors"` // forwards the TX ring refused (full, misaligned)
	RejectErrors  uint64 `json:"reject_errors"`  // replies not built or not queued
}

// Datapath is the per-frame switch.
type Datapath struct {
	o     Options
	stats Stats // the poll loop's; published at each EndPass

	now   int64 // the clock, read at the first frame of a pass
	nowOK bool
	// sess is the capture fed this pass, read at its first frame: nil
	// when none runs, so a frame costs one branch.
	sess *capture.Session
	// fwd holds, per output port, the buffers forwarded this pass (each
	// with its own page reference); bell marks ports owed a doorbell.
	fwd  [][]pagepool.Buf
	bell []bool

	pub struct {
		mu sync.Mutex
		s  Stats
	}
}

// New checks the options. The datapath is idle until its Handlers are
// given to the MACs and its EndPass to their loop.
func New(o Options) (*Datapath, error) {
	switch {
	case o.Filter == nil || o.Now == nil:
		return nil, errors.New("datapath: Options.Filter and Options.Now are required")
	case len(o.Ports) == 0 || len(o.Ports) > MaxPorts:
		return nil, errors.New("datapath: 1 to 4 ports")
	}
	for _, p := range o.Ports {
		if p.TX == nil {
			return nil, errors.New("datapath: a port without TX")
		}
	}
	if o.Budget <= 0 {
		o.Budget = enet.DefaultBudget
	}
	d := &Datapath{o: o, fwd: make([][]pagepool.Buf, len(o.Ports)), bell: make([]bool, len(o.Ports))}
	for i := range d.fwd {
		// Every other port may forward a whole budget here in one pass.
		d.fwd[i] = make([]pagepool.Buf, 0, o.Budget*len(o.Ports))
	}
	return d, nil
}

// Handler returns the rxring callback for frames received on port in
// (enet.MAC.Start's handle). Make it once per port: it is a closure.
func (d *Datapath) Handler(in int) func(*rxring.Frame) rxring.Verdict {
	return func(f *rxring.Frame) rxring.Verdict { return d.Handle(in, f) }
}

// Handle decides one frame received on port in, a valid port index.
func (d *Datapath) Handle(in int, f *rxring.Frame) rxring.Verdict {
	if !d.nowOK {
		d.now, d.nowOK = d.o.Now(), true
		d.sess = d.o.Tap.Begin()
	}
	frame := f.Bytes()
	v := runt
	if len(frame) >= ethHeader {
		v = d.o.Filter.Decide(frame, filter.Meta{Port: uint8(in), Dir: filter.In, Now: d.now})
	}
	if d.sess != nil {
		d.sess.Offer(in, f, v, d.now)
	}
	if v.Log && d.o.Log != nil {
		d.o.Log.Hit(d.now, in, frame, v)
	}
	switch v.Action {
	case filter.Pass:
	case filter.Reject:
		d.reject(in, frame, v)
		return rxring.Drop
	default: // drops, and runts
		d.stats.Dropped++
		return rxring.Drop
	}
	var dst [6]byte
	copy(dst[:], frame[:6])
	switch {
	case dst == d.o.Ports[in].MAC:
		return d.local(in, frame)
	case dst[0]&1 != 0: // broadcast and multicast: ours and the other side's
		d.stats.Flooded++
		d.forward(in, f)
		return d.local(in, frame)
	default:
		if d.forward(in, f) {
			return rxring.Forward
		}
		d.stats.Dropped++ // a single port: nowhere to forward
		return rxring.Drop
	}
}

// runt is the verdict for a frame shorter than an Ethernet header, which
// the filter never sees (a capture of drops does).
var runt = filter.Verdict{Action: filter.Drop, Reason: filter.ReasonMalformed, Rule: -1}

func (d *Datapath) local(in int, frame []byte) rxring.Verdict {
	if d.o.Local == nil {
		d.stats.Dropped++
		return rxring.Drop
	}
	d.stats.Local++
	d.o.Local(in, frame)
	return rxring.Local
}

// forward adds the frame, by reference, to every other port's batch.
func (d *Datapath) forward(in int, f *rxring.Frame) bool {
	for out := range d.fwd {
		if out == in {
			continue
		}
		if len(d.fwd[out]) == cap(d.fwd[out]) { // more than a pass's worth
			d.send(out)
		}
		d.fwd[out] = append(d.fwd[out], f.Ref())
	}
	return len(d.fwd) > 1
}

// send queues port out's batch under one TX lock. The TX side takes every
// buffer: refused ones are released there and counted here.
func (d *Datapath) send(out int) {
	b := d.fwd[out]
	queued := d.o.Ports[out].TX.SendRefs(b)
	d.stats.Forwarded += uint64(queued)
	d.stats.ForwardErrors += uint64(len(b) - queued)
	d.fwd[out] = b[:0]
	d.bell[out] = true
}

// reject builds the reply in a TX buffer of the receiving port, unless
// the filter's reply rate limit left this one unanswered (it counts those).
func (d *Datapath) reject(in int, frame []byte, v filter.Verdict) {
	d.stats.Rejected++
	if v.Reply == filter.ReplyNone {
		return
	}
	err := d.o.Ports[in].TX.With(maxReply, func(buf []byte) int {
		n, err := filter.BuildReply(frame, v, buf)
		if err != nil {
			return 0
		}
		return n
	})
	if err != nil {
		d.stats.RejectErrors++
		return
	}
	d.bell[in] = true
}

// EndPass queues the pass's forwarded frames and rings each TX doorbell
// owed, once; then publishes its own counters and the filter's (an engine
// made with filter.Options.DeferPublish counts per frame in plain fields).
// It is the enet.Loop's EndPass.
func (d *Datapath) EndPass() {
	for out := range d.fwd {
		if len(d.fwd[out]) > 0 {
			d.send(out)
		}
		if d.bell[out] {
			d.bell[out] = false
			d.o.Ports[out].TX.Flush()
		}
	}
	if d.nowOK { // the filter decided frames this pass
		d.o.Filter.Publish()
		d.o.Tap.End(d.sess)
		d.sess = nil
	}
	if d.o.Log != nil {
		d.o.Log.EndPass()
	}
	d.nowOK = false
	d.pub.mu.Lock()
	d.pub.s = d.stats
	d.pub.mu.Unlock()
}

// Stats returns the counters as of the last EndPass; any goroutine.
func (d *Datapath) Stats() Stats {
	d.pub.mu.Lock()
	defer d.pub.mu.Unlock()
	return d.pub.s
}
