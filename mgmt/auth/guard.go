// guard.go owns the check of one request's credential and the per-source
// limit on failed attempts, with its counters.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Failed attempts are limited per source by a token bucket (GCRA): a
// source may fail Burst times at once, then once per Interval. While it
// is over the limit every request from it is refused with its credential
// unchecked, so a correct guess cannot be told from a wrong one.
const (
	DefaultBurst    = 5
	DefaultInterval = 10 * time.Second
	// DefaultSources bounds the table of sources with recent failures.
	DefaultSources = 64
)

// Stats are the Guard's counters (in /status as "auth").
type Stats struct {
	Accepted uint64 `json:"accepted"` // requests with the right credential
	Missing  uint64 `json:"missing"`  // requests without a credential (401)
	Failed   uint64 `json:"failed"`   // wrong or malformed credentials (401), counted against their source
	Limited  uint64 `json:"limited"`  // refused unchecked: their source was over the limit (429)
	Sources  int    `json:"sources"`  // sources in the table now
	Evicted  uint64 `json:"evicted"`  // sources pushed out of the full table
}

// Outcome is the Guard's answer for one request.
type Outcome int

const (
	Accepted Outcome = iota
	Missing          // no credential: 401
	Failed           // wrong credential: 401
	Limited          // source over the limit: 429
)

// Options configure a Guard; zero fields take the defaults.
type Options struct {
	Burst    int
	Interval time.Duration
	Sources  int
}

type source struct {
	key netip.Prefix
	tat time.Time // theoretical arrival time of the next allowed failure (GCRA)
}

// Guard checks credentials against the token hash in force. Its methods
// are safe for concurrent use.
type Guard struct {
	burst    time.Duration // (Burst-1) * Interval
	interval time.Duration
	max      int

	mu      sync.Mutex
	hash    [sha256.Size]byte
	sources []source
	stats   Stats
}

// NewGuard returns a Guard accepting f's token.
func NewGuard(f File, o Options) *Guard {
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Sources <= 0 {
		o.Sources = DefaultSources
	}
	return &Guard{burst: time.Duration(o.Burst-1) * o.Interval, interval: o.Interval, max: o.Sources, hash: f.TokenHash}
}

// Set puts f's token in force; the previous one stops working at once.
func (g *Guard) Set(f File) {
	g.mu.Lock()
	g.hash = f.TokenHash
	g.mu.Unlock()
}

// Stats returns the counters.
func (g *Guard) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.Sources = len(g.sources)
	return s
}

// SourceKey is what failures are counted against: the IPv4 address, or
// the IPv6 /64 (one host may hold a whole /64).
func SourceKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, a.BitLen())
}

// Check decides a request from src carrying the Authorization header
// value authz (empty: none) at time now. When the outcome is Limited,
// retry says when the source may try again.
func (g *Guard) Check(src netip.Addr, authz string, now time.Time) (o Outcome, retry time.Duration) {
	key := SourceKey(src)
	g.mu.Lock()
	defer g.mu.Unlock()
	i := g.find(key)
	if i >= 0 {
		if wait := g.sources[i].tat.Sub(now) - g.burst; wait > 0 {
			g.stats.Limited++
			return Limited, wait
		}
	}
	tok, ok := credential(authz)
	switch {
	case authz == "":
		g.stats.Missing++
		return Missing, 0
	case ok && g.matches(tok):
		g.stats.Accepted++
		if i >= 0 { // a success forgives the source's earlier failures
			g.sources = append(g.sources[:i], g.sources[i+1:]...)
		}
		return Accepted, 0
	}
	g.stats.Failed++
	if i < 0 {
		i = g.add(key, now)
	}
	s := &g.sources[i]
	if s.tat.Before(now) {
		s.tat = now
	}
	s.tat = s.tat.Add(g.interval)
	return Failed, 0
}

// matches compares in constant time: the hash of what was presented
// against the hash in force.
func (g *Guard) matches(tok string) bool {
	h := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(h[:], g.hash[:]) == 1
}

func (g *Guard) find(key netip.Prefix) int {
	for i := range g.sources {
		if g.sources[i].key == key {
			return i
		}
	}
	return -1
}

// add puts key in the table. Sources whose failures have all been paid
// back leave it first; when it is still full, the source with the oldest
// arrival time goes (the one furthest below its limit).
func (g *Guard) add(key netip.Prefix, now time.Time) int {
	if len(g.sources) == g.max {
		kept := g.sources[:0]
		for _, s := range g.sources {
			if s.tat.After(now) {
				kept = append(kept, s)
			}
		}
		g.sources = kept
	}
	if len(g.sources) < g.max {
		g.sources = append(g.sources, source{key: key, tat: now})
		return len(g.sources) - 1
	}
	old := 0
	for i := range g.sources {
		if g.sources[i].tat.Before(g.sources[old].tat) {
			old = i
		}
	}
	g.stats.Evicted++
	g.sources[old] = source{key: key, tat: now}
	return old
}

// credential extracts the token from an Authorization value: Bearer TOKEN,
// or Basic base64(user:TOKEN).
func credential(authz string) (string, bool) {
	scheme, rest, ok := strings.Cut(authz, " ")
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return rest, rest != ""
	case strings.EqualFold(scheme, "Basic"):
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", false
		}
		_, pass, ok := strings.Cut(string(b), ":")
		return pass, ok && pass != ""
	}
	return "", false
}
