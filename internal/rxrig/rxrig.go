// Package rxrig is a test harness: one receive ring over the host cache
// model, lending real rxring.Frames (with page references) to a callback,
// for the tests of what consumes frames (capture, mgmt). Tests only.
package rxrig

import (
	"encoding/binary"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
)

// Rig is a pool of Pages pages and an 8-descriptor RX ring.
type Rig struct {
	Sys  *noncoherent.System
	Pool *pagepool.Pool
	Dev  *noncoherent.ENET
	RX   *rxring.Ring
}

// New builds the rig; at cleanup it closes the ring and fails the test if
// any page is still referenced.
func New(t testing.TB, pages int) *Rig {
	t.Helper()
	sys, err := noncoherent.New(noncoherent.DefaultConfig(7, pages*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	rxd, _ := sys.NewDescRegion(0x00900000, 8*bd.Size)
	txd, _ := sys.NewDescRegion(0x00908000, 8*bd.Size)
	dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 8, TxSize: 8, MRBR: rxring.DefaultBufSize, FCS: true, Backlog: 64})
	if err != nil {
		t.Fatal(err)
	}
	rx, err := rxring.New(rxring.Options{Size: 8, Pool: pool, Desc: rxd, Doorbell: dev.RxDoorbell(), FCS: true})
	if err != nil {
		t.Fatal(err)
	}
	rx.Start()
	t.Cleanup(func() {
		rx.Close()
		if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
			t.Errorf("pages leaked: %+v", ps)
		}
	})
	return &Rig{Sys: sys, Pool: pool, Dev: dev, RX: rx}
}

// Receive puts frames through the ring, one poll pass per ring's worth:
// pass is called once per pass and returns that pass's frame callback.
func (r *Rig) Receive(t testing.TB, pass func() func(*rxring.Frame), frames ...[]byte) {
	t.Helper()
	for len(frames) > 0 {
		n := min(len(frames), 8)
		for _, f := range frames[:n] {
			if !r.Dev.Inject(f, 0) {
				t.Fatal("model backlog full")
			}
		}
		frames = frames[n:]
		r.Sys.Quiesce()
		fn := pass()
		r.RX.Poll(64, func(f *rxring.Frame) rxring.Verdict { fn(f); return rxring.Drop })
	}
	if msgs, n := r.Sys.Errors(); n > 0 {
		t.Fatalf("model saw %d violations: %v", n, msgs)
	}
}

// InFlight is the pool's pages in use.
func (r *Rig) InFlight() int { return r.Pool.Stats().InFlight }

// UDP4 is an Ethernet+IPv4+UDP frame from 10.0.0.1:40000 to 10.0.0.2:dport
// with n payload bytes counting up from seq.
func UDP4(dport uint16, n int, seq byte) []byte {
	f := make([]byte, 14+20+8+n)
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0})
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(28+n))
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], dport)
	binary.BigEndian.PutUint16(ip[24:], uint16(8+n))
	for i := range n {
		f[42+i] = seq + byte(i)
	}
	return f
}
