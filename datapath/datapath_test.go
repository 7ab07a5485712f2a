package datapath

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

var (
	macA  = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} // the appliance, port 0
	macB  = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x57} // the appliance, port 1
	hostL = [6]byte{2, 0, 0, 0, 0, 1}                // a host on port 0's side
	hostR = [6]byte{2, 0, 0, 0, 0, 2}                // a host on port 1's side
	bcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

const rules = `
set default pass
reject proto tcp to any port 23
drop proto udp to any port 9
`

type side struct {
	dev  *noncoherent.ENET
	rx   *rxring.Ring
	tx   *enet.TX
	sent [][]byte
}

type rig struct {
	sys   *noncoherent.System
	pool  *pagepool.Pool
	sides [2]*side
	dp    *Datapath
	local [][]byte

	clockReads int
}

func newRig(t *testing.T, seed uint64) *rig { return newRigWith(t, seed, rules, nil) }

// newRigWith loads other rules and lets the test add to the options.
func newRigWith(t testing.TB, seed uint64, rules string, opts func(*Options, *pagepool.Pool, *filter.Engine)) *rig {
	t.Helper()
	sys, err := noncoherent.New(noncoherent.DefaultConfig(seed, 64*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sys: sys, pool: pool}
	var ports []Port
	macs := [2][6]byte{macA, macB}
	for i := range r.sides {
		rxd, _ := sys.NewDescRegion(uint32(0x00900000+i*0x10000), 8*bd.Size)
		txd, _ := sys.NewDescRegion(uint32(0x00908000+i*0x10000), 8*bd.Size)
		dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 8, TxSize: 8, MRBR: rxring.DefaultBufSize, FCS: true, Backlog: 64})
		if err != nil {
			t.Fatal(err)
		}
		rx, err := rxring.New(rxring.Options{Size: 8, Pool: pool, Desc: rxd, Doorbell: dev.RxDoorbell(), FCS: true})
		if err != nil {
			t.Fatal(err)
		}
		txr, err := txring.New(txring.Options{Size: 8, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
		if err != nil {
			t.Fatal(err)
		}
		tx := enet.NewTX(txr)
		s := &side{dev: dev, rx: rx, tx: tx}
		dev.OnTransmit(func(b []byte) { s.sent = append(s.sent, append([]byte(nil), b...)) })
		rx.Start()
		r.sides[i] = s
		ports = append(ports, Port{TX: tx, MAC: macs[i]})
	}
	eng := filter.NewEngine(filter.Options{HashSeed: 1, DeferPublish: true})
	if err := eng.Load("test.rules", []byte(rules)); err != nil {
		t.Fatal(err)
	}
	o := Options{Filter: eng, Ports: ports, Now: func() int64 { r.clockReads++; return int64(r.clockReads) * 1000 },
		Local: func(port int, f []byte) { r.local = append(r.local, append([]byte(nil), f...)) }}
	if opts != nil {
		opts(&o, pool, eng)
	}
	r.dp, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// receive injects frames on side in, polls them through the datapath and
// lets every TX ring send and complete.
func (r *rig) receive(t testing.TB, in int, frames ...[]byte) {
	t.Helper()
	s := r.sides[in]
	for _, f := range frames {
		if !s.dev.Inject(f, 0) {
			t.Fatal("model backlog full")
		}
	}
	for n := 0; n < len(frames); {
		r.sys.Quiesce()
		n += s.rx.Poll(64, r.dp.Handler(in))
		r.dp.EndPass() // once per pass, as enet.Loop does
	}
	for _, o := range r.sides {
		r.sys.Quiesce()
		o.tx.Reclaim()
	}
	if msgs, n := r.sys.Errors(); n > 0 {
		t.Fatalf("model saw %d violations: %v", n, msgs)
	}
}

// pass is one round of the poll loop: frames into side in, one poll
// pass through handler, the pass's end, and side out's TX completions.
func (r *rig) pass(in *side, handler func(*rxring.Frame) rxring.Verdict, out *side, frames ...[]byte) {
	for _, f := range frames {
		in.dev.Inject(f, 0)
	}
	r.sys.Quiesce()
	in.rx.Poll(64, handler)
	r.dp.EndPass()
	r.sys.Quiesce()
	out.tx.Reclaim()
}

func (r *rig) close(t testing.TB) {
	for _, s := range r.sides {
		for s.tx.Free() < 8 {
			r.sys.Quiesce()
			s.tx.Reclaim()
		}
		s.tx.Close()
		s.rx.Close()
	}
	if ps := r.pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked: %+v", ps)
	}
}

// ipv4 builds Ethernet+IPv4+L4 header with a payload (checksums right).
func ipv4(dst, src [6]byte, proto byte, dport uint16, payload int) []byte {
	l4 := 8
	if proto == 6 {
		l4 = 20
	}
	f := make([]byte, 14+20+l4+payload)
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:], uint16(20+l4+payload))
	copy(ip[12:16], []byte{10, 0, 0, 1})
	copy(ip[16:20], []byte{10, 0, 0, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], dport)
	if proto == 6 {
		ip[20+12] = 5 << 4
		ip[20+13] = 0x02 // SYN
	} else {
		binary.BigEndian.PutUint16(ip[24:], uint16(8+payload))
	}
	for i := 14 + 20 + l4; i < len(f); i++ {
		f[i] = byte(i)
	}
	return f
}

