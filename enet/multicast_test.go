// multicast_test.go checks the group hash against a bit-serial CRC written
// from the algorithm's description, independent of hash/crc32.

package enet

import "testing"

// serialCRC is the reflected CRC-32 (polynomial 0xEDB88320), initial value
// all ones, no final inversion, one bit at a time.
func serialCRC(b []byte) uint32 {
	crc := uint32(0xFFFFFFFF)
	for _, x := range b {
		for i := 0; i < 8; i++ {
			bit := (uint32(x) >> i & 1) ^ (crc & 1)
			crc >>= 1
			if bit != 0 {
				crc ^= 0xEDB88320
			}
		}
	}
	return crc
}

func TestHashBit(t *testing.T) {
	addrs := [][6]byte{
		{0x33, 0x33, 0, 0, 0, 1},             // all-nodes
		{0x33, 0x33, 0xff, 0x12, 0x34, 0x56}, // solicited-node
		{0x01, 0x00, 0x5e, 0, 0, 1},          // 224.0.0.1
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for _, a := range addrs {
		if got, want := hashBit(a), uint(serialCRC(a[:])>>26); got != want {
			t.Errorf("%x: bit %d, want %d", a, got, want)
		}
	}
	gaur, galr := groupHash(addrs)
	bits := 0
	for _, w := range []uint32{gaur, galr} {
		for ; w != 0; w &= w - 1 {
			bits++
		}
	}
	if bits == 0 || bits > len(addrs) {
		t.Errorf("hash %08x:%08x has %d bits for %d addresses", gaur, galr, bits, len(addrs))
	}
}

func TestSetMulticast(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)
	a := [6]byte{0x33, 0x33, 0, 0, 0, 1}
	m.SetMulticast([][6]byte{a})
	b := hashBit(a)
	gaur, galr := f.reg(regGAUR), f.reg(regGALR)
	if b >= 32 && gaur != 1<<(b-32) || b < 32 && galr != 1<<b {
		t.Errorf("bit %d: GAUR %#x GALR %#x", b, gaur, galr)
	}
	m2, f2, _ := newTestMAC(t, func(o *Options) { o.AllMulticast = true })
	m2.SetMulticast(nil)
	if f2.reg(regGAUR) != 0xFFFFFFFF {
		t.Error("SetMulticast narrowed an all-multicast MAC")
	}
}
