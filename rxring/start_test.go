// start_test.go tests Start on its own: with no other ring's barrier
// between New and the first RDAR, Start's wmb alone must make every
// descriptor store visible before the device is told.
package rxring_test

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

func TestStartOrdersDescriptors(t *testing.T) {
	// No background draining: stores stay buffered until a barrier.
	sys, err := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: 8 * pagepool.PageSize})
	if err != nil {
		t.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, 4*bd.Size)
	txd, _ := sys.NewDescRegion(0x00910000, bd.Size)
	dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 4, TxSize: 1, MRBR: rxring.DefaultBufSize, FCS: true})
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := pagepool.New(sys)
	rx, err := rxring.New(rxring.Options{Size: 4, Pool: pool, Desc: rxd, Doorbell: dev.RxDoorbell(), FCS: true})
	if err != nil {
		t.Fatal(err)
	}
	rx.Start()
	var b [128]byte
	dev.Inject(noncoherent.PutTestFrame(b[:], 1, 100, 0), 0)
	sys.Quiesce()
	got := 0
	rx.Poll(4, func(f *rxring.Frame) rxring.Verdict {
		if _, _, err := noncoherent.CheckTestFrame(f.Bytes()); err != nil {
			t.Errorf("frame corrupt: %v", err)
		}
		got++
		return rxring.Drop
	})
	if msgs, n := sys.Errors(); n > 0 {
		t.Fatalf("model reported %d violations: %v", n, msgs)
	}
	if got != 1 {
		t.Fatalf("%d frames received, want 1", got)
	}
}
