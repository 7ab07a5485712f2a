// pool_test.go tests reference counting, recycling and line-exact cache
// maintenance against the non-coherent model.
package pagepool_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
)

func newPool(t testing.TB, pages int, cfg func(*noncoherent.Config)) (*pagepool.Pool, *noncoherent.System) {
	t.Helper()
	c := noncoherent.DefaultConfig(7, pages*pagepool.PageSize)
	if cfg != nil {
		cfg(&c)
	}
	sys, err := noncoherent.New(c)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	return p, sys
}

func TestRefcountAndRecycle(t *testing.T) {
	p, _ := newPool(t, 4, nil)
	var got []pagepool.Page
	for range 4 {
		pg, ok := p.Get()
		if !ok {
			t.Fatal("pool exhausted early")
		}
		got = append(got, pg)
	}
	if _, ok := p.Get(); ok {
		t.Fatal("Get succeeded on an empty pool")
	}
	s := p.Stats()
	if s.InFlight != 4 || s.Fresh != 4 || s.Exhausted != 1 {
		t.Fatalf("stats after 4 gets: %+v", s)
	}
	p.Ref(got[0])
	p.Unref(got[0])
	if p.Refs(got[0]) != 1 || p.Stats().InFlight != 4 {
		t.Fatalf("page freed while referenced: refs %d", p.Refs(got[0]))
	}
	p.Unref(got[0])
	if p.Stats().InFlight != 3 || p.Stats().Recycled != 1 {
		t.Fatalf("last unref did not recycle: %+v", p.Stats())
	}
	p.Unref(got[0]) // a caller's double free: counted, not corrupting
	if s := p.Stats(); s.BadUnref != 1 || s.InFlight != 3 || p.Refs(got[0]) != 0 {
		t.Fatalf("double unref: %+v refs %d", s, p.Refs(got[0]))
	}
	pg, ok := p.Get()
	if !ok || pg != got[0] {
		t.Fatalf("recycled page not reused: %v %v", pg, ok)
	}
}

func TestRegionChecks(t *testing.T) {
	sys, _ := noncoherent.New(noncoherent.Config{RegionSize: 4096, BusBase: 0x88000800})
	if _, err := pagepool.New(sys); !errors.Is(err, pagepool.ErrRegion) {
		t.Fatalf("unaligned bus address accepted: %v", err)
	}
	sys, _ = noncoherent.New(noncoherent.Config{RegionSize: 8192, BusBase: 0xffff_f000})
	if _, err := pagepool.New(sys); !errors.Is(err, pagepool.ErrRegion) {
		t.Fatalf("region beyond 4 GiB accepted: %v", err)
	}
}

func TestBusAddrRoundTrip(t *testing.T) {
	p, sys := newPool(t, 8, nil)
	for pg := pagepool.Page(0); pg < 8; pg++ {
		for _, off := range []int{0, 64, pagepool.HalfSize, pagepool.PageSize - 1} {
			bus := p.BusAddr(pg, off)
			if uintptr(bus) != sys.BusAddr()+uintptr(int(pg)*pagepool.PageSize+off) {
				t.Fatalf("bus address of %d+%d = %#x", pg, off, bus)
			}
			g, o, ok := p.PageAt(bus)
			if !ok || g != pg || o != off {
				t.Fatalf("PageAt(%#x) = %d %d %v", bus, g, o, ok)
			}
		}
	}
	if _, _, ok := p.PageAt(uint32(sys.BusAddr()) - 1); ok {
		t.Fatal("address below the region mapped")
	}
}

// TestSyncTouchesOnlyCoveringLines checks the line arithmetic against the
// model's own counters, for unaligned ranges too.
func TestSyncTouchesOnlyCoveringLines(t *testing.T) {
	p, sys := newPool(t, 2, nil)
	for _, c := range []struct{ off, n, want int }{
		{0, 60, 1}, {0, 64, 1}, {0, 65, 2}, {63, 2, 2}, {2048, 1518, 24}, {100, 1, 1},
	} {
		before := sys.C
		p.SyncForCPU(1, c.off, c.n)
		p.SyncForDevice(1, c.off, c.n)
		if got := int(sys.C.InvalidateLines - before.InvalidateLines); got != c.want {
			t.Errorf("SyncForCPU(%d,%d) invalidated %d lines, want %d", c.off, c.n, got, c.want)
		}
		if got := int(sys.C.CleanLines - before.CleanLines); got != c.want {
			t.Errorf("SyncForDevice(%d,%d) cleaned %d lines, want %d", c.off, c.n, got, c.want)
		}
		if pagepool.Lines(c.off, c.n) != c.want {
			t.Errorf("Lines(%d,%d) = %d", c.off, c.n, pagepool.Lines(c.off, c.n))
		}
	}
}