func TestVerdicts(t *testing.T) {
	r := newRig(t, 5)
	defer r.close(t)

	fwd := ipv4(hostR, hostL, 17, 53, 100)
	r.receive(t, 0, fwd)
	if len(r.sides[1].sent) != 1 || !bytes.Equal(r.sides[1].sent[0], fwd) || len(r.sides[0].sent) != 0 || len(r.local) != 0 {
		t.Fatalf("forward: right %d left %d local %d", len(r.sides[1].sent), len(r.sides[0].sent), len(r.local))
	}

	mine := ipv4(macA, hostL, 17, 53, 10)
	r.receive(t, 0, mine)
	if len(r.local) != 1 || !bytes.Equal(r.local[0], mine) || len(r.sides[1].sent) != 1 {
		t.Fatalf("local: %d local, %d forwarded", len(r.local), len(r.sides[1].sent))
	}

	b := ipv4(bcast, hostR, 17, 67, 10)
	r.receive(t, 1, b)
	if len(r.local) != 2 || len(r.sides[0].sent) != 1 || !bytes.Equal(r.sides[0].sent[0], b) {
		t.Fatalf("broadcast: %d local, %d flooded", len(r.local), len(r.sides[0].sent))
	}

	r.receive(t, 0, ipv4(hostR, hostL, 17, 9, 10)) // drop rule
	if len(r.sides[1].sent) != 1 || r.dp.Stats().Dropped != 1 {
		t.Fatalf("drop: forwarded %d, dropped %d", len(r.sides[1].sent), r.dp.Stats().Dropped)
	}

	syn := ipv4(hostR, hostL, 6, 23, 0) // reject rule: RST back out of port 0
	r.receive(t, 0, syn)
	// Side 0 has now sent the flooded broadcast and the RST.
	if len(r.sides[0].sent) != 2 || len(r.sides[1].sent) != 1 || r.dp.Stats().Rejected != 1 {
		t.Fatalf("reject: back %d, through %d", len(r.sides[0].sent), len(r.sides[1].sent))
	}
}

func TestRejectSendsRST(t *testing.T) {
	r := newRig(t, 9)
	defer r.close(t)
	r.receive(t, 0, ipv4(hostR, hostL, 6, 23, 0))
	if len(r.sides[0].sent) != 1 {
		t.Fatalf("%d replies", len(r.sides[0].sent))
	}
	rst := r.sides[0].sent[0]
	if !bytes.Equal(rst[0:6], hostL[:]) || rst[23] != 6 || rst[14+20+13]&0x04 == 0 {
		t.Fatalf("reply is not a TCP RST to the sender: % x", rst[:54])
	}
}

// Forwarding allocates nothing in steady state.
func TestForwardAllocs(t *testing.T) {
	r := newRig(t, 13)
	defer r.close(t)
	f := ipv4(hostR, hostL, 17, 53, 200)
	r.receive(t, 0, f) // warm up
	s := r.sides[0]
	handler := r.dp.Handler(0) // made once per port by the firmware
	wire := 0                  // count, don't keep: keeping allocates
	r.sides[1].dev.OnTransmit(func([]byte) { wire++ })
	allocs := testing.AllocsPerRun(200, func() { r.pass(s, handler, r.sides[1], f) })
	if allocs != 0 {
		t.Fatalf("%v allocs per forwarded frame", allocs)
	}
	if st := r.dp.Stats(); st.Forwarded < 200 || wire < 200 {
		t.Fatalf("only %d forwarded, %d on the wire", st.Forwarded, wire)
	}
}

// Rejects allocate nothing either (the reply is built in a lent buffer).
func TestRejectAllocs(t *testing.T) {
	r := newRig(t, 14)
	defer r.close(t)
	f := ipv4(hostR, hostL, 6, 23, 0)
	r.receive(t, 0, f)
	s := r.sides[0]
	handler := r.dp.Handler(0)
	wire := uint64(1) // the warm-up's reply
	s.dev.OnTransmit(func([]byte) { wire++ })
	allocs := testing.AllocsPerRun(200, func() { r.pass(s, handler, s, f) })
	if allocs != 0 {
		t.Fatalf("%v allocs per rejected frame", allocs)
	}
	// The filter's reply rate limit answers some rejects with nothing.
	fs := r.dp.o.Filter.Snapshot()
	if st := r.dp.Stats(); st.Rejected < 200 || st.RejectErrors != 0 || st.Rejected != fs.Replies+fs.RepliesLimited || wire != fs.Replies {
		t.Fatalf("stats %+v, filter replies %d (limited %d), %d on the wire", st, fs.Replies, fs.RepliesLimited, wire)
	}
}

