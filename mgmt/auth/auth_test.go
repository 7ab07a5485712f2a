package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestFileRoundTrip(t *testing.T) {
	tok, f := NewToken()
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not 43 characters of unpadded base64url", tok)
	}
	b := f.Marshal()
	if bytes.Contains(b, []byte(tok)) {
		t.Fatal("the file holds the token itself")
	}
	h := sha256.Sum256([]byte(tok))
	if !bytes.Contains(b, []byte(hex.EncodeToString(h[:]))) {
		t.Fatalf("the file lacks the token's SHA-256:\n%s", b)
	}
	g, err := Parse(b)
	if err != nil || g != f || FileFor(tok) != f {
		t.Fatalf("parse: %v, %x want %x", err, g.TokenHash, f.TokenHash)
	}
	if tok2, _ := NewToken(); tok2 == tok {
		t.Fatal("two tokens alike")
	}
}

func TestParseErrors(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, c := range []struct{ src, want string }{
		{"", "fosbury.auth:1:1: no token-sha256 line"},
		{"# only a comment\n\n", "fosbury.auth:1:1: no token-sha256 line"},
		{"token-sha256 " + hash + "\n  token-sha256 " + hash, "fosbury.auth:2:3: token-sha256 is given twice"},
		{"token " + hash, "fosbury.auth:1:1: unknown statement \"token\""},
		{"\n\ttoken-sha256   abc", "fosbury.auth:2:17: want 64 hex digits (a SHA-256), got \"abc\""},
		{"token-sha256 " + hash + "00", "fosbury.auth:1:14: want 64 hex digits"},
		{"token-sha256 " + strings.Repeat("zz", 32), "fosbury.auth:1:14: want 64 hex digits"},
		{strings.Repeat("#", 5000), "fosbury.auth:1:1: file is 5000 bytes"},
	} {
		_, err := Parse([]byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%.40q: error %v, want %q", c.src, err, c.want)
		}
	}
	if f, err := Parse([]byte("  token-sha256 " + hash + "  # ok\r\n")); err != nil || f.TokenHash[0] != 0xab {
		t.Errorf("indented, commented, CRLF line: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	_, file := NewToken()
	f.Add(file.Marshal())
	f.Add([]byte("token-sha256 \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Parse(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), FileName+":") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if h, err := Parse(g.Marshal()); err != nil || h != g {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func FuzzCredential(f *testing.F) {
	f.Add("Bearer abc")
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte("u:p")))
	f.Add("basic ::")
	f.Fuzz(func(t *testing.T, authz string) {
		tok, ok := credential(authz)
		if ok && tok == "" {
			t.Fatal("empty credential accepted")
		}
	})
}

var (
	src1 = netip.MustParseAddr("10.0.2.2")
	src2 = netip.MustParseAddr("10.0.2.3")
)

func bearer(tok string) string { return "Bearer " + tok }

func TestGuardAccepts(t *testing.T) {
	tok, f := NewToken()
	g := NewGuard(f, Options{})
	now := time.Unix(1000, 0)
	for _, h := range []string{
		bearer(tok), "bearer  " + tok,
		"Basic " + base64.StdEncoding.EncodeToString([]byte("fosbury:"+tok)),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(":"+tok)),
	} {
		if o, _ := g.Check(src1, h, now); o != Accepted {
			t.Errorf("%q: outcome %d", h, o)
		}
	}
	for _, h := range []string{
		bearer(tok + "x"), bearer(tok[:42]), "Bearer", "Bearer ", tok, "Token " + tok,
		"Basic " + base64.StdEncoding.EncodeToString([]byte(tok)), "Basic !!!", "Digest " + tok,
	} {
		if o, _ := g.Check(src2, h, now); o != Failed {
			t.Errorf("%q: outcome %d, want failed", h, o)
		}
		now = now.Add(time.Hour) // keep src2 under its limit
	}
	if o, _ := g.Check(src1, "", now); o != Missing {
		t.Errorf("no header: outcome %d", o)
	}
	if s := g.Stats(); s.Accepted != 4 || s.Failed != 9 || s.Missing != 1 || s.Limited != 0 {
		t.Errorf("stats %+v", s)
	}
	// A new token replaces the old one at once.
	tok2, f2 := NewToken()
	g.Set(f2)
	if o, _ := g.Check(src1, bearer(tok), now); o != Failed {
		t.Error("old token still accepted")
	}
	if o, _ := g.Check(src1, bearer(tok2), now); o != Accepted {
		t.Error("new token refused")
	}
}

func TestGuardLimitsFailuresPerSource(t *testing.T) {
	tok, f := NewToken()
	g := NewGuard(f, Options{Burst: 3, Interval: 10 * time.Second})
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if o, _ := g.Check(src1, bearer("guess"), now); o != Failed {
			t.Fatalf("attempt %d: outcome %d, want failed", i, o)
		}
	}
	// Over the limit: even the right token is refused unchecked.
	o, retry := g.Check(src1, bearer(tok), now)
	if o != Limited || retry != 10*time.Second {
		t.Fatalf("4th attempt: outcome %d, retry %v; want limited, 10s", o, retry)
	}
	if o, _ := g.Check(src1, "", now); o != Limited {
		t.Fatalf("no credential from a limited source: outcome %d", o)
	}
	// Another source is not affected.
	if o, _ := g.Check(src2, bearer(tok), now); o != Accepted {
		t.Fatalf("other source: outcome %d", o)
	}
	// One more attempt after Interval, then limited again.
	now = now.Add(10 * time.Second)
	if o, _ := g.Check(src1, bearer("guess"), now); o != Failed {
		t.Fatalf("after the interval: outcome %d", o)
	}
	if o, _ := g.Check(src1, bearer("guess"), now.Add(9*time.Second)); o != Limited {
		t.Fatalf("second attempt within the interval: outcome %d", o)
	}
	// After a long pause the source has its whole burst, and a success
	// forgives its failures.
	now = now.Add(time.Hour)
	g.Check(src1, bearer("guess"), now)
	g.Check(src1, bearer("guess"), now)
	if o, _ := g.Check(src1, bearer(tok), now); o != Accepted {
		t.Fatalf("right token after the pause: outcome %d", o)
	}
	if s := g.Stats(); s.Sources != 0 {
		t.Fatalf("a success left its source in the table: %+v", s)
	}
	for i := 0; i < 3; i++ {
		if o, _ := g.Check(src1, bearer("guess"), now); o != Failed {
			t.Fatalf("after success, attempt %d: outcome %d", i, o)
		}
	}
	if s := g.Stats(); s.Failed != 9 || s.Limited != 3 || s.Accepted != 2 || s.Sources != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestGuardIPv6PerSlash64(t *testing.T) {
	_, f := NewToken()
	g := NewGuard(f, Options{Burst: 2})
	now := time.Unix(1000, 0)
	g.Check(netip.MustParseAddr("fd00::2"), bearer("x"), now)
	g.Check(netip.MustParseAddr("fd00::3"), bearer("x"), now)
	if o, _ := g.Check(netip.MustParseAddr("fd00::ffff:1"), bearer("x"), now); o != Limited {
		t.Fatalf("third address of the same /64: outcome %d", o)
	}
	if o, _ := g.Check(netip.MustParseAddr("fd00:0:0:1::2"), bearer("x"), now); o != Failed {
		t.Fatalf("another /64: outcome %d", o)
	}
	// IPv4-mapped addresses count as their IPv4 address.
	g.Check(netip.MustParseAddr("::ffff:10.0.2.2"), bearer("x"), now)
	g.Check(src1, bearer("x"), now)
	if o, _ := g.Check(src1, bearer("x"), now); o != Limited {
		t.Fatalf("mapped and plain IPv4 counted apart: outcome %d", o)
	}
}

// Many sources: the table stays bounded, the hottest sources stay in it.
func TestGuardTableBounded(t *testing.T) {
	_, f := NewToken()
	g := NewGuard(f, Options{Burst: 2, Sources: 16})
	now := time.Unix(1000, 0)
	hot := netip.MustParseAddr("192.0.2.1")
	g.Check(hot, bearer("x"), now)
	g.Check(hot, bearer("x"), now)
	for i := 0; i < 1000; i++ {
		a := netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)})
		if o, _ := g.Check(a, bearer("x"), now); o != Failed {
			t.Fatalf("source %v: outcome %d", a, o)
		}
	}
	s := g.Stats()
	if s.Sources != 16 || s.Evicted != 1000-15 {
		t.Fatalf("stats %+v", s)
	}
	if o, _ := g.Check(hot, bearer("x"), now); o != Limited {
		t.Fatalf("the hottest source was evicted: outcome %d", o)
	}
	// Sources that have paid back their failures leave before any eviction.
	later := now.Add(time.Hour)
	g.Check(netip.MustParseAddr("203.0.113.1"), bearer("x"), later)
	if s2 := g.Stats(); s2.Sources != 1 || s2.Evicted != s.Evicted {
		t.Fatalf("after an hour: %+v", s2)
	}
}

func ExampleNewToken() {
	tok, f := NewToken()
	fmt.Println(len(tok), len(f.Marshal()) > 64)
	// Output: 43 true
}
