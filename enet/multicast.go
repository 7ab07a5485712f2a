// multicast.go owns the destination-address hash filters (IAUR/IALR,
// GAUR/GALR): which multicast groups the MAC accepts when not promiscuous.

package enet

import "hash/crc32"

// hashBit returns the filter bit (0-63) for a destination address: the six
// most significant bits of the Ethernet CRC-32 of the address, computed
// LSB-first over its six bytes, without the final inversion (IMX6ULRM
// 22.6, hash table algorithm of address recognition; Linux fec_main.c
// computes the same; bits 63..32 in GAUR, 31..0 in GALR).
func hashBit(addr [6]byte) uint {
	crc := ^crc32.ChecksumIEEE(addr[:]) // ChecksumIEEE inverts at the end; undo it
	return uint(crc >> 26)
}

// groupHash folds addresses into the GAUR/GALR pair.
func groupHash(addrs [][6]byte) (gaur, galr uint32) {
	for _, a := range addrs {
		b := hashBit(a)
		if b >= 32 {
			gaur |= 1 << (b - 32)
		} else {
			galr |= 1 << b
		}
	}
	return gaur, galr
}

// SetMulticast programs the group hash so that frames to any of addrs are
// accepted (plus hash collisions: the stack must still filter). With
// Options.AllMulticast or Options.Promiscuous the call only records nothing
// and returns: every group is already accepted.
func (m *MAC) SetMulticast(addrs [][6]byte) {
	if m.opts.AllMulticast || m.opts.Promiscuous {
		return
	}
	gaur, galr := groupHash(addrs)
	m.regs.Write32(regGAUR, gaur)
	m.regs.Write32(regGALR, galr)
}
