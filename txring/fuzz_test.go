// fuzz_test.go fuzzes completion handling: a hostile device writes any
// status and enhanced bits into TX descriptors; the ring must never release
// a buffer twice or early, never panic, and leak nothing.
package txring

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"

	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
)

type nopBell struct{}

func (nopBell) Kick() {}

func FuzzCompletionStatus(f *testing.F) {
	f.Add([]byte{4, 0, 0, 0, 0, 1, 0, 0, 0, 2, 3})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0xff, 2, 0x7f, 0xbf, 3})
	f.Add([]byte{7, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 2, 0, 0xff, 3, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		size := 2 + int(data[0])%8
		sys, _ := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: 16 * pagepool.PageSize})
		pool, _ := pagepool.New(sys)
		desc := bd.NewPlain(size, 0x1000) // a hostile device writes it
		r, err := New(Options{Size: size, Pool: pool, Desc: desc, Doorbell: nopBell{}})
		if err != nil {
			t.Fatal(err)
		}
		frame := make([]byte, 100)
		dev := 0 // the device completes in order, as the uDMA does
		for i := 1; i+2 < len(data); i += 3 {
			switch data[i] % 4 {
			case 0, 1:
				n := 60 + int(data[i+1])%40
				_ = r.EnqueueWith(n, func(buf []byte) int { return copy(buf, frame[:n]) })
			case 2: // the device writes back the next descriptor it owns
				base := dev * bd.Size / 4
				if desc.W[base]>>16&bd.Own != 0 {
					st := uint32(data[i+1])<<8 | uint32(data[i+2])
					if data[i+2]&1 == 0 {
						st &^= bd.Own // completed; otherwise a garbage write that keeps R
					}
					desc.W[base+bd.Ext/4] = uint32(data[i+2]) << 8
					desc.W[base] = st<<16 | desc.W[base]&0xffff
					if st&bd.Own == 0 {
						dev = (dev + 1) % size
					}
				}
			case 3:
				r.Flush()
				before := r.used
				n := r.Reclaim(1 + int(data[i+1])%size)
				if r.used != before-n || r.used < 0 {
					t.Fatalf("reclaimed %d, used %d -> %d", n, before, r.used)
				}
			}
			// Every descriptor still owned by the device keeps its page.
			for j := range size {
				if desc.W[j*bd.Size/4]>>16&bd.Own != 0 && pool.Refs(r.bufs[j].Page) <= 0 {
					t.Fatalf("descriptor %d owned by the device but its page was released", j)
				}
			}
		}
		r.Close()
		if s := pool.Stats(); s.InFlight != 0 || s.BadUnref != 0 {
			t.Fatalf("pages leaked or double freed: %+v", s)
		}
	})
}
