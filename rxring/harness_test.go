// harness_test.go builds a complete receive-and-forward path on the
// non-coherent model: one ENET device, one RX ring, one TX ring (frames are
// forwarded out of the same MAC), a pool, and the checks every test shares.
package rxring_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

type rig struct {
	t    testing.TB
	sys  *noncoherent.System
	dev  *noncoherent.ENET
	pool *pagepool.Pool
	rx   *rxring.Ring
	tx   *txring.Ring
}

type rigCfg struct {
	seed           uint64
	pages          int
	rxSize, txSize int
	bufSize        int
	shift16        bool
	model          func(*noncoherent.Config)
}

func newRig(t testing.TB, c rigCfg) *rig {
	t.Helper()
	mc := noncoherent.DefaultConfig(c.seed+seedBase(), c.pages*pagepool.PageSize)
	if c.model != nil {
		c.model(&mc)
	}
	sys, err := noncoherent.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, c.rxSize*bd.Size)
	txd, _ := sys.NewDescRegion(0x00910000, c.txSize*bd.Size)
	pool, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	if c.bufSize == 0 {
		c.bufSize = rxring.DefaultBufSize
	}
	dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: c.rxSize,
		TxSize: c.txSize, MRBR: c.bufSize, FCS: true, Shift16: c.shift16, Backlog: 2 * rxring.MaxSize})
	if err != nil {
		t.Fatal(err)
	}
	rx, err := rxring.New(rxring.Options{Size: c.rxSize, Pool: pool, Desc: rxd,
		Doorbell: dev.RxDoorbell(), BufSize: c.bufSize, FCS: true, Shift16: c.shift16})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := txring.New(txring.Options{Size: c.txSize, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
	if err != nil {
		t.Fatal(err)
	}
	rx.Start()
	return &rig{t: t, sys: sys, dev: dev, pool: pool, rx: rx, tx: tx}
}

// modelErrors fails the test if the model saw a protocol violation.
func (g *rig) modelErrors() {
	g.t.Helper()
	if msgs, n := g.sys.Errors(); n > 0 {
		g.t.Fatalf("model reported %d violations, first: %v", n, msgs)
	}
}

// shutdown stops DMA (the model finishes its work), releases both rings
// and checks that every page came back.
func (g *rig) shutdown() {
	g.t.Helper()
	g.sys.Quiesce()
	for g.tx.Reclaim(txring.MaxSize) > 0 {
	}
	g.rx.Close()
	g.tx.Close()
	g.modelErrors()
	if got, want := g.tx.Stats().TxErrors, g.dev.Stats.TxErrors; got != want {
		g.t.Fatalf("TX ring counted %d errors, the device wrote back %d", got, want)
	}
	if s := g.pool.Stats(); s.InFlight != 0 || s.BadUnref != 0 {
		g.t.Fatalf("pages leaked or double freed: %+v", s)
	}
}

// scale multiplies frame counts for soaks: FOSBURY_SOAK=10 runs ten times
// as many frames.
func scale(n int) int {
	if v, err := strconv.Atoi(os.Getenv("FOSBURY_SOAK")); err == nil && v > 0 {
		return n * v
	}
	return n
}

// seedBase shifts every model seed: FOSBURY_SEED=N explores other runs.
func seedBase() uint64 {
	v, _ := strconv.ParseUint(os.Getenv("FOSBURY_SEED"), 10, 64)
	return v * 1000003
}

func (c rigCfg) String() string {
	return fmt.Sprintf("seed%d/rx%d/tx%d/pages%d", c.seed+seedBase(), c.rxSize, c.txSize, c.pages)
}
