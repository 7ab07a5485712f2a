// rand.go owns the model's seeded pseudo-random source (xorshift64*),
// so runs are reproducible from a seed and allocate nothing.
package noncoherent

type rng struct{ s uint64 }

func newRNG(seed uint64) rng {
	if seed == 0 {
		seed = 0x9e3779b97f4a7c15
	}
	return rng{s: seed}
}

func (r *rng) next() uint64 {
	r.s ^= r.s >> 12
	r.s ^= r.s << 25
	r.s ^= r.s >> 27
	return r.s * 2685821657736338717
}

// intn returns a value in [0, n); n > 0.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// permille reports true with probability p/1000.
func (r *rng) permille(p int) bool { return p > 0 && int(r.next()%1000) < p }
