// wire.go owns the self-checking test frames the ring tests put on the
// modelled wire: each carries a sequence number, its length and a CRC of its
// payload, so any stale, torn or misplaced byte is caught.
package noncoherent

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Test frame layout: dst(6) src(6) type(2) seq(8) len(2) crc(4) flags(1)
// payload. The destination MAC is not covered by the CRC, so a forwarding
// test may rewrite it in place.
const (
	TestFrameMin = 60
	TestFrameMax = 1518
	testType     = 0x88b5 // IEEE local experimental EtherType
	hdrEnd       = 28
)

// Errors of CheckTestFrame.
var (
	ErrShort  = errors.New("test frame: short")
	ErrType   = errors.New("test frame: wrong EtherType")
	ErrLength = errors.New("test frame: length field mismatch")
	ErrCRC    = errors.New("test frame: payload CRC mismatch")
)

// PutTestFrame writes an n-byte test frame (TestFrameMin <= n <= len(b))
// with sequence number seq and flags into b, and returns b[:n].
func PutTestFrame(b []byte, seq uint64, n int, flags byte) []byte {
	b = b[:n]
	for i := range 6 {
		b[i] = 0xff
	}
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], testType)
	binary.BigEndian.PutUint64(b[14:], seq)
	binary.BigEndian.PutUint16(b[22:], uint16(n))
	b[hdrEnd] = flags
	x := seq*0x9e3779b97f4a7c15 + 1
	for i := hdrEnd + 1; i < n; i++ {
		if i%8 == 0 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		b[i] = byte(x >> (8 * (i % 8)))
	}
	binary.BigEndian.PutUint32(b[24:], crc32.ChecksumIEEE(b[hdrEnd:]))
	return b
}

// CheckTestFrame verifies a test frame and returns its sequence number and
// flags.
func CheckTestFrame(b []byte) (seq uint64, flags byte, err error) {
	if len(b) < TestFrameMin {
		return 0, 0, ErrShort
	}
	if binary.BigEndian.Uint16(b[12:]) != testType {
		return 0, 0, ErrType
	}
	if int(binary.BigEndian.Uint16(b[22:])) != len(b) {
		return 0, 0, ErrLength
	}
	if binary.BigEndian.Uint32(b[24:]) != crc32.ChecksumIEEE(b[hdrEnd:]) {
		return 0, 0, ErrCRC
	}
	return binary.BigEndian.Uint64(b[14:]), b[hdrEnd], nil
}
