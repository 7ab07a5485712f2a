// scale.go owns the fixed-point arithmetic between generic timer counts
// and nanoseconds: a multiply and a shift each way, no float and no
// division after setup, and no intermediate overflow for any count
// whose time fits in 64 bits (584 years at any frequency).

package idle

import "errors"

// scale converts a counter of a fixed frequency: ns = cnt*mult>>shift
// and cnt = ns*inv>>32. Both factors are rounded up, so that the clock
// never reads behind the exact one and an alarm never fires early.
type scale struct {
	mult, shift uint32
	inv         uint32
}

// newScale returns the scale of a counter of freq Hz, with the largest
// shift that keeps mult in 32 bits, the most precise (at 24 MHz: shift
// 26, mult within 2^-31 of the exact 1e9/24e6<<26, 0.4 ppb).
func newScale(freq uint32) (scale, error) {
	if freq == 0 || freq >= 1e9 {
		return scale{}, errors.New("counter frequency out of range (1 Hz to 1 GHz)")
	}
	s := scale{inv: uint32(divUp(uint64(freq)<<32, 1e9))}
	for s.shift = 32; ; s.shift-- {
		if m := divUp(1e9<<s.shift, uint64(freq)); m < 1<<32 {
			s.mult = uint32(m)
			return s, nil
		}
	}
}

func divUp(a, b uint64) uint64 { return (a + b - 1) / b }

// ns returns the time of cnt counts, cnt*mult>>shift, in two 32-bit
// halves: the high half exact, the low half truncated.
func (s scale) ns(cnt uint64) uint64 {
	hi, lo := cnt>>32, cnt&(1<<32-1)
	return hi*uint64(s.mult)<<(32-s.shift) + lo*uint64(s.mult)>>s.shift
}

// ticks returns the counts in ns nanoseconds, rounded up. Alarms are
// set at most 2^32 ns (4.3 s) ahead, which keeps the product in 64 bits
// and the rounding of inv below one count.
func (s scale) ticks(ns uint32) uint64 {
	return (uint64(ns)*uint64(s.inv) + 1<<32 - 1) >> 32
}
