// rings_test.go runs the MAC with the real rxring and txring over the
// non-coherent memory model: the register fake's RDAR/TDAR writes kick the
// model's uDMA, so the whole path (Start, ISR, budgeted Drain, RX verdicts,
// zero-copy forward, local copy, TX flush and reclaim) is exercised with
// cache and store-buffer effects, and must lose nothing and leak nothing.

package enet

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

func TestMACWithRingsOnModel(t *testing.T) {
	for _, seed := range []uint64{7, 11, 23, 42} {
		t.Run("", func(t *testing.T) { runMACWithRings(t, seed, seed == 42) })
	}
}

func runMACWithRings(t *testing.T, seed uint64, shift16 bool) {
	const rxSize, txSize, pages, total = 16, 16, 96, 600
	sys, err := noncoherent.New(noncoherent.DefaultConfig(seed, pages*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, rxSize*bd.Size)
	txd, _ := sys.NewDescRegion(0x00910000, txSize*bd.Size)
	pool, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: rxSize, TxSize: txSize,
		MRBR: rxring.DefaultBufSize, FCS: true, Shift16: shift16, Backlog: 2 * total})
	if err != nil {
		t.Fatal(err)
	}

	f := newFakeENET(newFakeBus(0))
	f.onRDAR, f.onTDAR = dev.RxDoorbell().Kick, dev.TxDoorbell().Kick
	m, err := New(Options{Port: ENET1, Regs: f, MAC: testMAC, Budget: 8, Shift16: shift16})
	if err != nil {
		t.Fatal(err)
	}
	if shift16 != (f.reg(regRACC)&raccSHIFT16 != 0) {
		t.Fatalf("RACC %#x for Shift16 %v", f.reg(regRACC), shift16)
	}
	rxr, err := rxring.New(rxring.Options{Size: rxSize, Pool: pool, Desc: rxd, Doorbell: m.RXBell(), FCS: true, Shift16: shift16})
	if err != nil {
		t.Fatal(err)
	}
	txr, err := txring.New(txring.Options{Size: txSize, Pool: pool, Desc: txd, Doorbell: m.TXBell()})
	if err != nil {
		t.Fatal(err)
	}
	tx := NewTX(txr)

	local := make(map[uint64]bool)
	sent := make(map[uint64]bool)    // forwarded frames seen on the wire
	replied := make(map[uint64]bool) // locally built replies seen on the wire
	type reply struct {
		seq uint64
		n   int
	}
	var toReply []reply
	var fwdFail int
	var refs []pagepool.Buf // forwarded this pass, sent at its end
	handler := func(fr *rxring.Frame) rxring.Verdict {
		seq, _, err := noncoherent.CheckTestFrame(fr.Bytes())
		if err != nil {
			t.Errorf("corrupt frame: %v", err)
			return rxring.Drop
		}
		if seq%2 == 1 { // forward odd frames: zero copy, or one copy with SHIFT16
			if !shift16 {
				refs = append(refs, fr.Ref())
			} else if err := tx.With(fr.Len(), func(b []byte) int { return copy(b, fr.Bytes()) }); err != nil {
				fwdFail++
			}
			return rxring.Forward
		}
		local[seq] = true
		toReply = append(toReply, reply{seq, fr.Len()})
		return rxring.Local
	}
	endPass := func() {
		fwdFail += len(refs) - tx.SendRefs(refs)
		refs = refs[:0]
		tx.Flush()
	}
	dev.OnTransmit(func(b []byte) {
		seq, flags, err := noncoherent.CheckTestFrame(b)
		if err != nil {
			t.Errorf("corrupt transmitted frame: %v", err)
			return
		}
		if flags == 1 {
			replied[seq] = true
		} else {
			sent[seq] = true
		}
	})

	if err := m.Start(rxr, tx, handler); err != nil {
		t.Fatal(err)
	}
	l := loopOf(t, m, endPass)
	if f.rdar != 1 {
		t.Fatalf("Start wrote RDAR %d times, want once (through the ring)", f.rdar)
	}
	if f.reg(regRDSR) != rxd.BusAddr() || f.reg(regTDSR) != txd.BusAddr() || f.reg(regMRBR) != rxring.DefaultBufSize {
		t.Fatalf("RDSR %#x TDSR %#x MRBR %d", f.reg(regRDSR), f.reg(regTDSR), f.reg(regMRBR))
	}

	var buf [2048]byte
	for seq := uint64(0); seq < total; {
		burst := 1 + int(seq%23) // up to 23 frames: more than the ring holds
		for i := 0; i < burst && seq < total; i++ {
			n := 60 + int(seq*97%1459)
			if !dev.Inject(noncoherent.PutTestFrame(buf[:], seq, n, 0), 0) {
				t.Fatal("model backlog full")
			}
			seq++
		}
		// Passes until one finds nothing: frames left in the ring or in
		// the model's backlog (ring overrun) are all picked up.
		for before, passes := ^uint64(0), 0; before != m.Stats().RX.Frames || dev.Backlog() > 0; passes++ {
			if passes > 1000 {
				t.Fatal("receive never drains")
			}
			before = m.Stats().RX.Frames
			sys.Quiesce()
			f.raise(IntRXF)
			m.ISR()
			<-m.notify
			l.Drain()
			// The stack's side: one reply per local frame, built in place.
			for _, r := range toReply {
				fill := func(buf []byte) int { return len(noncoherent.PutTestFrame(buf, r.seq, r.n, 1)) }
				for tries := 0; tx.With(r.n, fill) != nil; tries++ {
					if tries > 100 {
						t.Fatal("TX ring never frees (leaked pages?)")
					}
					tx.Flush()
					sys.Quiesce()
					tx.Reclaim()
				}
			}
			toReply = toReply[:0]
			tx.Flush()
			sys.Quiesce()
		}
	}
	for tx.Free() < txSize {
		sys.Quiesce()
		tx.Reclaim()
	}

	if msgs, n := sys.Errors(); n > 0 {
		t.Fatalf("model saw %d protocol violations, first %v", n, msgs)
	}
	if fwdFail != 0 {
		t.Errorf("%d forwards refused", fwdFail)
	}
	for seq := uint64(0); seq < total; seq++ {
		if seq%2 == 0 && !local[seq] {
			t.Fatalf("frame %d not delivered locally", seq)
		}
		if seq%2 == 1 && !sent[seq] {
			t.Fatalf("frame %d not forwarded", seq)
		}
		if seq%2 == 0 && !replied[seq] {
			t.Fatalf("reply to frame %d not transmitted", seq)
		}
	}
	s := m.Stats()
	if s.RX.Frames != total || s.RX.Forward != total/2 || s.RX.Local != total/2 {
		t.Errorf("RX counters %+v", s.RX)
	}
	ts := s.TX
	if ts.RefFrames+ts.BuiltFrames != total || ts.Completed != total || ts.Full+ts.NoPage+ts.BadBuf != 0 {
		t.Errorf("TX counters %+v", ts)
	}
	// Forwards are zero-copy unless SHIFT16 moved the frame off alignment;
	// replies are built in place (With).
	if !shift16 && ts.RefFrames != total/2 || shift16 && ts.BuiltFrames != total {
		t.Errorf("shift16 %v: %d by reference, %d built", shift16, ts.RefFrames, ts.BuiltFrames)
	}
	if s.BudgetExhausted == 0 {
		t.Error("bursts never used a whole budget")
	}
	if s.RX.Doorbells > s.Polls+1 {
		t.Errorf("%d RX doorbells for %d passes: more than one per batch", s.RX.Doorbells, s.Polls)
	}
	if ts.Doorbells == 0 || ts.Doorbells > 2*s.Polls {
		t.Errorf("%d TX doorbells for %d passes", ts.Doorbells, s.Polls)
	}

	m.Stop()
	sys.Quiesce()
	tx.Close()
	rxr.Close()
	if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked or double freed: %+v", ps)
	}
}

