// Fuzz targets: the slot decoder on any bytes (with the checksums fixed up
// so the archive parser is reached), and a two-slot store under arbitrary
// corruption, which must load one of the configurations written or none.
package cfgstore

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

func FuzzDecodeSlot(f *testing.F) {
	for n := 1; n <= 2; n++ {
		p, _ := encodePayload(conf(n))
		f.Add(p, true)
	}
	f.Add([]byte("FOSBCONF"), false)
	f.Fuzz(func(t *testing.T, p []byte, fix bool) {
		maxLen := small.maxPayload()
		b := make([]byte, BlockSize+roundUp(len(p)))
		copy(b[BlockSize:], p)
		if fix && len(p) <= maxLen {
			copy(b, header{length: len(p), seq: 1, sum: sha256.Sum256(p)}.encode())
		} else {
			copy(b, p)
		}
		c, h, err := decodeSlot(b, maxLen)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same files.
		e, err := encodeSlot(c, h.seq, maxLen)
		if err != nil {
			t.Fatalf("decoded %d bytes but cannot re-encode: %v", h.length, err)
		}
		c2, _, err := decodeSlot(e, maxLen)
		if err != nil || !c2.Equal(c) {
			t.Fatalf("re-encoded slot: %v", err)
		}
	})
}

func FuzzCorruptStore(f *testing.F) {
	d := NewMemDevice(small.End())
	s, _ := Open(d, small, nil)
	c1, c2 := conf(1), conf(2)
	s.Write(c1)
	s.Write(c2)
	base := bytes.Clone(d.Data)
	f.Add(uint16(small.Start*BlockSize+20), []byte{1})
	f.Add(uint16((small.Start+small.SlotBlocks)*BlockSize+600), []byte{0xff, 0, 3})
	f.Fuzz(func(t *testing.T, off uint16, junk []byte) {
		copy(d.Data, base)
		o := int(off) % len(d.Data)
		copy(d.Data[o:], junk)
		s, err := Open(d, small, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, _, ok := s.Current()
		if ok && !c.Equal(c1) && !c.Equal(c2) {
			t.Fatalf("loaded a configuration never written: %q", c.Options)
		}
		if !ok && bytes.Equal(d.Data, base) {
			t.Fatal("no configuration from an intact medium")
		}
	})
}
