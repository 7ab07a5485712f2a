// ring_test.go tests the transmit ring alone against the non-coherent
// model: batching, ring-full, zero-copy by reference, copies, completions,
// leaks and allocations.
package txring_test

import (
	"errors"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/txring"
)

type rig struct {
	t    testing.TB
	sys  *noncoherent.System
	dev  *noncoherent.ENET
	pool *pagepool.Pool
	tx   *txring.Ring
	want []uint64 // sequence numbers queued, in order
	head int
	sent int
}

func newRig(t testing.TB, seed uint64, size, pages int, hostile bool) *rig {
	t.Helper()
	c := noncoherent.DefaultConfig(seed, pages*pagepool.PageSize)
	if !hostile {
		c = noncoherent.Config{Seed: seed, RegionSize: pages * pagepool.PageSize}
	}
	sys, err := noncoherent.New(c)
	if err != nil {
		t.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, 64)
	txd, _ := sys.NewDescRegion(0x00910000, size*bd.Size)
	dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 2, TxSize: size, MRBR: 1536})
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := pagepool.New(sys)
	tx, err := txring.New(txring.Options{Size: size, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
	if err != nil {
		t.Fatal(err)
	}
	g := &rig{t: t, sys: sys, dev: dev, pool: pool, tx: tx}
	dev.OnTransmit(func(b []byte) {
		seq, _, err := noncoherent.CheckTestFrame(b)
		if err != nil || g.head >= len(g.want) || seq != g.want[g.head] {
			t.Fatalf("transmitted frame %d corrupt or out of order: %v", seq, err)
		}
		g.head++
		g.sent++
	})
	return g
}

func (g *rig) finish() {
	g.t.Helper()
	g.sys.Quiesce()
	for g.tx.Reclaim(txring.MaxSize) > 0 {
	}
	g.tx.Close()
	if msgs, n := g.sys.Errors(); n > 0 {
		g.t.Fatalf("model reported %d violations: %v", n, msgs)
	}
	if g.head != len(g.want) {
		g.t.Fatalf("%d frames queued, %d sent", len(g.want), g.head)
	}
	if got, want := g.tx.Stats().TxErrors, g.dev.Stats.TxErrors; got != want {
		g.t.Fatalf("ring counted %d TX errors, the device wrote back %d", got, want)
	}
	if s := g.pool.Stats(); s.InFlight != 0 || s.BadUnref != 0 {
		g.t.Fatalf("pages leaked: %+v", s)
	}
}

func TestOptions(t *testing.T) {
	g := newRig(t, 1, 4, 4, false)
	small, _ := g.sys.NewDescRegion(0x00920000, 64)
	for _, o := range []txring.Options{
		{Size: 1, Pool: g.pool, Desc: small, Doorbell: g.dev.TxDoorbell()},
		{Size: 513, Pool: g.pool, Desc: small, Doorbell: g.dev.TxDoorbell()},
		{Size: 4, Pool: g.pool, Desc: small, Doorbell: g.dev.TxDoorbell()}, // 64 bytes hold 2
		{Size: 2, Desc: small, Doorbell: g.dev.TxDoorbell()},
	} {
		if _, err := txring.New(o); !errors.Is(err, txring.ErrOptions) {
			t.Errorf("options %+v accepted: %v", o, err)
		}
	}
}

// TestCopyBatchOneDoorbell: a batch of copies costs one TDAR write, the
// bytes arrive intact although the CPU wrote them into a write-back cache,
// and a page holds two copies.
func TestCopyBatchOneDoorbell(t *testing.T) {
	g := newRig(t, 2, 16, 32, true)
	var b [2048]byte
	for seq := uint64(1); seq <= 10; seq++ {
		g.want = append(g.want, seq)
		if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], seq, 60+int(seq)*100, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if got := g.pool.Stats().Fresh; got != 5 {
		t.Fatalf("10 copies took %d pages, want 5 (two halves per page)", got)
	}
	before := g.sys.C.Doorbells
	g.tx.Flush()
	g.tx.Flush() // nothing new: no second doorbell
	if d := g.sys.C.Doorbells - before; d != 1 {
		t.Fatalf("%d doorbells for one batch", d)
	}
	if s := g.tx.Stats(); s.Doorbells != 1 || s.BuiltFrames != 10 || s.BuiltBytes == 0 {
		t.Fatalf("stats %+v", s)
	}
	g.finish()
}

// TestRefZeroCopy: a frame given by reference is sent from its own page,
// nothing is copied, only its lines are cleaned, and the reference is
// released on completion.
func TestRefZeroCopy(t *testing.T) {
	g := newRig(t, 3, 4, 4, true)
	pg, _ := g.pool.Get()
	var scratch [1000]byte
	frame := noncoherent.PutTestFrame(scratch[:], 7, 1000, 0)
	g.pool.CopyIn(pg, pagepool.HalfSize, frame)
	g.want = append(g.want, 7)
	before := g.sys.C.CleanLines
	if err := g.tx.EnqueueRef(pagepool.Buf{Page: pg, Off: pagepool.HalfSize, Len: uint16(len(frame))}); err != nil {
		t.Fatal(err)
	}
	if c := g.sys.C.CleanLines - before; c != 16 {
		t.Fatalf("cleaned %d lines for a 1000-byte frame, want 16", c)
	}
	g.tx.Flush()
	g.sys.Quiesce()
	if g.tx.Reclaim(4) != 1 || g.pool.Stats().InFlight != 0 {
		t.Fatalf("completion did not release the page: %+v", g.pool.Stats())
	}
	if s := g.tx.Stats(); s.BuiltBytes != 0 || s.RefFrames != 1 {
		t.Fatalf("stats %+v", s)
	}
	g.finish()
}

// TestFullReported: a full ring refuses, releases a refused reference at
// once, and works again once the device completed.
func TestFullReported(t *testing.T) {
	g := newRig(t, 4, 4, 16, false)
	var b [2048]byte
	seq := uint64(0)
	for range 4 {
		seq++
		g.want = append(g.want, seq)
		if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], seq, 100, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], 99, 100, 0))); !errors.Is(err, txring.ErrFull) {
		t.Fatalf("fifth frame in a ring of 4: %v", err)
	}
	pg, _ := g.pool.Get()
	if err := g.tx.EnqueueRef(pagepool.Buf{Page: pg, Len: 100}); !errors.Is(err, txring.ErrFull) {
		t.Fatalf("ref into a full ring: %v", err)
	}
	if g.pool.Refs(pg) != 0 {
		t.Fatal("a refused reference was not released")
	}
	g.tx.Flush()
	g.sys.Quiesce()
	seq++
	g.want = append(g.want, seq)
	if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], seq, 100, 0))); err != nil {
		t.Fatalf("ring still full after completions: %v", err)
	}
	g.tx.Flush()
	if s := g.tx.Stats(); s.Full != 2 {
		t.Fatalf("full count %d, want 2", s.Full)
	}
	g.finish()
}

