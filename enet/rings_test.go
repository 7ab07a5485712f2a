// rings_test.go runs the MAC with the real rxring and txring over the
// non-coherent memory model: the register fake's RDAR/TDAR writes kick the
// model's uDMA, so the whole path (Start, ISR, budgeted Drain, RX verdicts,
// zero-copy forward, local copy, TX flush and reclaim) is exercised with
// cache and store-buffer effects, and must lose nothing and leak nothing.

package enet

import (
	"testing"

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
	rxd, _ := sys.NewDescRegion(0x00900000, rxSize*rxring.DescSize)
	txd, _ := sys.NewDescRegion(0x00910000, txSize*txring.DescSize)
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
	tx, err := NewTX(txr, txd.BusAddr(), pool)
	if err != nil {
		t.Fatal(err)
	}

	local := make(map[uint64]bool)
	sent := make(map[uint64]bool)    // forwarded frames seen on the wire
	replied := make(map[uint64]bool) // locally built replies seen on the wire
	type reply struct {
		seq uint64
		n   int
	}
	var toReply []reply
	var fwdFail int
	handler := func(fr *rxring.Frame) rxring.Verdict {
		seq, _, err := noncoherent.CheckTestFrame(fr.Bytes())
		if err != nil {
			t.Errorf("corrupt frame: %v", err)
			return rxring.Drop
		}
		if seq%2 == 1 { // forward odd frames, zero copy unless SHIFT16
			if err := tx.Forward(fr); err != nil {
				fwdFail++
			}
			return rxring.Forward
		}
		local[seq] = true
		toReply = append(toReply, reply{seq, fr.Len()})
		return rxring.Local
	}
	rx, err := NewRX(rxr, rxd.BusAddr(), handler)
	if err != nil {
		t.Fatal(err)
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

	if err := m.Start(rx, tx); err != nil {
		t.Fatal(err)
	}
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
		for before, passes := ^uint64(0), 0; before != m.Stats().RxPolled || dev.Backlog() > 0; passes++ {
			if passes > 1000 {
				t.Fatal("receive never drains")
			}
			before = m.Stats().RxPolled
			sys.Quiesce()
			f.raise(IntRXF)
			m.ISR()
			<-m.Wakeups()
			m.Drain()
			tx.Flush()
			// The stack's side: one reply per local frame, built in place.
			for _, r := range toReply {
				buf, ok := tx.TxReserve(r.n)
				for tries := 0; !ok; tries++ {
					if tries > 100 {
						t.Fatal("TX ring never frees (leaked pages?)")
					}
					tx.TxFlush()
					sys.Quiesce()
					buf, ok = tx.TxReserve(r.n)
				}
				noncoherent.PutTestFrame(buf, r.seq, r.n, 1)
				tx.TxCommit(r.n)
			}
			toReply = toReply[:0]
			tx.TxFlush()
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
	if !s.RXSet || s.RX.Frames != total || s.RxPolled != total {
		t.Errorf("RX counters %+v, polled %d", s.RX, s.RxPolled)
	}
	// The poll loop reclaims most; the ring reclaims the rest when full.
	if !s.TXSet || s.TX.Frames != total || s.TX.Completed != total || s.TX.Refused != 0 || s.TxReclaimed == 0 || s.TxReclaimed > total {
		t.Errorf("TX counters %+v, reclaimed %d", s.TX, s.TxReclaimed)
	}
	// Forwards are zero-copy unless SHIFT16 moved the frame off alignment;
	// replies are built in place (TxReserve) and queued by reference.
	if ts := txr.Stats(); !shift16 && ts.CopyFrames != 0 || shift16 && ts.CopyFrames != total/2 {
		t.Errorf("shift16 %v: %d frames copied", shift16, ts.CopyFrames)
	}
	if s.BudgetExhausted == 0 {
		t.Error("bursts never used a whole budget")
	}
	if s.RxDoorbells > s.Polls+1 {
		t.Errorf("%d RX doorbells for %d passes: more than one per batch", s.RxDoorbells, s.Polls)
	}
	if s.TxDoorbells == 0 || s.TxDoorbells > s.Interrupts {
		t.Errorf("%d TX doorbells for %d flushes", s.TxDoorbells, s.Interrupts)
	}

	m.Stop()
	sys.Quiesce()
	tx.Close()
	rxr.Close()
	txr.Close()
	if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked or double freed: %+v", ps)
	}
}

func TestTxReserve(t *testing.T) {
	sys, err := noncoherent.New(noncoherent.DefaultConfig(3, 16*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	txd, _ := sys.NewDescRegion(0x00910000, 2*txring.DescSize)
	rxd, _ := sys.NewDescRegion(0x00900000, 2*rxring.DescSize)
	pool, _ := pagepool.New(sys)
	dev, _ := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 2, TxSize: 2, MRBR: 1536, FCS: true})
	txr, err := txring.New(txring.Options{Size: 2, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTX(nil, 0, nil); err == nil {
		t.Error("NewTX(nil)")
	}
	noPool, _ := NewTX(txr, txd.BusAddr(), nil)
	if _, ok := noPool.TxReserve(60); ok {
		t.Error("TxReserve without a pool")
	}
	tx, _ := NewTX(txr, txd.BusAddr(), pool)
	if _, ok := tx.TxReserve(pagepool.HalfSize + 1); ok {
		t.Error("reserved more than a half page")
	}
	a, ok := tx.TxReserve(60)
	b, _ := tx.TxReserve(60) // never committed: the same buffer again
	if !ok || &a[0] != &b[0] {
		t.Fatal("abandoned reservation not reused")
	}
	tx.TxCommit(60)
	c, _ := tx.TxReserve(60) // second half of the same page
	if &c[0] == &a[0] {
		t.Fatal("committed buffer lent again")
	}
	tx.TxCommit(60)
	if _, ok := tx.TxReserve(60); ok { // two descriptors, both queued, none sent
		t.Fatal("TxReserve succeeded on a full ring")
	}
	tx.TxCommit(0) // nothing reserved: ignored
	tx.TxFlush()
	sys.Quiesce()
	if _, ok := tx.TxReserve(60); !ok {
		t.Fatal("TxReserve failed after the device sent")
	}
	tx.TxCommit(60)
	tx.TxFlush()
	sys.Quiesce()
	allocs := testing.AllocsPerRun(200, func() {
		buf, ok := tx.TxReserve(128)
		if !ok {
			t.Fatal("ring full in steady state")
		}
		buf[0] = 1
		tx.TxCommit(128)
		tx.TxFlush()
		sys.Quiesce()
		tx.Reclaim()
	})
	if allocs != 0 {
		t.Errorf("TX reserve/commit/flush/reclaim allocates %.1f per frame", allocs)
	}
	if _, ok := tx.TxReserve(60); !ok {
		t.Fatal("TxReserve failed")
	}
	tx.TxCommit(-1) // a bad length drops the reservation, counted
	if got := tx.TXCounters(); got.Refused != 1 || got.Frames != 3+201 {
		t.Errorf("counters %+v", got)
	}
	tx.TxFlush()
	sys.Quiesce()
	tx.Reclaim()
	tx.Close()
	txr.Close()
	if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked or double freed: %+v", ps)
	}
}
