// model_test.go checks that the model punishes each hazard it claims to
// model, and stays quiet for the correct sequence.
package noncoherent

import (
	"bytes"
	"strings"
	"testing"
)

func quiet(t *testing.T, size int) *System {
	t.Helper()
	s, err := New(Config{Seed: 1, RegionSize: size})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDirtyInvalidateReported(t *testing.T) {
	s := quiet(t, 4096)
	s.Bytes()[10] = 1
	s.Invalidate(0, 64)
	if _, n := s.Errors(); n != 1 {
		t.Fatalf("invalidating a dirty line reported %d errors, want 1", n)
	}
	if s.Bytes()[10] != 0 {
		t.Fatal("invalidated line still shows the CPU's store")
	}
}

func TestPresentLineHidesDMAUntilInvalidated(t *testing.T) {
	s := quiet(t, 4096)
	s.fill(1)
	s.dmaWrite(64, []byte{9, 9, 9})
	if s.Bytes()[64] != 0 {
		t.Fatal("a present line showed the device's write without invalidation")
	}
	if s.Bytes()[0] != 0 || s.Bytes()[128] != 0 {
		t.Fatal("unrelated lines changed")
	}
	s.dmaWrite(128, []byte{7})
	if s.Bytes()[128] != 7 {
		t.Fatal("an absent line did not show the device's write")
	}
	s.DmaRMB()
	s.Invalidate(64, 3)
	if !bytes.Equal(s.Bytes()[64:67], []byte{9, 9, 9}) {
		t.Fatal("invalidation did not expose the device's write")
	}
}

func TestDirtyEvictionOverwritesDMA(t *testing.T) {
	s := quiet(t, 4096)
	s.Bytes()[5] = 0xaa // CPU store, line dirty
	s.dmaWrite(0, []byte{1, 2, 3, 4, 5, 6, 7})
	s.evict(0)
	if s.RAM()[0] != 0 || s.RAM()[5] != 0xaa {
		t.Fatalf("eviction of the dirty line should write the CPU's stale line over the DMA: % x", s.RAM()[:8])
	}
}

func TestUnorderedInvalidateMayReadStale(t *testing.T) {
	s := quiet(t, 4096)
	s.cfg.StalePermille = 1000
	s.dmaWrite(0, []byte{1})
	s.Invalidate(0, 1) // no DmaRMB since the device wrote
	if s.Bytes()[0] != 0 {
		t.Fatal("an invalidation not ordered by dma_rmb never reads stale data")
	}
	s.DmaRMB()
	s.Invalidate(0, 1)
	if s.Bytes()[0] != 1 {
		t.Fatal("after dma_rmb the invalidation still reads stale data")
	}
}

func TestStoreBufferReordersWithoutBarrier(t *testing.T) {
	for _, barrier := range []bool{false, true} {
		reordered := false
		for seed := uint64(1); seed < 200 && !reordered; seed++ {
			s, _ := New(Config{Seed: seed, RegionSize: 4096})
			d, _ := s.NewDescRegion(0x1000, 32)
			d.Store32(4, 1)
			if barrier {
				s.DmaWMB()
			}
			d.Store32(0, 2)
			d.drainOne()
			if d.mem[0] == 2 && d.mem[1] == 0 {
				reordered = true
			}
			if d.Load32(0) != 2 || d.Load32(4) != 1 {
				t.Fatal("CPU loads must see its own stores")
			}
		}
		if reordered == barrier {
			t.Fatalf("barrier=%v: reordering seen=%v", barrier, reordered)
		}
	}
}

func TestDeviceFlagsOwnershipBeforeFields(t *testing.T) {
	flagged := false
	for seed := uint64(1); seed < 100 && !flagged; seed++ {
		s, _ := New(Config{Seed: seed, RegionSize: 8192})
		rx, _ := s.NewDescRegion(0x1000, 32)
		tx, _ := s.NewDescRegion(0x2000, 32)
		e, _ := s.NewENET(ENETConfig{Rx: rx, Tx: tx, RxSize: 1, TxSize: 1, MRBR: 1536})
		e.rdar = true
		e.Inject(make([]byte, 60), 0)
		rx.Store32(4, 0x88000000)
		rx.Store32(8, ExtRxInt)
		rx.Store32(0, (StE|StW)<<16) // no dma_wmb
		for rx.Pending() > 0 && rx.mem[0] == 0 {
			rx.drainOne()
		}
		e.Step(1)
		msgs, _ := s.Errors()
		flagged = len(msgs) > 0 && strings.Contains(msgs[0], "ownership visible before")
	}
	if !flagged {
		t.Fatal("the device never flagged an owner bit visible before the fields")
	}
}

func TestDoorbellWithoutWMBFlagged(t *testing.T) {
	s := quiet(t, 4096)
	rx, _ := s.NewDescRegion(0x1000, 32)
	tx, _ := s.NewDescRegion(0x2000, 32)
	e, _ := s.NewENET(ENETConfig{Rx: rx, Tx: tx, RxSize: 1, TxSize: 1, MRBR: 1536})
	rx.Store32(0, 1)
	e.RxDoorbell().Kick()
	if _, n := s.Errors(); n != 1 {
		t.Fatalf("doorbell with buffered stores: %d errors, want 1", n)
	}
	s.WMB()
	e.RxDoorbell().Kick()
	if _, n := s.Errors(); n != 1 {
		t.Fatalf("doorbell after wmb flagged: %d errors", n)
	}
}

func TestDMAReadSeesRAMNotCache(t *testing.T) {
	s := quiet(t, 4096)
	copy(s.Bytes(), "hello")
	var p [5]byte
	s.dmaRead(0, p[:])
	if string(p[:]) == "hello" {
		t.Fatal("device read dirty cache data")
	}
	s.Clean(0, 5)
	s.dmaRead(0, p[:])
	if string(p[:]) != "hello" {
		t.Fatalf("device read %q after clean", p)
	}
}

// TestSameValueStoreOnStaleLine: a store of the byte a stale line already
// shows is invisible to the byte comparison; CPUStored makes it count.
func TestSameValueStoreOnStaleLine(t *testing.T) {
	s := quiet(t, 4096)
	s.fill(0)
	s.dmaWrite(0, []byte{5}) // RAM 5, the present line still shows 0
	s.Bytes()[0] = 0         // the CPU stores 0: same as the view
	s.Clean(0, 1)
	if s.RAM()[0] != 5 {
		t.Fatal("model detected a same-value store by itself?")
	}
	s.CPUStored(0, 1)
	s.Clean(0, 1)
	if s.RAM()[0] != 0 {
		t.Fatal("CPUStored did not make the store reach RAM on clean")
	}
}

// TestTxWriteBackStaleWithoutRMB: once a load saw R clear, the enhanced
// status (where the device reports a TX error) may still read as the value
// the CPU wrote, unless a DmaRMB came between.
func TestTxWriteBackStaleWithoutRMB(t *testing.T) {
	for _, barrier := range []bool{false, true} {
		stale := 0
		for seed := uint64(1); seed <= 200; seed++ {
			s, _ := New(Config{Seed: seed, RegionSize: 4096, StalePermille: 500, TxErrPermille: 1000})
			rx, _ := s.NewDescRegion(0x1000, 32)
			tx, _ := s.NewDescRegion(0x2000, 32)
			e, _ := s.NewENET(ENETConfig{Rx: rx, Tx: tx, RxSize: 1, TxSize: 1, MRBR: 1536})
			tx.Store32(4, uint32(s.BusAddr()))
			tx.Store32(8, ExtTxInt)
			s.DmaWMB()
			tx.Store32(0, uint32(StR|StW|StL|StTC)<<16|60)
			s.WMB()
			e.TxDoorbell().Kick()
			e.Step(1)
			if e.Stats.TxErrors != 1 {
				t.Fatalf("seed %d: %d TX errors written back, want 1", seed, e.Stats.TxErrors)
			}
			for i := 0; tx.Load32(0)>>16&StR != 0; i++ {
				if i > 100 {
					t.Fatalf("seed %d: R never read as clear", seed)
				}
			}
			if barrier {
				s.DmaRMB()
			}
			if tx.Load32(8)&ExtTXE == 0 {
				stale++
			}
			if _, n := s.Errors(); n != 0 {
				t.Fatalf("seed %d: %d violations", seed, n)
			}
		}
		if (stale > 0) == barrier {
			t.Fatalf("barrier=%v: %d of 200 status reads missed the TX error", barrier, stale)
		}
	}
}

// TestDirtyAtStart: DirtyPermille lines hold CPU garbage that reaches RAM
// on clean (or eviction), and invalidating them is reported.
func TestDirtyAtStart(t *testing.T) {
	s, _ := New(Config{Seed: 1, RegionSize: 4096, DirtyPermille: 1000})
	if p, d := s.LineState(0); !p || !d || bytes.Equal(s.Bytes()[:LineSize], s.RAM()[:LineSize]) {
		t.Fatalf("line 0 present %v dirty %v, view equals RAM: want a dirty garbage line", p, d)
	}
	s.Clean(0, 64)
	if !bytes.Equal(s.Bytes()[:LineSize], s.RAM()[:LineSize]) {
		t.Fatal("clean did not write the garbage back")
	}
	s.Invalidate(64, 64)
	if _, n := s.Errors(); n != 1 {
		t.Fatalf("invalidating a dirty line at start reported %d errors, want 1", n)
	}
}
