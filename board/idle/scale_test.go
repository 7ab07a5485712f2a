package idle

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// freqs: 1 Hz, i.MX6UL(L) as tamago sets it, a common 24 MHz, QEMU's
// 62.5 MHz and the largest accepted.
var freqs = []uint32{1, 8e6, 24e6, 62.5e6, 1e9 - 1}

// exactNS is cnt*1e9/freq, floored.
func exactNS(cnt uint64, freq uint32) *big.Int {
	n := new(big.Int).Mul(new(big.Int).SetUint64(cnt), big.NewInt(1e9))
	return n.Quo(n, big.NewInt(int64(freq)))
}

// counts up to ten years and to 2^63 ns, including the 32-bit boundaries.
func counts(freq uint32, r *rand.Rand) []uint64 {
	tenYears := uint64(freq) * 3600 * 24 * 3653
	last := uint64(1<<63-1) / 1e9 * uint64(freq)
	c := []uint64{0, 1, 1<<32 - 1, 1 << 32, 1<<32 + 1, 1<<33 - 1, tenYears, last}
	for range 1000 {
		c = append(c, r.Uint64N(tenYears), r.Uint64N(last))
	}
	return c
}

func TestScaleMatchesExactTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range freqs {
		s, err := newScale(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range counts(f, r) {
			got := new(big.Int).SetUint64(s.ns(c))
			want := exactNS(c, f)
			// Never behind; ahead by at most 1 ns plus 2^-31 of the time
			// (mult's rounding, after the largest shift).
			slack := new(big.Int).Rsh(want, 31)
			slack.Add(slack, big.NewInt(1))
			if d := new(big.Int).Sub(got, want); d.Sign() < 0 || d.Cmp(slack) > 0 {
				t.Fatalf("%d Hz: ns(%d) = %v, exact %v (off by %v, allowed [0, %v])", f, c, got, want, d, slack)
			}
		}
	}
}

func TestScaleMonotonic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, f := range freqs {
		s, _ := newScale(f)
		for _, c := range counts(f, r) {
			if s.ns(c+1) < s.ns(c) {
				t.Fatalf("%d Hz: ns(%d) = %d > ns(%d) = %d", f, c, s.ns(c), c+1, s.ns(c+1))
			}
		}
	}
}

// An alarm ticks(d) counts after any count c is at least
// d nanoseconds later on the same clock: the governor never wakes early.
func TestTicksNeverEarly(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, f := range freqs {
		s, _ := newScale(f)
		for _, c := range counts(f, r) {
			for _, d := range []uint32{0, 1, 999, 1e6, 1e9, 1<<32 - 1, r.Uint32()} {
				k := s.ticks(d)
				if got := s.ns(c+k) - s.ns(c); got < uint64(d) {
					t.Fatalf("%d Hz: from count %d, %d counts for %d ns are only %d ns", f, c, k, d, got)
				}
				// Not grossly late either: within two counts of exact.
				if exact := exactNS(k, f).Uint64(); exact > uint64(d)+2*(1e9/uint64(f)+1) {
					t.Fatalf("%d Hz: ticks(%d) = %d counts = %d ns", f, d, k, exact)
				}
			}
		}
	}
}

func TestNewScaleRejects(t *testing.T) {
	for _, f := range []uint32{0, 1e9, 1<<32 - 1} {
		if _, err := newScale(f); err == nil {
			t.Errorf("newScale(%d) accepted", f)
		}
	}
}
