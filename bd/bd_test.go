package bd

import "testing"

func TestWord0RoundTrip(t *testing.T) {
	for _, c := range []struct {
		st uint16
		n  int
	}{{Own | W, 0}, {L | RxCR, 1518}, {TxTC | L | Own, 0xffff}} {
		w := Word0(c.st, c.n)
		if Status(w) != c.st || Length(w) != c.n {
			t.Errorf("Word0(%#x, %d) = %#08x: status %#x length %d", c.st, c.n, w, Status(w), Length(w))
		}
	}
}

type bell struct{}

func (bell) Kick() {}

func TestCheckRing(t *testing.T) {
	mem := NewPlain(8, 0x1000)
	if err := CheckRing(8, mem, bell{}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"too small":   CheckRing(MinRing-1, mem, bell{}),
		"too large":   CheckRing(MaxRing+1, NewPlain(MaxRing+1, 0), bell{}),
		"short mem":   CheckRing(9, mem, bell{}),
		"no memory":   CheckRing(8, nil, bell{}),
		"no doorbell": CheckRing(8, mem, nil),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