func TestBadBuffers(t *testing.T) {
	g := newRig(t, 5, 4, 4, false)
	pg, _ := g.pool.Get()
	bad := []pagepool.Buf{
		{Page: pg, Off: 0, Len: 0},
		{Page: pg, Off: 8, Len: 100}, // misaligned for the uDMA
		{Page: pg, Off: 4000, Len: 200},
	}
	for range bad[1:] {
		g.pool.Ref(pg) // each refused Buf gives one reference back
	}
	for _, b := range bad {
		if err := g.tx.EnqueueRef(b); !errors.Is(err, txring.ErrBadBuf) {
			t.Errorf("buffer %+v accepted: %v", b, err)
		}
	}
	if g.pool.Refs(pg) != 0 {
		t.Errorf("refused buffers left %d references", g.pool.Refs(pg))
	}
	if err := g.tx.EnqueueWith(pagepool.HalfSize+1, copyOf(nil)); !errors.Is(err, txring.ErrBadBuf) {
		t.Errorf("oversized loan accepted: %v", err)
	}
	for _, n := range []int{0, -1, 61} { // nothing, or more than was lent
		if err := g.tx.EnqueueWith(60, func([]byte) int { return n }); !errors.Is(err, txring.ErrUnfilled) {
			t.Errorf("fill returning %d: %v", n, err)
		}
	}
	if s := g.tx.Stats(); s.Unfilled != 3 || s.BuiltFrames != 0 {
		t.Errorf("stats %+v", s)
	}
	g.finish()
}

