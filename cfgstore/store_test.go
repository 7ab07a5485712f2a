// The store's promises on a host medium: the newest valid slot wins, a
// corrupt byte anywhere in a slot costs only that slot, a power cut at any
// byte of a write leaves the previous configuration in force, and a
// refused write changes nothing.
package cfgstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// small keeps exhaustive loops fast: 4 blocks before the store, 16 per slot.
var small = Layout{Start: 4, SlotBlocks: 16}

func conf(n int) Config {
	return Config{
		Addresses: []byte(fmt.Sprintf("port lan address 10.0.%d.1/24\nhttp 80\n", n)),
		Rules:     []byte("pass ether type arp\nset default drop\n"),
		Options:   []byte(fmt.Sprintf("generation %d\n", n)),
	}
}

func open(t *testing.T, d Device) *Store {
	t.Helper()
	s, err := Open(d, small, Validate)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, s *Store, c Config) Slot {
	t.Helper()
	sl, err := s.Write(c)
	if err != nil {
		t.Fatal(err)
	}
	return sl
}

// current fails unless the store's configuration is want (nil: none).
func current(t *testing.T, s *Store, want *Config, ctx string) {
	t.Helper()
	c, sl, ok := s.Current()
	switch {
	case want == nil && ok:
		t.Fatalf("%s: %v is current, want none", ctx, sl)
	case want != nil && !ok:
		t.Fatalf("%s: no slot valid (%v), want %q", ctx, s.Slots(), want.Options)
	case want != nil && !c.Equal(*want):
		t.Fatalf("%s: %v holds %q, want %q", ctx, sl, c.Options, want.Options)
	}
}

func TestBlankMediumHasNoConfiguration(t *testing.T) {
	s := open(t, NewMemDevice(small.End()))
	current(t, s, nil, "blank")
	for _, sl := range s.Slots() {
		if !sl.Blank() {
			t.Errorf("%v, want blank", sl)
		}
	}
}

func TestWritesAlternateAndNewestWins(t *testing.T) {
	d := NewMemDevice(small.End())
	s := open(t, d)
	for n := 1; n <= 5; n++ {
		c := conf(n)
		sl := write(t, s, c)
		if want := (n - 1) % 2; sl.Index != want || sl.Seq != uint64(n) {
			t.Fatalf("write %d went to %v, want slot %d sequence %d", n, sl, want, n)
		}
		current(t, s, &c, "after write")
		current(t, open(t, d), &c, "after reopen")
	}
	slots := open(t, d).Slots()
	if slots[0].Seq != 5 || slots[1].Seq != 4 || !slots[0].Valid() || !slots[1].Valid() {
		t.Fatalf("slots %v, want A=5 B=4", slots)
	}
}

// Every byte a slot uses, either slot: corrupting it must cost exactly
// that slot, and the other slot's configuration must be in force.
func TestCorruptionOfEitherSlotAtAnyOffset(t *testing.T) {
	d := NewMemDevice(small.End())
	s := open(t, d)
	older, newer := conf(1), conf(2)
	write(t, s, older)
	write(t, s, newer)
	base := bytes.Clone(d.Data)
	for slot, survivor := range []*Config{&newer, &older} {
		used := BlockSize + s.Slots()[slot].Bytes
		start := int(small.slotLBA(slot)) * BlockSize
		for off := 0; off < int(small.SlotBlocks)*BlockSize; off++ {
			for _, x := range []byte{0x01, 0xff} {
				copy(d.Data, base)
				d.Data[start+off] ^= x
				s := open(t, d)
				sl := s.Slots()[slot]
				ctx := fmt.Sprintf("slot %d byte %d ^%#x", slot, off, x)
				if off < used {
					if sl.Valid() {
						t.Fatalf("%s: slot still valid", ctx)
					}
					current(t, s, survivor, ctx)
				} else if !sl.Valid() {
					t.Fatalf("%s: past the payload, yet %v", ctx, sl)
				}
			}
		}
	}
}

