// Package datapath decides the fate of every received frame, on its DMA
// buffer: the filter's verdict first, then by destination MAC: to the
// appliance (delivered to the netstack, one copy), to the other port
// (forwarded by reference, zero copy), or dropped. Rejects get their
// reply built into a TX buffer. It owns no ring and no register; the
// firmware gives it Ports. Handle runs on the poll loop of the port that
// received the frame and allocates nothing in steady state. Ports may poll
// on different goroutines; Handle is safe for that.
package datapath

import (
	"sync"
	"sync/atomic"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

// Port is one side of the appliance, as the datapath sees it.
type Port interface {
	// SendRef queues a received buffer for transmission by reference;
	// the port owns b from then on, also on error.
	SendRef(b pagepool.Buf) error
	// TxReserve, TxCommit and TxFlush lend a TX buffer to build a frame
	// in (a reject reply), as netstack/link.Port does.
	TxReserve(n int) ([]byte, bool)
	TxCommit(n int)
	TxFlush()
}

// Local receives frames for the appliance itself; frame is lent for the
// duration of the call.
type Local func(port int, frame []byte)

// Options configures a Datapath.
type Options struct {
	Filter *filter.Engine
	// Ports by index: the filter's Meta.Port.
	Ports []Port
	// MACs are the ports' own addresses, by index.
	MACs [][6]byte
	// Local delivers to the port's netstack NIC; nil drops local traffic.
	Local Local
	// Now is the monotonic clock in ns.
	Now func() int64
}

// Counters of the datapath (verdicts are the filter's own counters).
type Counters struct {
	Local, Forwarded, Flooded, Dropped, Rejected atomic.Uint64
	ForwardErrors, RejectErrors                  atomic.Uint64
}

// Datapath is the per-frame switch.
type Datapath struct {
	o Options
	Counters
	// decide serialises filter.Engine.Decide, whose contract is one
	// goroutine: each port's poll loop calls Handle.
	decide sync.Mutex
	// pending marks ports holding forwarded frames not yet flushed: the
	// doorbell rings once per poll pass (Flush), not once per frame.
	pending []atomic.Bool
}

// New returns a datapath; it panics on nothing: bad options give a
// datapath that drops everything and counts it.
func New(o Options) *Datapath { return &Datapath{o: o, pending: make([]atomic.Bool, len(o.Ports))} }

// Flush rings the TX doorbell of every port that was given forwarded
// frames since the last Flush. Call it after each poll pass.
func (d *Datapath) Flush() {
	for i := range d.pending {
		if d.pending[i].Swap(false) {
			d.o.Ports[i].TxFlush()
		}
	}
}

// Handler returns the rxring callback for frames received on port in.
func (d *Datapath) Handler(in int) func(*rxring.Frame) rxring.Verdict {
	return func(f *rxring.Frame) rxring.Verdict { return d.Handle(in, f) }
}

// Handle decides one frame received on port in.
func (d *Datapath) Handle(in int, f *rxring.Frame) rxring.Verdict {
	frame := f.Bytes()
	if d.o.Filter == nil || in < 0 || in >= len(d.o.Ports) || len(frame) < 14 {
		d.Dropped.Add(1)
		return rxring.Drop
	}
	d.decide.Lock()
	v := d.o.Filter.Decide(frame, filter.Meta{Port: uint8(in), Dir: filter.In, Now: d.o.Now()})
	d.decide.Unlock()
	switch v.Action {
	case filter.Pass:
	case filter.Reject:
		d.reject(in, frame, v)
		return rxring.Drop
	default:
		d.Dropped.Add(1)
		return rxring.Drop
	}
	var dst [6]byte
	copy(dst[:], frame[:6])
	switch {
	case dst == d.o.MACs[in]:
		return d.local(in, frame)
	case dst[0]&1 != 0: // broadcast and multicast: ours and the other side's
		d.Flooded.Add(1)
		d.forward(in, f)
		return d.local(in, frame)
	default:
		if d.forward(in, f) {
			return rxring.Forward
		}
		return rxring.Drop
	}
}

func (d *Datapath) local(in int, frame []byte) rxring.Verdict {
	if d.o.Local == nil {
		d.Dropped.Add(1)
		return rxring.Drop
	}
	d.Local.Add(1)
	d.o.Local(in, frame)
	return rxring.Local
}

// forward sends the frame out of every other port by reference.
func (d *Datapath) forward(in int, f *rxring.Frame) bool {
	sent := false
	for i, p := range d.o.Ports {
		if i == in {
			continue
		}
		if err := p.SendRef(f.Ref()); err != nil {
			d.ForwardErrors.Add(1)
			continue
		}
		d.Forwarded.Add(1)
		d.pending[i].Store(true)
		sent = true
	}
	return sent
}

// reject builds the reply in a TX buffer of the receiving port.
func (d *Datapath) reject(in int, frame []byte, v filter.Verdict) {
	d.Rejected.Add(1)
	p := d.o.Ports[in]
	buf, ok := p.TxReserve(1518)
	if !ok {
		d.RejectErrors.Add(1)
		return
	}
	n, err := filter.BuildReply(frame, v, buf)
	if err != nil || n == 0 {
		p.TxCommit(0)
		d.RejectErrors.Add(1)
		return
	}
	p.TxCommit(n)
	p.TxFlush()
}
