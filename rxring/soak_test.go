// soak_test.go runs the whole protocol against the model for millions of
// frames: random sizes, random evictions, speculative fills, store-buffer
// reordering and device timing, ring sizes 2..512, verdict mixes, in-place
// rewrites, error frames and forced pool exhaustion. Every frame is checked
// on delivery and on transmission; every page must come back.
package rxring_test

import (
	"errors"
	"testing"

	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

// mix is a traffic profile, all in per mille of frames.
type mix struct {
	drop, fwd  int // the rest is Local
	mangle     int // rewrite the destination MAC in place before the verdict
	reply      int // of Local frames: answer with a copied frame
	errs       int // frames the MAC reports as bad
	reclaimOne int // 1-in-N chance per pass that TX completions are reaped
}

type expectTx struct {
	seq uint64
	n   int
	dst byte
}

type soakResult struct {
	injected, delivered, errInjected, fwdRefused, copyRefused, sent uint64
	fwdCopied                                                       uint64
	rx                                                              rxring.Stats
	model                                                           noncoherent.Counters
}

type xs struct{ s uint64 }

func (x *xs) next() uint64 {
	x.s ^= x.s << 13
	x.s ^= x.s >> 7
	x.s ^= x.s << 17
	return x.s
}
func (x *xs) intn(n int) int { return int(x.next() % uint64(n)) }

var errBitsChoice = [...]uint16{noncoherent.StLG, noncoherent.StNO, noncoherent.StCR, noncoherent.StOV, noncoherent.StTR}

// runSoak pushes frames through rig configuration c with traffic m.
func runSoak(t testing.TB, c rigCfg, frames int, m mix) soakResult {
	t.Helper()
	g := newRig(t, c)
	rnd := xs{(c.seed+seedBase())*2654435761 + 1}
	var res soakResult
	var wire, local, reply [2048]byte
	fifo := make([]expectTx, 0, 1024)
	head := 0
	var lastSeq uint64

	g.dev.OnTransmit(func(b []byte) {
		if head == len(fifo) {
			t.Fatalf("%v: device sent a frame nobody queued", c)
		}
		e := fifo[head]
		head++
		if head == len(fifo) {
			fifo, head = fifo[:0], 0
		}
		seq, _, err := noncoherent.CheckTestFrame(b)
		if err != nil || seq != e.seq || len(b) != e.n || b[0] != e.dst {
			t.Fatalf("%v: transmitted frame corrupt: %v seq %d want %d, len %d want %d, dst %#x want %#x",
				c, err, seq, e.seq, len(b), e.n, b[0], e.dst)
		}
		res.sent++
	})

	cb := func(f *rxring.Frame) rxring.Verdict {
		b := f.Bytes()
		seq, flags, err := noncoherent.CheckTestFrame(b)
		if err != nil {
			t.Fatalf("%v: received frame corrupt after seq %d: %v", c, lastSeq, err)
		}
		if seq <= lastSeq || flags&1 != 0 {
			t.Fatalf("%v: frame %d delivered after %d (flags %#x)", c, seq, lastSeq, flags)
		}
		lastSeq = seq
		res.delivered++
		h := (seq * 0x9e3779b97f4a7c15) >> 40
		dst := byte(0xff)
		if int(h%1000) < m.mangle {
			dst = byte(seq % 251)
			for i := range 6 {
				b[i] = dst
			}
		}
		switch r := int((h >> 10) % 1000); {
		case r < m.drop:
			return rxring.Drop
		case r < m.drop+m.fwd:
			ref := f.Ref()
			fifo = append(fifo, expectTx{seq, len(b), dst}) // the device may send at once
			err := g.tx.EnqueueRef(ref)                     // the TX ring's from here, also on error
			if errors.Is(err, txring.ErrBadBuf) {           // SHIFT16: not aligned for the uDMA
				err = g.tx.EnqueueWith(len(b), func(buf []byte) int { return copy(buf, b) })
				res.fwdCopied++
			}
			if err != nil {
				fifo = fifo[:len(fifo)-1]
				res.fwdRefused++
				return rxring.Drop
			}
			return rxring.Forward
		default:
			n := copy(local[:], b)
			if _, _, err := noncoherent.CheckTestFrame(local[:n]); err != nil {
				t.Fatalf("%v: local copy corrupt: %v", c, err)
			}
			if int((h>>20)%1000) < m.reply {
				rs := seq | 1<<62
				fifo = append(fifo, expectTx{rs, n, 0xff})
				frame := noncoherent.PutTestFrame(reply[:], rs, n, 0)
				if err := g.tx.EnqueueWith(len(frame), func(buf []byte) int { return copy(buf, frame) }); err != nil {
					fifo = fifo[:len(fifo)-1]
					res.copyRefused++
				}
			}
			return rxring.Local
		}
	}

	seq := uint64(0)
	pass := func(budget int) int {
		n := g.rx.Poll(budget, cb)
		g.tx.Flush()
		if m.reclaimOne <= 1 || rnd.intn(m.reclaimOne) == 0 {
			g.tx.Reclaim(1 + rnd.intn(g.tx.Size()))
		}
		return n
	}
	for res.injected < uint64(frames) {
		burst := 1 + rnd.intn(2*c.rxSize)
		for range min(burst, 2*rxring.MaxSize-g.dev.Backlog()) {
			seq++
			size := noncoherent.TestFrameMin + rnd.intn(noncoherent.TestFrameMax-noncoherent.TestFrameMin+1)
			var eb uint16
			var flags byte
			if rnd.intn(1000) < m.errs {
				eb, flags = errBitsChoice[rnd.intn(len(errBitsChoice))], 1
				res.errInjected++
			}
			if !g.dev.Inject(noncoherent.PutTestFrame(wire[:], seq, size, flags), eb) {
				t.Fatalf("%v: backlog overflow", c)
			}
			res.injected++
		}
		g.dev.Step(1 + rnd.intn(c.rxSize))
		pass(1 + rnd.intn(2*c.rxSize))
		if _, n := g.sys.Errors(); n > 0 {
			g.modelErrors()
		}
	}
	// Drain: let the device deliver what it holds and the rings settle.
	for idle, spins := 0, 0; idle < 3; spins++ {
		if spins > 10000 {
			t.Fatalf("%v: ring stalled with %d frames held by the device", c, g.dev.Backlog())
		}
		g.sys.Quiesce()
		if pass(rxring.MaxSize) == 0 && g.dev.Backlog() == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	res.rx = g.rx.Stats()
	res.model = g.sys.C
	g.shutdown()
	if res.model.StaleFills != 0 {
		t.Fatalf("%v: %d invalidations not ordered after the ownership check", c, res.model.StaleFills)
	}
	if head != len(fifo) {
		t.Fatalf("%v: %d queued frames never transmitted", c, len(fifo)-head)
	}
	var errs uint64
	for _, e := range res.rx.Errors {
		errs += e
	}
	if errs != res.errInjected {
		t.Fatalf("%v: %d error frames injected, %d counted: %+v", c, res.errInjected, errs, res.rx.Errors)
	}
	if res.injected != res.delivered+errs+res.rx.RefillFail {
		t.Fatalf("%v: %d frames in, %d delivered + %d errors + %d refill failures",
			c, res.injected, res.delivered, errs, res.rx.RefillFail)
	}
	return res
}

var soakMixes = []mix{
	{drop: 1000, mangle: 300, errs: 10},                                     // filter drops all
	{fwd: 1000, mangle: 500, reclaimOne: 3},                                 // pure bridge
	{drop: 300, fwd: 400, mangle: 300, reply: 500, errs: 20, reclaimOne: 4}, // mixed
	{drop: 100, fwd: 200, mangle: 200, reply: 900, errs: 5, reclaimOne: 2},  // mostly local
	{drop: 0, fwd: 800, mangle: 100, reply: 1000, errs: 0, reclaimOne: 8},   // slow completions
}

// TestSoak is the million-frame run (scale it with FOSBURY_SOAK=N).
func TestSoak(t *testing.T) {
	sizes := []int{2, 3, 5, 16, 64, 128, 256, 512}
	per := scale(21000)
	if testing.Short() {
		per /= 10
	}
	total := uint64(0)
	var events noncoherent.Counters
	for i, size := range sizes {
		for j, m := range soakMixes {
			c := rigCfg{seed: uint64(1 + i*16 + j), rxSize: size, txSize: []int{2, 16, 64, 512}[(i+j)%4]}
			c.pages = size + c.txSize + 8
			frames := per
			if size >= 256 {
				frames = per * 2 // big rings need more frames to wrap often
			}
			res := runSoak(t, c, frames, m)
			total += res.injected
			events.Evictions += res.model.Evictions
			events.Writebacks += res.model.Writebacks
			events.SpecFills += res.model.SpecFills
			events.StaleDescLoads += res.model.StaleDescLoads
			if res.delivered == 0 || (m.fwd > 0 && res.sent == 0) {
				t.Fatalf("%v: nothing flowed: %+v", c, res)
			}
		}
	}
	// The model must have been hostile, or the run proves nothing.
	if events.Evictions == 0 || events.Writebacks == 0 || events.SpecFills == 0 || events.StaleDescLoads == 0 {
		t.Fatalf("model events too tame: %+v", events)
	}
	t.Logf("soak: %d frames, zero corruption, zero leaks; model: %d evictions (%d dirty write-backs), %d speculative fills, %d early descriptor loads",
		total, events.Evictions, events.Writebacks, events.SpecFills, events.StaleDescLoads)
}

// TestSoakShift16: the same protocol with RACC.SHIFT16, frames 2 bytes into
// their buffers; forwarded frames fall back to a copy.
func TestSoakShift16(t *testing.T) {
	for i, size := range []int{2, 16, 256} {
		c := rigCfg{seed: uint64(200 + i), rxSize: size, txSize: 64, shift16: true}
		c.pages = size + c.txSize + 8
		res := runSoak(t, c, scale(30000), soakMixes[2])
		if res.fwdCopied == 0 || res.delivered == 0 {
			t.Fatalf("%v: shifted frames not exercised: %+v", c, res)
		}
	}
}

// TestPoolExhaustion starves the pool: completions are rare, so forwarding
// eats every page. Refills must fail, be counted, and lose nothing.
func TestPoolExhaustion(t *testing.T) {
	for _, size := range []int{2, 8, 64} {
		c := rigCfg{seed: uint64(100 + size), rxSize: size, txSize: 256, pages: size + 3}
		res := runSoak(t, c, scale(20000), mix{fwd: 900, drop: 50, reply: 1000, mangle: 100, reclaimOne: 40})
		if res.rx.RefillFail == 0 || res.rx.FreshPages == 0 {
			t.Fatalf("%v: pool never ran dry: %+v", c, res.rx)
		}
	}
}