// A power cut after each possible number of bytes of a write: after the
// reboot the previous configuration (or none, on a fresh medium) is in
// force, and once every byte is down the new one is.
func TestTornWriteAtAnyByte(t *testing.T) {
	for _, prior := range []int{0, 1, 2} {
		d := NewMemDevice(small.End())
		s := open(t, d)
		var old *Config
		for n := 1; n <= prior; n++ {
			c := conf(n)
			write(t, s, c)
			old = &c
		}
		next := conf(9)
		total := int64(BlockSize + roundUp(mustEncode(t, next)))
		base := bytes.Clone(d.Data)
		for cut := int64(0); cut <= total; cut++ {
			copy(d.Data, base)
			d.Written, d.CutAfter = 0, cut
			_, err := open(t, d).Write(next)
			ctx := fmt.Sprintf("%d prior writes, cut after %d of %d bytes", prior, cut, total)
			if cut < total && !errors.Is(err, ErrPowerCut) {
				t.Fatalf("%s: write returned %v", ctx, err)
			}
			d.Restore()
			if cut < total {
				current(t, open(t, d), old, ctx)
			} else {
				if err != nil {
					t.Fatalf("%s: %v", ctx, err)
				}
				current(t, open(t, d), &next, ctx)
			}
		}
	}
}

func mustEncode(t *testing.T, c Config) int {
	p, err := encodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	return len(p)
}

// A refused write leaves the medium byte for byte as it was.
func TestRefusedWritesChangeNothing(t *testing.T) {
	good := conf(1)
	bad := conf(2)
	bad.Rules = []byte("pass frobnicate\n")
	huge := conf(3)
	huge.Options = bytes.Repeat([]byte("x"), maxFile)
	badAuth := conf(6)
	badAuth.Credentials = []byte("token-sha256 0123\n")
	cases := []struct {
		name  string
		prep  func(*MemDevice)
		c     Config
		wantE string
	}{
		{"bad rules", nil, bad, "configuration rejected"},
		{"no rules", nil, Config{Addresses: good.Addresses}, "both required"},
		{"bad credential file", nil, badAuth, "fosbury.auth:1:14: want 64 hex digits"},
		{"too large", nil, huge, "the slot holds"},
		{"read-only", func(d *MemDevice) { d.Protected = true }, conf(4), "read-only"},
		{"foreign partition", func(d *MemDevice) {
			m := MBR(small)
			m[mbrTable+4] = 0x0c // FAT32 over the store
			copy(d.Data, m)
		}, conf(5), "overlaps the store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewMemDevice(small.End())
			write(t, open(t, d), good)
			if tc.prep != nil {
				tc.prep(d)
			}
			before := bytes.Clone(d.Data)
			s := open(t, d)
			_, err := s.Write(tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.wantE) {
				t.Fatalf("Write: %v, want an error containing %q", err, tc.wantE)
			}
			if !bytes.Equal(d.Data, before) {
				t.Fatal("a refused write changed the medium")
			}
			current(t, s, &good, "after the refused write")
		})
	}
}

// Our own partition table does not block writes.
func TestOwnMBRAllowsWrites(t *testing.T) {
	d := NewMemDevice(small.End())
	copy(d.Data, MBR(small))
	s := open(t, d)
	if err := s.WriteErr(); err != nil {
		t.Fatal(err)
	}
	c := conf(1)
	write(t, s, c)
	current(t, open(t, d), &c, "reopen")
}

func TestLayoutMustFit(t *testing.T) {
	if _, err := Open(NewMemDevice(small.End()-1), small, nil); err == nil {
		t.Fatal("a medium one block short was accepted")
	}
	if _, err := Open(NewMemDevice(100), Layout{Start: 0, SlotBlocks: 16}, nil); err == nil {
		t.Fatal("a store over block 0 was accepted")
	}
}

// A slot whose configuration the check refuses is not valid: the older
// slot is used instead.
func TestCheckedAtBoot(t *testing.T) {
	d := NewMemDevice(small.End())
	s, _ := Open(d, small, nil)
	old := conf(1)
	write(t, s, old)
	bad := conf(2)
	bad.Addresses = []byte("port lan address 300.0.0.1/24\n")
	write(t, s, bad)
	r := open(t, d)
	current(t, r, &old, "boot")
	if sl := r.Slots()[1]; sl.Valid() || !strings.Contains(sl.Err.Error(), "rejected") {
		t.Fatalf("slot B: %v, want rejected", sl)
	}
}

// The payload is a plain ustar archive a host can list.
func TestPayloadIsUstar(t *testing.T) {
	p, err := encodePayload(conf(1))
	if err != nil {
		t.Fatal(err)
	}
	if string(p[257:263]) != "ustar\x00" || string(p[:12]) != "fosbury.conf" {
		t.Fatalf("not a ustar archive starting with fosbury.conf: %q", p[:12])
	}
	c, err := decodePayload(p)
	if err != nil || !c.Equal(conf(1)) {
		t.Fatalf("round trip: %v", err)
	}
}
