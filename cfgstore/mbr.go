// mbr.go owns the card's partition table as far as the store cares: the
// one imgtool writes, and the check that no other partition overlaps the
// store before the firmware writes to it.
package cfgstore

import (
	"encoding/binary"
	"fmt"
)

// PartitionType marks the store's MBR partition: 0xDA, "non-FS data".
const PartitionType = 0xda

// MBR layout (the classic IBM PC boot sector): four 16-byte entries from
// byte 446, signature 0x55 0xAA at 510.
const (
	mbrTable = 446
	mbrEntry = 16
	mbrSig   = 510
)

// MBR returns a boot sector whose only partition covers the store. CHS
// fields hold the "use LBA" marker; the i.MX boot ROM ignores the sector.
func MBR(l Layout) []byte {
	b := make([]byte, BlockSize)
	e := b[mbrTable:]
	copy(e[1:4], []byte{0xfe, 0xff, 0xff})
	e[4] = PartitionType
	copy(e[5:8], []byte{0xfe, 0xff, 0xff})
	binary.LittleEndian.PutUint32(e[8:], uint32(l.Start))
	binary.LittleEndian.PutUint32(e[12:], uint32(2*l.SlotBlocks))
	b[mbrSig], b[mbrSig+1] = 0x55, 0xaa
	return b
}

// checkMBR returns an error if b is a partition table with a partition
// other than PartitionType over the store: writing would destroy it. A
// block without the signature is no partition table (a card written with
// only the .imx).
func checkMBR(b []byte, l Layout) error {
	if len(b) < BlockSize || b[mbrSig] != 0x55 || b[mbrSig+1] != 0xaa {
		return nil
	}
	for i := range 4 {
		e := b[mbrTable+i*mbrEntry:][:mbrEntry]
		typ := e[4]
		first := int64(binary.LittleEndian.Uint32(e[8:]))
		n := int64(binary.LittleEndian.Uint32(e[12:]))
		if typ == 0 || typ == PartitionType || n == 0 {
			continue
		}
		if first < l.End() && first+n > l.Start {
			return fmt.Errorf("partition %d (type %#02x, blocks %d-%d) overlaps the store (blocks %d-%d): writes refused",
				i+1, typ, first, first+n-1, l.Start, l.End()-1)
		}
	}
	return nil
}
