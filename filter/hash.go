// A seeded 64-bit hash of a few words for the state, fragment and source
// tables. The seed is random per Engine so a sender cannot aim many flows
// at one hash chain.

package filter

import "math/bits"

const (
	hashK1 = 0x9e3779b97f4a7c15
	hashK2 = 0xbf58476d1ce4e5b9
)

func hashWords(seed uint64, w ...uint64) uint64 {
	h := seed
	for _, v := range w {
		h ^= v * hashK1
		h = bits.RotateLeft64(h, 29) * hashK2
	}
	// fmix64 finaliser (MurmurHash3) spreads the high bits to the low ones.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
