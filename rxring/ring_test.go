// ring_test.go tests the receive ring's rules one at a time on a model:
// the flip, the refcount check, refill failure, error classes, doorbells,
// line-exact syncs and allocations.
package rxring_test

import (
	"errors"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

// calm is a model with no background events: deterministic steps.
func calm(c *noncoherent.Config) {
	*c = noncoherent.Config{Seed: c.Seed, RegionSize: c.RegionSize}
}

func (g *rig) inject(seq uint64, n int, errBits uint16) {
	var b [2048]byte
	if !g.dev.Inject(noncoherent.PutTestFrame(b[:], seq, n, 0), errBits) {
		g.t.Fatal("backlog full")
	}
	g.sys.Quiesce()
}

func TestOptions(t *testing.T) {
	g := newRig(t, rigCfg{seed: 1, rxSize: 2, txSize: 2, pages: 8, model: calm})
	d, _ := g.sys.NewDescRegion(0x00a00000, 4*bd.Size)
	bell := g.dev.RxDoorbell()
	for _, o := range []rxring.Options{
		{Size: 1, Pool: g.pool, Desc: d, Doorbell: bell},
		{Size: 513, Pool: g.pool, Desc: d, Doorbell: bell},
		{Size: 8, Pool: g.pool, Desc: d, Doorbell: bell},                // descriptor memory too small
		{Size: 2, Pool: g.pool, Desc: d, Doorbell: bell, BufSize: 1530}, // not a multiple of 16
		{Size: 2, Pool: g.pool, Desc: d, Doorbell: bell, BufSize: 4096},
		{Size: 2, Desc: d, Doorbell: bell},
	} {
		if _, err := rxring.New(o); !errors.Is(err, rxring.ErrOptions) {
			t.Errorf("options %+v accepted: %v", o, err)
		}
	}
	before := g.pool.Stats().InFlight
	if _, err := rxring.New(rxring.Options{Size: 4, Pool: g.pool, Desc: d, Doorbell: bell}); err != nil {
		t.Fatal(err)
	}
	if _, err := rxring.New(rxring.Options{Size: 4, Pool: g.pool, Desc: d, Doorbell: bell}); !errors.Is(err, rxring.ErrOptions) {
		t.Fatalf("ring built from an exhausted pool: %v", err)
	}
	if got := g.pool.Stats().InFlight; got != before+4 {
		t.Fatalf("failed New leaked pages: %d in flight, want %d", got, before+4)
	}
}

// TestFlipAndRefcount walks one slot through reuse, flip and fresh page.
func TestFlipAndRefcount(t *testing.T) {
	g := newRig(t, rigCfg{seed: 2, rxSize: 2, txSize: 2, pages: 8, model: calm})
	var held []pagepool.Buf
	keep := func(f *rxring.Frame) rxring.Verdict { held = append(held, f.Ref()); return rxring.Forward }
	drop := func(f *rxring.Frame) rxring.Verdict { return rxring.Drop }
	poll := func(fn func(*rxring.Frame) rxring.Verdict) {
		t.Helper()
		if g.rx.Poll(1, fn) != 1 {
			t.Fatal("no frame")
		}
	}
	// Slot 0 and 1 alternate. Slot 0: drop -> same half back.
	g.inject(1, 100, 0)
	poll(drop)
	if s := g.rx.Stats(); s.Reuses != 1 || s.Flips != 0 {
		t.Fatalf("drop did not reuse the half: %+v", s)
	}
	g.inject(2, 100, 0) // slot 1
	poll(drop)
	// Slot 0: keep a reference -> the other half goes back (flip).
	g.inject(3, 100, 0)
	poll(keep)
	if s := g.rx.Stats(); s.Flips != 1 || held[0].Off != 0 {
		t.Fatalf("kept frame did not flip: %+v %+v", s, held)
	}
	g.inject(4, 100, 0) // slot 1
	poll(drop)
	// Slot 0 again, now receiving into half 1 while half 0 is held: keeping
	// this one too leaves no free half, so a fresh page replaces it.
	g.inject(5, 100, 0)
	poll(keep)
	if s := g.rx.Stats(); s.FreshPages != 1 || held[1].Off != pagepool.HalfSize || held[1].Page != held[0].Page {
		t.Fatalf("no fresh page while both halves held: %+v %+v", s, held)
	}
	if r := g.pool.Refs(held[0].Page); r != 2 {
		t.Fatalf("old page has %d refs, want 2 (both holders, ring let go)", r)
	}
	for _, b := range held {
		g.pool.Release(b)
	}
	g.shutdown()
}

// TestRefillFailure: with every page held elsewhere the ring drops the
// frame, keeps its buffer, counts it, and recovers when pages come back.
func TestRefillFailure(t *testing.T) {
	g := newRig(t, rigCfg{seed: 3, rxSize: 2, txSize: 2, pages: 2, model: calm})
	var held []pagepool.Buf
	keep := func(f *rxring.Frame) rxring.Verdict { held = append(held, f.Ref()); return rxring.Forward }
	for seq := uint64(1); seq <= 6; seq++ {
		g.inject(seq, 200, 0)
		g.rx.Poll(8, keep)
	}
	s := g.rx.Stats()
	// Two frames flip their slots to the second halves; from then on each
	// slot's page is shared and no fresh page exists: four drops.
	if s.Frames != 2 || s.Flips != 2 || s.RefillFail != 4 {
		t.Fatalf("want 2 frames, 2 flips and 4 refill failures: %+v", s)
	}
	for _, b := range held {
		g.pool.Release(b)
	}
	g.inject(7, 200, 0)
	var got uint64
	g.rx.Poll(8, func(f *rxring.Frame) rxring.Verdict {
		got, _, _ = noncoherent.CheckTestFrame(f.Bytes())
		return rxring.Drop
	})
	if got != 7 {
		t.Fatalf("ring did not recover after refill failures: got frame %d", got)
	}
	g.shutdown()
}

// TestErrorClasses: each MAC error bit lands in its own counter and the
// frame is never lent; a frame longer than one buffer is one Fragment.
func TestErrorClasses(t *testing.T) {
	g := newRig(t, rigCfg{seed: 4, rxSize: 4, txSize: 2, pages: 8, bufSize: 256, model: calm})
	cases := []struct {
		bits uint16
		c    rxring.Class
	}{
		{noncoherent.StTR, rxring.Truncated}, {noncoherent.StOV, rxring.Overrun},
		{noncoherent.StLG, rxring.LengthErr}, {noncoherent.StNO, rxring.NonOctet},
		{noncoherent.StCR, rxring.CRC}, {noncoherent.StCR | noncoherent.StNO, rxring.NonOctet},
	}
	lent := 0
	count := func(f *rxring.Frame) rxring.Verdict { lent++; return rxring.Drop }
	for i, c := range cases {
		before := g.rx.Stats().Err(c.c)
		g.inject(uint64(i+1), 100, c.bits)
		g.rx.Poll(8, count)
		if g.rx.Stats().Err(c.c) != before+1 {
			t.Errorf("bits %#x not counted as %v: %+v", c.bits, c.c, g.rx.Stats().Errors)
		}
	}
	g.inject(50, 600, 0) // three buffers of 256
	g.rx.Poll(8, count)
	if s := g.rx.Stats(); s.Err(rxring.Fragment) != 1 {
		t.Errorf("a 600-byte frame in 256-byte buffers: %d fragments, want 1", s.Err(rxring.Fragment))
	}
	if lent != 0 {
		t.Fatalf("%d bad frames lent to the callback", lent)
	}
	g.inject(51, 200, 0)
	g.rx.Poll(8, count)
	if lent != 1 {
		t.Fatal("good frame after errors not delivered")
	}
	g.shutdown()
}

// TestDoorbellPerBatch: one RDAR write for a batch, none for an empty poll.
func TestDoorbellPerBatch(t *testing.T) {
	g := newRig(t, rigCfg{seed: 5, rxSize: 64, txSize: 2, pages: 80, model: calm})
	var b [2048]byte
	for seq := uint64(1); seq <= 40; seq++ {
		g.dev.Inject(noncoherent.PutTestFrame(b[:], seq, 300, 0), 0)
	}
	g.sys.Quiesce()
	before := g.sys.C.Doorbells
	if n := g.rx.Poll(64, func(*rxring.Frame) rxring.Verdict { return rxring.Drop }); n != 40 {
		t.Fatalf("polled %d of 40", n)
	}
	if d := g.sys.C.Doorbells - before; d != 1 {
		t.Fatalf("%d doorbells for a batch of 40", d)
	}
	if g.rx.Poll(64, nil) != 0 || g.sys.C.Doorbells-before != 1 {
		t.Fatal("an empty poll rang the doorbell")
	}
	g.shutdown()
}

// TestSyncOnlyWhatIsUsed: per frame, invalidate ceil(len/64) lines for the
// CPU and clean exactly the half handed back; never a page.
func TestSyncOnlyWhatIsUsed(t *testing.T) {
	g := newRig(t, rigCfg{seed: 6, rxSize: 8, txSize: 2, pages: 16, model: calm})
	for i, n := range []int{60, 64, 65, 1000, 1518} {
		g.inject(uint64(i+1), n, 0)
		before := g.sys.C
		g.rx.Poll(1, func(*rxring.Frame) rxring.Verdict { return rxring.Drop })
		inv := g.sys.C.InvalidateLines - before.InvalidateLines
		cln := g.sys.C.CleanLines - before.CleanLines
		// Dropped: the same half goes back, only its lent lines are cleaned.
		if want := uint64((n + 63) / 64); inv != want || cln != want {
			t.Errorf("frame of %d: %d lines invalidated, %d cleaned, want %d each", n, inv, cln, want)
		}
		if b := g.sys.C.Barriers() - before.Barriers(); b != 3 {
			t.Errorf("frame of %d: %d barriers, want dma_rmb + dma_wmb + wmb", n, b)
		}
	}
	// Kept: the other half goes back, cleaned whole; still not a page.
	var held pagepool.Buf
	g.inject(9, 100, 0)
	before := g.sys.C
	g.rx.Poll(1, func(f *rxring.Frame) rxring.Verdict { held = f.Ref(); return rxring.Forward })
	if cln := g.sys.C.CleanLines - before.CleanLines; cln != pagepool.HalfSize/64 || g.rx.Stats().Flips != 1 {
		t.Errorf("flip cleaned %d lines, want the half's %d", cln, pagepool.HalfSize/64)
	}
	g.pool.Release(held)
	g.shutdown()
}

// TestPollAllocs: drop, local copy and zero-copy forward allocate nothing.
func TestPollAllocs(t *testing.T) {
	g := newRig(t, rigCfg{seed: 7, rxSize: 64, txSize: 64, pages: 160})
	var wire, local [2048]byte
	frame := noncoherent.PutTestFrame(wire[:], 1, 700, 0)
	for _, v := range []rxring.Verdict{rxring.Drop, rxring.Local, rxring.Forward} {
		cb := func(f *rxring.Frame) rxring.Verdict {
			switch v {
			case rxring.Local:
				copy(local[:], f.Bytes())
			case rxring.Forward:
				if err := g.tx.EnqueueRef(f.Ref()); err != nil {
					t.Fatal(err)
				}
			}
			return v
		}
		n := testing.AllocsPerRun(3000, func() {
			g.dev.Inject(frame, 0)
			g.sys.Quiesce()
			g.rx.Poll(8, cb)
			g.tx.Flush()
			g.sys.Quiesce()
			g.tx.Reclaim(64)
		})
		if n != 0 {
			t.Errorf("verdict %d: %v allocations per frame", v, n)
		}
	}
	g.shutdown()
}
