// fuzz_test.go fuzzes the handling of descriptor status written by the
// device: the pure decoder, and the whole ring fed by a hostile device that
// writes arbitrary status, length and enhanced bits.
package rxring

import (
	"testing"

	"github.com/fosbury-net/fosbury/bd"

	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
)

func FuzzClassify(f *testing.F) {
	f.Add(uint16(bd.L), uint32(0), uint16(64), uint16(1536), true)
	f.Add(uint16(bd.L|bd.RxCR), uint32(0), uint16(64), uint16(1536), false)
	f.Add(uint16(bd.L), uint32(bd.ExtRxME), uint16(100), uint16(256), true)
	f.Add(uint16(0), uint32(0), uint16(1536), uint16(1536), true)
	f.Add(uint16(bd.L), uint32(0), uint16(17), uint16(1536), true)
	f.Add(uint16(0xffff), uint32(0xffffffff), uint16(0xffff), uint16(0), false)
	f.Fuzz(func(t *testing.T, st uint16, ext uint32, length, buf uint16, fcs bool) {
		bufSize := int(buf)
		nfcs := 0
		if fcs {
			nfcs = 4
		}
		n, c := classify(st, ext, int(length), bufSize, nfcs)
		if c >= NumClasses || c.String() == "unknown" {
			t.Fatalf("class %d out of range", c)
		}
		errBits := st&(bd.RxTR|bd.RxOV|bd.RxLG|bd.RxNO|bd.RxCR) != 0 || ext&(bd.ExtRxME|bd.ExtRxPE|bd.ExtRxCE) != 0
		good := st&bd.L != 0 && !errBits && int(length) <= bufSize && int(length)-nfcs >= minFrame
		if (c == OK) != good {
			t.Fatalf("st %#x ext %#x len %d buf %d: class %v, good %v", st, ext, length, bufSize, c, good)
		}
		if c == OK && (n != int(length)-nfcs || n < minFrame || n > bufSize) {
			t.Fatalf("good frame length %d from descriptor length %d", n, length)
		}
		if c != OK && n != 0 {
			t.Fatalf("error class %v with length %d", c, n)
		}
		if st&bd.L == 0 && c != Fragment {
			t.Fatalf("buffer without L classed %v", c)
		}
	})
}

type nopBell struct{ n int }

func (b *nopBell) Kick() { b.n++ }

// FuzzDescriptorStatus: whatever the device writes into status, length and
// enhanced status, the ring never panics, lends only in-bounds frames of a
// sane length, accounts for every descriptor, re-arms each one correctly and
// leaks no page.
func FuzzDescriptorStatus(f *testing.F) {
	f.Add([]byte{4, 0x08, 0x00, 0x00, 0x64, 0, 0, 1})
	f.Add([]byte{2, 0x08, 0x04, 0x05, 0xdc, 1, 2, 3, 0x00, 0x00, 0x06, 0x00, 0, 1, 1, 0x08, 0, 0x06, 0x00, 0, 1, 1})
	f.Add([]byte{3, 0x80, 0x00, 0xff, 0xff, 0xff, 1, 9, 0x08, 0x21, 0x00, 0x10, 4, 0, 2})
	f.Add([]byte{9, 0x08, 0, 0, 14, 0, 1, 1, 0x08, 0, 0, 18, 0, 1, 1, 0x08, 0, 0, 18, 0, 1, 1, 0x08, 0, 0, 18, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		size := 2 + int(data[0])%8
		data = data[1:]
		sys, _ := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: (size + 6) * pagepool.PageSize})
		pool, _ := pagepool.New(sys)
		desc := bd.NewPlain(size, 0x1000) // a hostile device writes it
		bell := &nopBell{}
		r, err := New(Options{Size: size, Pool: pool, Desc: desc, Doorbell: bell, FCS: true})
		if err != nil {
			t.Fatal(err)
		}
		r.Start()
		var held []pagepool.Buf
		dev, consumed := 0, 0
		for len(data) >= 7 {
			rec := data[:7]
			data = data[7:]
			st := uint16(rec[0])<<8 | uint16(rec[1])
			length := uint16(rec[2])<<8 | uint16(rec[3])
			ext := uint32(rec[4]&0x7) << 24 // PE, CE, UC bits
			if rec[4]&0x80 != 0 {
				ext |= bd.ExtRxME
			}
			// The device completes a descriptor only if it owns it and
			// the record says so; the status it writes is arbitrary but for E.
			base := dev * bd.Size / 4
			if rec[4]&0x40 == 0 && desc.W[base+bd.LenStat/4]>>16&bd.Own != 0 {
				st &^= bd.Own
				desc.W[base+bd.Ext/4] = ext | bd.ExtRxInt
				desc.W[base+bd.LenStat/4] = uint32(st)<<16 | uint32(length)
				dev = (dev + 1) % size
			}
			keep := rec[5]
			consumed += r.Poll(1+int(rec[6])%4, func(fr *Frame) Verdict {
				b := fr.Bytes()
				if len(b) < minFrame || len(b) > r.bufSize-r.fcs {
					t.Fatalf("lent a frame of %d bytes", len(b))
				}
				pg, off, ok := pool.PageAt(pool.BusAddr(fr.page, fr.off))
				if !ok || off%pagepool.HalfSize != 0 || &pool.Bytes(pg, off, 1)[0] != &b[0] {
					t.Fatal("lent bytes are not the slot's DMA buffer")
				}
				if keep&1 != 0 {
					held = append(held, fr.Ref())
					return Forward
				}
				return Drop
			})
			// Every descriptor the ring does not own right now is armed.
			for i := range size {
				w := desc.W[i*bd.Size/4]
				if w>>16&bd.Own == 0 {
					continue // completed, waiting for the poll
				}
				if (w>>16&bd.W != 0) != (i == size-1) {
					t.Fatalf("descriptor %d armed with wrong wrap bit: %#x", i, w)
				}
				_, off, ok := pool.PageAt(desc.W[i*bd.Size/4+bd.Addr/4])
				if !ok || off%pagepool.HalfSize != 0 {
					t.Fatalf("descriptor %d armed with buffer %#x", i, desc.W[i*bd.Size/4+bd.Addr/4])
				}
			}
			if len(held) > 2 && keep&2 != 0 {
				for _, b := range held {
					pool.Release(b)
				}
				held = held[:0]
			}
		}
		s := r.Stats()
		var errs uint64
		for _, e := range s.Errors {
			errs += e
		}
		if uint64(consumed) != s.Frames+errs+s.RefillFail+s.Continued {
			t.Fatalf("%d descriptors consumed, accounted %d+%d+%d+%d", consumed, s.Frames, errs, s.RefillFail, s.Continued)
		}
		r.Close()
		for _, b := range held {
			pool.Release(b)
		}
		if ps := pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
			t.Fatalf("pages leaked: %+v", ps)
		}
	})
}
