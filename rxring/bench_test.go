// bench_test.go measures the receive path against the copy-based baseline
// (internal/copyring, tamago-like) on the same model with the
// same frames, side by side. Per frame: ns and allocs (op = one frame),
// bytes copied, cache lines maintained, barriers; doorbells per batch of 32.
// The wire and the device's DMA run with the timer stopped: ns is the CPU
// side (ring code, copies, allocation, and the model's bookkeeping of each
// cache operation and barrier, which grows with their number).
package rxring_test

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/copyring"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

const benchBatch = 32

// benchFrames is the traffic of every benchmark: 256 test frames of seeded
// random sizes 60..1518.
func benchFrames() [][]byte {
	x := xs{12345}
	out := make([][]byte, 256)
	for i := range out {
		n := noncoherent.TestFrameMin + x.intn(noncoherent.TestFrameMax-noncoherent.TestFrameMin+1)
		out[i] = noncoherent.PutTestFrame(make([]byte, n), uint64(i), n, 0)
	}
	return out
}

var sink []byte

func report(b *testing.B, sys *noncoherent.System, c0 noncoherent.Counters, copied uint64) {
	n := float64(b.N)
	c := sys.C
	b.ReportMetric(float64(copied)/n, "copiedB/frame")
	b.ReportMetric(float64(c.Lines()-c0.Lines())/n, "lines/frame")
	b.ReportMetric(float64(c.Barriers()-c0.Barriers())/n, "barriers/frame")
	b.ReportMetric(float64(c.Doorbells-c0.Doorbells)/(n/benchBatch), "doorbells/batch")
	if msgs, k := sys.Errors(); k > 0 {
		b.Fatalf("model violations: %v", msgs)
	}
}

func benchOurs(b *testing.B, verdict rxring.Verdict) {
	g := newRig(b, rigCfg{seed: 1, rxSize: 256, txSize: 256, pages: 600, model: calm})
	frames := benchFrames()
	var local [2048]byte
	var copied uint64
	cb := func(f *rxring.Frame) rxring.Verdict {
		switch verdict {
		case rxring.Local:
			copied += uint64(copy(local[:], f.Bytes()))
		case rxring.Forward:
			g.tx.EnqueueRef(f.Ref()) // the TX ring's, also on error
		}
		return verdict
	}
	c0 := g.sys.C
	k := 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		batch := min(benchBatch, b.N-done)
		b.StopTimer() // the wire and the DMA engine are not CPU time
		for range batch {
			g.dev.Inject(frames[k%len(frames)], 0)
			k++
		}
		g.dev.Step(batch)
		b.StartTimer()
		for got := 0; got < batch; {
			got += g.rx.Poll(batch-got, cb)
		}
		if verdict == rxring.Forward {
			g.tx.Flush()
			b.StopTimer()
			g.dev.Step(batch)
			b.StartTimer()
			g.tx.Reclaim(batch)
		}
		done += batch
	}
	b.StopTimer()
	report(b, g.sys, c0, copied)
	if s := g.rx.Stats(); s.Frames != uint64(b.N) {
		b.Fatalf("%d frames of %d", s.Frames, b.N)
	}
}

func benchCopy(b *testing.B, verdict rxring.Verdict) {
	sys, _ := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: 600 * pagepool.PageSize})
	rxd, _ := sys.NewDescRegion(0x00900000, 256*bd.Size)
	txd, _ := sys.NewDescRegion(0x00910000, 256*bd.Size)
	dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 256, TxSize: 256,
		MRBR: 1536, FCS: true, Backlog: 2 * rxring.MaxSize})
	pool, _ := pagepool.New(sys)
	rx, err := copyring.NewRX(256, pool, rxd, dev.RxDoorbell())
	if err != nil {
		b.Fatal(err)
	}
	tx, err := copyring.NewTX(256, pool, txd, dev.TxDoorbell())
	if err != nil {
		b.Fatal(err)
	}
	frames := benchFrames()
	c0 := sys.C
	k := 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		batch := min(benchBatch, b.N-done)
		b.StopTimer()
		for range batch {
			dev.Inject(frames[k%len(frames)], 0)
			k++
		}
		dev.Step(batch)
		b.StartTimer()
		for got := 0; got < batch; got++ {
			f := rx.Receive()
			if f == nil {
				b.Fatal("baseline lost a frame")
			}
			switch verdict {
			case rxring.Local, rxring.Drop:
				sink = f
			case rxring.Forward:
				if tx.Transmit(f) != nil {
					b.Fatal("baseline TX busy")
				}
			}
		}
		if verdict == rxring.Forward {
			b.StopTimer()
			dev.Step(batch)
			b.StartTimer()
		}
		done += batch
	}
	b.StopTimer()
	report(b, sys, c0, rx.Bytes+tx.Bytes)
}

// BenchmarkRX compares, per verdict, this ring ("ours") and the copy-based
// baseline ("copy") on identical traffic.
func BenchmarkRX(b *testing.B) {
	for _, v := range []struct {
		name string
		v    rxring.Verdict
	}{{"drop", rxring.Drop}, {"forward", rxring.Forward}, {"local", rxring.Local}} {
		b.Run(v.name+"/ours", func(b *testing.B) { benchOurs(b, v.v) })
		b.Run(v.name+"/copy", func(b *testing.B) { benchCopy(b, v.v) })
	}
}
