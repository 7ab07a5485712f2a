//go:build linux

// The measurement: under -icount shift=0,sleep=off guest time counts guest
// instructions (1 ns each), so the guest's busy time over a run, divided
// by the frames it received, is its whole-system cost per frame.
package netbench

import (
	"context"
	"fmt"
	"time"
)

// Sample is what a guest says about itself at one moment.
type Sample struct {
	Guest time.Duration // guest clock
	Idle  time.Duration // time the guest's CPU spent idle, on the same clock
	// Frames per port, [0] lan (ENET1), [1] wan (ENET2): received,
	// transmitted, and received but dropped by the guest itself (ring
	// overruns, no buffer).
	RX, TX, RXDropped [2]uint64
	// Interrupts of both MACs, and of the guest's timer; 0 if the guest
	// does not count them.
	IRQ, TimerIRQ uint64
}

// Probe reads a Sample from the guest (its console, its HTTP API, ...).
// The reading costs the guest time and perhaps frames; Measure takes both
// out.
type Probe func(ctx context.Context) (Sample, error)

// Busy is the guest's non-idle time from s to later.
func (s Sample) Busy(later Sample) time.Duration {
	return (later.Guest - s.Guest) - (later.Idle - s.Idle)
}

// Frames is what the guest received on both ports from s to later.
func (s Sample) Frames(later Sample) uint64 {
	return later.RX[0] - s.RX[0] + later.RX[1] - s.RX[1]
}

// Result is one measured run of a workload.
type Result struct {
	Workload string
	Traffic  Traffic
	// Frames is what the guest received on both ports during the run,
	// less what a probe itself brought (a probe over HTTP has frames).
	Frames uint64
	// Forwarded is what the guest sent on both ports during the run.
	Forwarded uint64
	// Busy is the guest's busy time during the run less one probe's
	// cost; ProbeCost is that cost, from two probes back to back.
	Busy, ProbeCost time.Duration
	// PerFrame is Busy/Frames: guest instructions per frame under
	// -icount shift=0 (otherwise nanoseconds).
	PerFrame float64
	// Interrupts per frame, of the MACs and of the timer (each timer
	// interrupt is work not caused by a frame, charged to the frames).
	IRQPerFrame, TimerPerFrame float64
	// Span is the wall time from B to C (see Background).
	Span time.Duration
	// The raw samples: A and B back to back, the run, then C.
	A, B, C Sample
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %.0f per frame, %d frames (%d sent, %d out), busy %v of %v guest time, probe %v, "+
		"%.2f irq and %.2f timer irq per frame, %v wall",
		r.Workload, r.PerFrame, r.Frames, r.Traffic.Sent, r.Forwarded, r.Busy, r.C.Guest-r.B.Guest, r.ProbeCost,
		r.IRQPerFrame, r.TimerPerFrame, r.Span.Round(time.Millisecond))
}

// Measure probes the guest twice back to back (the cost of a probe), runs
// the workload, waits until both taps are quiet (the guest took all it
// will take), probes again, and computes the cost per frame.
func Measure(ctx context.Context, probe Probe, w *Wires, wl Workload, frames int) (Result, error) {
	r := Result{Workload: wl.Name}
	var err error
	if r.A, err = probe(ctx); err != nil {
		return r, err
	}
	if r.B, err = probe(ctx); err != nil {
		return r, err
	}
	start := time.Now()
	if r.Traffic, err = wl.Run(ctx, w, frames); err != nil {
		return r, fmt.Errorf("%s: %v", wl.Name, err)
	}
	for _, h := range w.hosts() {
		if err := h.waitQuiet(10 * time.Second); err != nil {
			return r, err
		}
	}
	if r.C, err = probe(ctx); err != nil {
		return r, err
	}
	r.Span = time.Since(start)
	return r, r.compute()
}

// Net is the cost per frame of the run's subject: Busy less pacingPerFrame
// for each of its pacing frames (Traffic.Pacing), over the other frames.
// For drop-pinged, pacingPerFrame is the same guest's ping figure.
func (r Result) Net(pacingPerFrame float64) float64 {
	if r.Traffic.Pacing >= r.Frames {
		return 0
	}
	return (float64(r.Busy) - pacingPerFrame*float64(r.Traffic.Pacing)) / float64(r.Frames-r.Traffic.Pacing)
}

func (r *Result) compute() error {
	r.ProbeCost = r.A.Busy(r.B)
	r.Busy = r.B.Busy(r.C) - r.ProbeCost
	probeFrames := r.A.Frames(r.B)
	r.Frames = r.B.Frames(r.C) - min(probeFrames, r.B.Frames(r.C))
	r.Forwarded = r.C.TX[0] - r.B.TX[0] + r.C.TX[1] - r.B.TX[1]
	if r.Traffic.Sent == 0 || r.Frames == 0 || r.Busy <= 0 {
		return fmt.Errorf("%s: nothing measured: %d sent, %d frames, busy %v (probe %v)", r.Workload, r.Traffic.Sent, r.Frames, r.Busy, r.ProbeCost)
	}
	r.PerFrame = float64(r.Busy) / float64(r.Frames)
	perFrame := func(f func(Sample) uint64) float64 {
		n := int64(f(r.C)-f(r.B)) - int64(f(r.B)-f(r.A))
		return float64(n) / float64(r.Frames)
	}
	r.IRQPerFrame = perFrame(func(s Sample) uint64 { return s.IRQ })
	r.TimerPerFrame = perFrame(func(s Sample) uint64 { return s.TimerIRQ })
	return nil
}
