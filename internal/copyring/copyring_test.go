// copyring_test.go checks the baseline is itself correct on the hostile
// model, so the benchmarks compare two working rings.
package copyring_test

import (
	"testing"

	"github.com/fosbury-net/fosbury/internal/copyring"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
)

func TestBaselineForwardsIntact(t *testing.T) {
	sys, _ := noncoherent.New(noncoherent.DefaultConfig(3, 40*pagepool.PageSize))
	rxd, _ := sys.NewDescRegion(0x00900000, 16*32)
	txd, _ := sys.NewDescRegion(0x00910000, 16*32)
	dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 16, TxSize: 16, MRBR: 1536, FCS: true})
	pool, _ := pagepool.New(sys)
	rx, err := copyring.NewRX(16, pool, rxd, dev.RxDoorbell())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := copyring.NewTX(16, pool, txd, dev.TxDoorbell())
	if err != nil {
		t.Fatal(err)
	}
	pool.WMB()
	dev.RxDoorbell().Kick()
	var sent, got uint64
	dev.OnTransmit(func(b []byte) {
		seq, _, err := noncoherent.CheckTestFrame(b)
		if err != nil || seq != sent+1 {
			t.Fatalf("baseline sent frame %d corrupt: %v", seq, err)
		}
		sent++
	})
	var wire [2048]byte
	for seq := uint64(1); seq <= 20000; seq++ {
		dev.Inject(noncoherent.PutTestFrame(wire[:], seq, 60+int(seq*37%1459), 0), 0)
		sys.Quiesce()
		f := rx.Receive()
		if s, _, err := noncoherent.CheckTestFrame(f); err != nil || s != seq {
			t.Fatalf("baseline received frame %d corrupt: %v", s, err)
		}
		got++
		for tx.Transmit(f) != nil {
			sys.Quiesce()
		}
	}
	sys.Quiesce()
	if msgs, n := sys.Errors(); n > 0 || sent != got || rx.Bytes == 0 {
		t.Fatalf("sent %d of %d; model: %v", sent, got, msgs)
	}
}