// TestSyncForDevicePublishesCPUWrites: bytes the CPU wrote reach RAM only
// through SyncForDevice.
func TestSyncForDevicePublishesCPUWrites(t *testing.T) {
	p, sys := newPool(t, 2, func(c *noncoherent.Config) { c.EvictPermille = 0 })
	pg, _ := p.Get()
	b := p.Bytes(pg, 0, 200)
	for i := range b {
		b[i] = byte(i + 1)
	}
	o := int(pg) * pagepool.PageSize
	if bytes.Equal(sys.RAM()[o:o+200], b) {
		t.Fatal("CPU stores reached RAM without a clean: the model is not write-back")
	}
	p.SyncForDevice(pg, 0, 200)
	if !bytes.Equal(sys.RAM()[o:o+200], b) {
		t.Fatal("SyncForDevice did not write the CPU's bytes back")
	}
	if _, n := sys.Errors(); n != 0 {
		t.Fatalf("model errors: %v", n)
	}
}

func TestGetUnrefAllocFree(t *testing.T) {
	p, _ := newPool(t, 4, nil)
	n := testing.AllocsPerRun(1000, func() {
		pg, _ := p.Get()
		p.Ref(pg)
		p.SyncForCPU(pg, 0, 100)
		p.SyncForDevice(pg, 0, 100)
		p.Unref(pg)
		p.Unref(pg)
	})
	if n != 0 {
		t.Fatalf("steady-state pool use allocates %v times", n)
	}
}

func TestUncached(t *testing.T) {
	b := make([]byte, 128)
	for off := 0; off < 32; off++ {
		if uintptrMod32(b[off:]) == 0 {
			u, err := pagepool.NewUncached(b[off:off+64], 0x1000)
			if err != nil {
				t.Fatal(err)
			}
			u.Store32(4, 0xdeadbeef)
			if u.Load32(4) != 0xdeadbeef || b[off+4] != 0xef || u.Len() != 64 || u.BusAddr() != 0x1000 {
				t.Fatalf("uncached word access wrong: % x", b[off:off+8])
			}
			if _, err := pagepool.NewUncached(b[off+4:off+36], 0x1000); err == nil {
				t.Fatal("misaligned descriptor memory accepted")
			}
			return
		}
	}
	t.Fatal("no 32-byte aligned offset in 128 bytes")
}

func TestBadHandlesIgnored(t *testing.T) {
	p, _ := newPool(t, 2, nil)
	p.Ref(pagepool.NoPage)
	p.Unref(pagepool.NoPage)
	p.Release(pagepool.Buf{Page: 5})
	p.Ref(1) // free page
	if s := p.Stats(); s.BadUnref != 4 || s.InFlight != 0 || p.Refs(1) != 0 || p.Refs(pagepool.NoPage) != 0 {
		t.Fatalf("bad handles changed state: %+v", s)
	}
}

// TestConcurrentRefcounts: an RX poller and a TX completer on different
// goroutines share pages; run with -race too.
func TestConcurrentRefcounts(t *testing.T) {
	p, _ := newPool(t, 64, nil)
	ch := make(chan pagepool.Page, 64)
	done := make(chan struct{})
	go func() {
		for pg := range ch {
			p.Unref(pg)
		}
		close(done)
	}()
	for range 20000 {
		pg, ok := p.Get()
		if !ok {
			continue
		}
		p.Ref(pg)
		ch <- pg
		p.Unref(pg)
	}
	close(ch)
	<-done
	if s := p.Stats(); s.InFlight != 0 || s.BadUnref != 0 || s.Fresh != s.Recycled {
		t.Fatalf("concurrent refcounting lost pages: %+v", s)
	}
}

func TestCopyInReachesRAMOnClean(t *testing.T) {
	p, sys := newPool(t, 2, func(c *noncoherent.Config) { *c = noncoherent.Config{Seed: 1, RegionSize: c.RegionSize} })
	pg, _ := p.Get()
	src := []byte("frame built by the stack")
	if n := p.CopyIn(pg, 64, src); n != len(src) || string(p.Bytes(pg, 64, n)) != string(src) {
		t.Fatalf("CopyIn copied %d bytes", n)
	}
	if _, dirty := sys.LineState(int(pg)*pagepool.PageSize + 64); !dirty {
		t.Fatal("CopyIn did not leave its line dirty")
	}
	p.SyncForDevice(pg, 64, len(src))
	o := int(pg)*pagepool.PageSize + 64
	if string(sys.RAM()[o:o+len(src)]) != string(src) {
		t.Fatal("copied bytes not in RAM after SyncForDevice")
	}
}