// Bug 1 (issue 8): a forward refused by a full TX ring leaked the frame's
// page reference, so the pool ran dry. Fill the other port's ring within
// a pass (its doorbell rings only at the pass end) many times over: every
// refusal is counted, and once the rings drain the pages in flight are
// back to what the RX rings hold.
func TestForwardIntoFullRingLeaksNothing(t *testing.T) {
	r := newRig(t, 21)
	defer r.close(t)
	s, out := r.sides[0], r.sides[1]
	f := ipv4(hostR, hostL, 17, 53, 100)
	idle := r.pool.Stats().InFlight
	handler := r.dp.Handler(0)
	out.dev.OnTransmit(func([]byte) {})
	const rounds = 500
	for range rounds {
		for range 16 { // two RX rings' worth: more than the TX ring's 8
			s.dev.Inject(f, 0)
		}
		r.sys.Quiesce()
		s.rx.Poll(64, handler) // 8 frames
		r.sys.Quiesce()
		s.rx.Poll(64, handler) // 8 more, same pass: 16 for 8 descriptors
		r.dp.EndPass()
		r.sys.Quiesce()
		out.tx.Reclaim()
	}
	st := r.dp.Stats()
	if st.Forwarded != rounds*8 || st.ForwardErrors != rounds*8 {
		t.Fatalf("forwarded %d, refused %d; want %d each", st.Forwarded, st.ForwardErrors, rounds*8)
	}
	if ts := out.tx.Stats(); ts.Full != rounds*8 {
		t.Fatalf("TX ring counted %d refusals", ts.Full)
	}
	if ps := r.pool.Stats(); ps.InFlight != idle || ps.Exhausted != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages in flight %d after draining, idle %d: %+v", ps.InFlight, idle, ps)
	}
}

// Bug 2 (issue 8): two writers on one TX (the netstack's endpoint and the
// reject path) shared a reservation. With the lend-by-closure TX.With the
// loan cannot be shared: two goroutines interleave (each yields inside its
// loan), and every frame on the wire is exactly one writer's, whole.
func TestTxWritersInterleaved(t *testing.T) {
	r := newRig(t, 22)
	defer r.close(t)
	tx := r.sides[0].tx
	const perWriter = 300
	done := make(chan error, 2)
	for w := range 2 {
		go func() {
			for k := range perWriter {
				n := 60 + (w*perWriter+k)%900
				err := tx.With(n, func(buf []byte) int {
					buf[0], buf[1], buf[2] = byte(w), byte(k), byte(k>>8)
					runtime.Gosched() // let the other writer try its loan now
					for i := 3; i < n; i++ {
						buf[i] = byte(w*7 + k + i)
					}
					return n
				})
				if errors.Is(err, txring.ErrFull) {
					runtime.Gosched()
					tx.Flush()
					tx.Reclaim()
					continue // the other writer holds the ring: this frame is skipped
				}
				if err != nil {
					done <- err
					return
				}
				tx.Flush()
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	r.sys.Quiesce()
	tx.Reclaim()
	sent := r.sides[0].sent
	ts := tx.Stats()
	if uint64(len(sent)) != ts.BuiltFrames || len(sent) == 0 {
		t.Fatalf("%d frames on the wire, %d queued", len(sent), ts.BuiltFrames)
	}
	seen := map[[2]int]bool{}
	for _, f := range sent {
		w, k := int(f[0]), int(f[1])|int(f[2])<<8
		n := 60 + (w*perWriter+k)%900
		if w > 1 || len(f) != n || seen[[2]int{w, k}] {
			t.Fatalf("frame from writer %d, #%d: %d bytes (want %d), seen before %v", w, k, len(f), n, seen[[2]int{w, k}])
		}
		seen[[2]int{w, k}] = true
		for i := 3; i < n; i++ {
			if f[i] != byte(w*7+k+i) {
				t.Fatalf("frame from writer %d, #%d: byte %d is %#x: another writer's", w, k, i, f[i])
			}
		}
	}
}

// The clock is read once per pass that has frames, not once per frame.
func TestOneClockReadPerPass(t *testing.T) {
	r := newRig(t, 23)
	defer r.close(t)
	f := ipv4(hostR, hostL, 17, 53, 100)
	r.receive(t, 0, f, f, f, f, f, f) // one pass: the ring holds 8
	if r.clockReads != 1 {
		t.Fatalf("%d clock reads for one pass of 6 frames", r.clockReads)
	}
	r.dp.EndPass() // an empty pass reads nothing
	r.receive(t, 1, ipv4(hostL, hostR, 17, 53, 100))
	if r.clockReads != 2 {
		t.Fatalf("%d clock reads after the second pass", r.clockReads)
	}
}

func TestNewRejects(t *testing.T) {
	eng := filter.NewEngine(filter.Options{})
	now := func() int64 { return 0 }
	for name, o := range map[string]Options{
		"no filter":  {Ports: []Port{{TX: &enet.TX{}}}, Now: now},
		"no clock":   {Filter: eng, Ports: []Port{{TX: &enet.TX{}}}},
		"no ports":   {Filter: eng, Now: now},
		"no TX":      {Filter: eng, Ports: []Port{{}}, Now: now},
		"five ports": {Filter: eng, Ports: make([]Port, 5), Now: now},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
