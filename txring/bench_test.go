// bench_test.go measures transmitting locally built frames: this ring
// (copy into a pool half page, clean the frame's lines, one TDAR per batch)
// against the copy-based baseline (tamago-like: fixed buffer, one TDAR per
// frame), same model, same frames, side by side. The device runs with the
// timer stopped.
package txring_test

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/copyring"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
)

const benchBatch = 32

func benchFrames() [][]byte {
	x := uint64(12345)
	out := make([][]byte, 256)
	for i := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		n := noncoherent.TestFrameMin + int(x%uint64(noncoherent.TestFrameMax-noncoherent.TestFrameMin+1))
		out[i] = noncoherent.PutTestFrame(make([]byte, n), uint64(i), n, 0)
	}
	return out
}

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

func BenchmarkTX(b *testing.B) {
	frames := benchFrames()
	b.Run("copy/ours", func(b *testing.B) {
		g := newRig(b, 1, 256, 300, false)
		g.dev.OnTransmit(nil)
		c0 := g.sys.C
		b.ReportAllocs()
		b.ResetTimer()
		for done, k := 0, 0; done < b.N; {
			batch := min(benchBatch, b.N-done)
			for range batch {
				fr := frames[k%len(frames)]
				if err := g.tx.EnqueueWith(len(fr), func(buf []byte) int { return copy(buf, fr) }); err != nil {
					b.Fatal(err)
				}
				k++
			}
			g.tx.Flush()
			b.StopTimer()
			g.dev.Step(batch)
			b.StartTimer()
			g.tx.Reclaim(batch)
			done += batch
		}
		b.StopTimer()
		report(b, g.sys, c0, g.tx.Stats().BuiltBytes)
	})
	b.Run("copy/copy", func(b *testing.B) {
		sys, _ := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: 300 * pagepool.PageSize})
		rxd, _ := sys.NewDescRegion(0x00900000, 64)
		txd, _ := sys.NewDescRegion(0x00910000, 256*bd.Size)
		dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 2, TxSize: 256, MRBR: 1536})
		pool, _ := pagepool.New(sys)
		tx, err := copyring.NewTX(256, pool, txd, dev.TxDoorbell())
		if err != nil {
			b.Fatal(err)
		}
		c0 := sys.C
		b.ReportAllocs()
		b.ResetTimer()
		for done, k := 0, 0; done < b.N; {
			batch := min(benchBatch, b.N-done)
			for range batch {
				if err := tx.Transmit(frames[k%len(frames)]); err != nil {
					b.Fatal(err)
				}
				k++
			}
			b.StopTimer()
			dev.Step(batch)
			b.StartTimer()
			done += batch
		}
		b.StopTimer()
		report(b, sys, c0, tx.Bytes)
	})
}
