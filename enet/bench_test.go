// bench_test.go measures the driver's own per-frame overhead around the
// rings (ISR, budgeted passes, doorbells) over the register fake, and the
// whole MAC + rxring + txring path on the non-coherent model.

package enet

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

// BenchmarkISRDrain: one interrupt and one drain per 16-frame batch with
// the test as the device; reports the driver's and ring's cost per frame.
func BenchmarkISRDrain(b *testing.B) {
	m, f, p := startedMAC(b, DefaultBudget)
	f.noLog = true
	l := loopOf(b, m, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		p.arrive(16)
		f.raise(IntRXF)
		m.ISR()
		<-m.notify
		l.Drain()
	}
}

// BenchmarkMACRingsModel: frames injected into the modelled uDMA, received
// through the MAC and rxring, dropped by the filter (the common case of a
// packet filter), in batches of 16.
func BenchmarkMACRingsModel(b *testing.B) {
	sys, err := noncoherent.New(noncoherent.DefaultConfig(1, 64*pagepool.PageSize))
	if err != nil {
		b.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, 32*bd.Size)
	txd, _ := sys.NewDescRegion(0x00910000, 32*bd.Size)
	pool, _ := pagepool.New(sys)
	dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 32, TxSize: 32,
		MRBR: rxring.DefaultBufSize, FCS: true, Backlog: 64})
	f := newFakeENET(newFakeBus(0))
	f.onRDAR, f.onTDAR = dev.RxDoorbell().Kick, dev.TxDoorbell().Kick
	f.noLog = true
	m, err := New(Options{Regs: f, MAC: testMAC})
	if err != nil {
		b.Fatal(err)
	}
	rxr, _ := rxring.New(rxring.Options{Size: 32, Pool: pool, Desc: rxd, Doorbell: m.RXBell(), FCS: true})
	txr, _ := txring.New(txring.Options{Size: 32, Pool: pool, Desc: txd, Doorbell: m.TXBell()})
	if err := m.Start(rxr, NewTX(txr), dropAll); err != nil {
		b.Fatal(err)
	}
	l := loopOf(b, m, nil)
	var frame [2048]byte
	wire := noncoherent.PutTestFrame(frame[:], 1, 512, 0)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		for j := 0; j < 16; j++ {
			dev.Inject(wire, 0)
		}
		sys.Quiesce()
		f.raise(IntRXF)
		m.ISR()
		<-m.notify
		l.Drain()
	}
	b.StopTimer()
	if msgs, n := sys.Errors(); n > 0 {
		b.Fatalf("model violations: %v", msgs)
	}
}