// TestTxWith: the lend-by-closure TX side. A loan ends with the call, so
// two writers never share a buffer; a full ring or an empty fill sends
// nothing and holds nothing; the steady state allocates nothing.
func TestTxWith(t *testing.T) {
	sys, err := noncoherent.New(noncoherent.DefaultConfig(3, 16*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	txd, _ := sys.NewDescRegion(0x00910000, 2*bd.Size)
	rxd, _ := sys.NewDescRegion(0x00900000, 2*bd.Size)
	pool, _ := pagepool.New(sys)
	dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 2, TxSize: 2, MRBR: 1536, FCS: true})
	var sent [][]byte
	dev.OnTransmit(func(b []byte) { sent = append(sent, append([]byte(nil), b...)) })
	txr, err := txring.New(txring.Options{Size: 2, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
	if err != nil {
		t.Fatal(err)
	}
	tx := NewTX(txr)
	if err := tx.With(pagepool.HalfSize+1, func([]byte) int { return 1 }); err == nil {
		t.Error("lent more than a half page")
	}
	var first *byte
	if err := tx.With(60, func(b []byte) int { first = &b[0]; b[0] = 0xa; return 60 }); err != nil {
		t.Fatal(err)
	}
	if err := tx.With(60, func(b []byte) int {
		if &b[0] == first {
			t.Error("a queued buffer was lent again")
		}
		b[0] = 0xb
		return 60
	}); err != nil {
		t.Fatal(err)
	}
	called := false
	if err := tx.With(60, func([]byte) int { called = true; return 60 }); err == nil || called {
		t.Fatalf("full ring: err %v, fill called %v", err, called)
	}
	tx.Flush()
	sys.Quiesce()
	if len(sent) != 2 || sent[0][0] != 0xa || sent[1][0] != 0xb {
		t.Fatalf("sent %d frames", len(sent))
	}
	if err := tx.With(60, func([]byte) int { return 0 }); err == nil {
		t.Error("an empty fill was queued")
	}
	dev.OnTransmit(func([]byte) {}) // keeping frames allocates
	allocs := testing.AllocsPerRun(200, func() {
		if err := tx.With(128, func(b []byte) int { b[0] = 1; return 128 }); err != nil {
			t.Fatal("ring full in steady state")
		}
		tx.Flush()
		sys.Quiesce()
		tx.Reclaim()
	})
	if allocs != 0 {
		t.Errorf("With/Flush/reclaim allocates %.1f per frame", allocs)
	}
	if s := tx.Stats(); s.BuiltFrames != 2+201 || s.Unfilled != 1 || s.Full != 1 {
		t.Errorf("counters %+v", s)
	}
	tx.Close()
	if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked or double freed: %+v", ps)
	}
}