// TestNoPage: copies fail cleanly when the pool is empty.
func TestNoPage(t *testing.T) {
	g := newRig(t, 6, 8, 1, false)
	var b [2048]byte
	for seq := uint64(1); seq <= 2; seq++ {
		g.want = append(g.want, seq)
		if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], seq, 64, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], 3, 64, 0))); !errors.Is(err, txring.ErrNoPage) {
		t.Fatalf("copy with an empty pool: %v", err)
	}
	g.tx.Flush()
	g.finish()
}

// TestSoak: random batches of copies and references, random flushes and
// completions, under a hostile model.
func TestSoak(t *testing.T) {
	frames := 0
	for i, size := range []int{2, 3, 8, 64, 512} {
		g := newRig(t, uint64(10+i), size, size+16, true)
		var b [2048]byte
		x := uint64(i + 1)
		rnd := func(n int) int {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			return int(x % uint64(n))
		}
		seq := uint64(0)
		for stalled := 0; frames < 60000*(i+1); stalled++ {
			if _, n := g.sys.Errors(); n > 0 || stalled > 100000 {
				msgs, _ := g.sys.Errors()
				t.Fatalf("ring %d: stalled at %d frames (%d passes without progress) or model violations: %v", size, frames, stalled, msgs)
			}
			before := frames
			for range 1 + rnd(size) {
				seq++
				n := noncoherent.TestFrameMin + rnd(noncoherent.TestFrameMax-noncoherent.TestFrameMin+1)
				g.want = append(g.want, seq)
				var err error
				if rnd(2) == 0 {
					err = g.tx.EnqueueWith(pagepool.HalfSize, copyOf(noncoherent.PutTestFrame(b[:], seq, n, 0)))
				} else if pg, ok := g.pool.Get(); ok {
					off := rnd(2) * pagepool.HalfSize
					g.pool.CopyIn(pg, off, noncoherent.PutTestFrame(b[:], seq, n, 0))
					err = g.tx.EnqueueRef(pagepool.Buf{Page: pg, Off: uint16(off), Len: uint16(n)}) // the ring's, also on error
				} else {
					err = txring.ErrNoPage
				}
				if err != nil {
					g.want = g.want[:len(g.want)-1]
					seq--
					break
				}
				frames++
			}
			g.tx.Flush()
			g.dev.Step(rnd(size + 1))
			if rnd(3) == 0 {
				g.tx.Reclaim(1 + rnd(size))
			}
			if frames > before {
				stalled = 0
			}
		}
		g.finish()
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	g := newRig(t, 7, 64, 80, true)
	var b [2048]byte
	frame := noncoherent.PutTestFrame(b[:], 1, 600, 0)
	n := testing.AllocsPerRun(2000, func() {
		g.want = g.want[:0]
		g.head = 0
		g.want = append(g.want, 1)
		if err := g.tx.EnqueueWith(pagepool.HalfSize, copyOf(frame)); err != nil {
			t.Fatal(err)
		}
		g.tx.Flush()
		g.sys.Quiesce()
		g.tx.Reclaim(64)
	})
	if n != 0 {
		t.Fatalf("copy+flush+reclaim allocates %v per frame", n)
	}
	n = testing.AllocsPerRun(2000, func() {
		g.want = g.want[:0]
		g.head = 0
		g.want = append(g.want, 1)
		pg, _ := g.pool.Get()
		g.pool.CopyIn(pg, 0, frame)
		if err := g.tx.EnqueueRef(pagepool.Buf{Page: pg, Len: uint16(len(frame))}); err != nil {
			t.Fatal(err)
		}
		g.tx.Flush()
		g.sys.Quiesce()
		g.tx.Reclaim(64)
	})
	if n != 0 {
		t.Fatalf("ref+flush+reclaim allocates %v per frame", n)
	}
	g.want = g.want[:0]
	g.head = 0
	g.finish()
}

// copyOf is an EnqueueWith fill that copies f, or sends nothing if f does
// not fit the loan.
func copyOf(f []byte) func([]byte) int {
	return func(buf []byte) int {
		if len(f) > len(buf) {
			return 0
		}
		return copy(buf, f)
	}
}
