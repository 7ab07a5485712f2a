package dhcp

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func sample() *Message {
	m := &Message{Op: BootReply, HType: 1, HLen: 6, Hops: 1, XID: 0xdeadbeef, Secs: 7, Flags: FlagBroadcast,
		YIAddr: netip.MustParseAddr("10.0.2.50"), SIAddr: netip.MustParseAddr("10.0.2.2"),
		CIAddr: netip.IPv4Unspecified(), GIAddr: netip.IPv4Unspecified(), Options: map[byte][]byte{}}
	copy(m.CHAddr[:], []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56})
	m.Options[OptMessageType] = []byte{byte(Offer)}
	m.SetAddr(OptServerID, netip.MustParseAddr("10.0.2.2"))
	m.SetSeconds(OptLeaseTime, time.Hour)
	m.Options[OptSubnetMask] = []byte{255, 255, 255, 0}
	m.Options[OptNTP] = []byte{10, 0, 2, 2, 192, 0, 2, 1}
	return m
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	b := m.Append(nil)
	if len(b) != minLen || b[240] != OptMessageType {
		t.Fatalf("%d bytes, first option %d: want %d bytes (BOOTP minimum), option 53 first", len(b), b[240], minLen)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if got.Type() != Offer {
		t.Errorf("type %v", got.Type())
	}
	if a, ok := got.Addr(OptServerID); !ok || a != netip.MustParseAddr("10.0.2.2") {
		t.Errorf("server id %v %v", a, ok)
	}
	if d, ok := got.Seconds(OptLeaseTime); !ok || d != time.Hour {
		t.Errorf("lease %v %v", d, ok)
	}
	if n, ok := got.PrefixLen(); !ok || n != 24 {
		t.Errorf("prefix %d %v", n, ok)
	}
	if ntp := got.Addrs(OptNTP); len(ntp) != 2 || ntp[1] != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("ntp %v", ntp)
	}
	m.SetSeconds(OptLeaseTime, Infinite)
	if d, _ := m.Seconds(OptLeaseTime); d != Infinite || !bytes.Equal(m.Options[OptLeaseTime], []byte{255, 255, 255, 255}) {
		t.Errorf("infinite lease encodes as %x", m.Options[OptLeaseTime])
	}
}

// A value longer than 255 bytes goes out as several instances, and
// several instances come back as one value (RFC 3396).
func TestLongOption(t *testing.T) {
	m := sample()
	long := bytes.Repeat([]byte{10, 0, 0, 1}, 100) // 400 bytes
	m.Options[OptNTP] = long
	b := m.Append(nil)
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Options[OptNTP], long) || len(got.Addrs(OptNTP)) != 100 {
		t.Fatalf("long option: %d bytes back", len(got.Options[OptNTP]))
	}
	if n := bytes.Count(b, []byte{OptNTP, 255}) + bytes.Count(b, []byte{OptNTP, 145}); n != 2 {
		t.Errorf("want instances of 255 and 145 bytes, found %d of them", n)
	}
}

// Options overloaded into file and sname (RFC 2131 §4.1) are read, file
// first; an overload option inside them is ignored.
func TestOverload(t *testing.T) {
	m := sample()
	m.Options = map[byte][]byte{OptMessageType: {byte(Ack)}, OptOverload: {3}}
	b := m.Append(nil)
	copy(b[108:], []byte{OptRouter, 4, 10, 0, 2, 2, OptOverload, 1, 1, OptEnd})
	copy(b[44:], []byte{OptPad, OptRouter, 4, 10, 0, 2, 3, OptEnd})
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	r := got.Addrs(OptRouter)
	if len(r) != 2 || r[0] != netip.MustParseAddr("10.0.2.2") || r[1] != netip.MustParseAddr("10.0.2.3") {
		t.Fatalf("routers %v, want 10.0.2.2 (file) then 10.0.2.3 (sname)", r)
	}
	if !bytes.Equal(got.Options[OptOverload], []byte{3}) {
		t.Errorf("overload %v", got.Options[OptOverload])
	}
}

func TestParseErrors(t *testing.T) {
	good := sample().Append(nil)
	trunc := append([]byte(nil), good[:240]...)
	trunc = append(trunc, OptMessageType, 1, 2, OptRouter, 8, 1, 2, 3)
	badCookie := append([]byte(nil), good...)
	badCookie[236] = 0
	overTrunc := sample()
	overTrunc.Options = map[byte][]byte{OptOverload: {2}}
	ot := overTrunc.Append(nil)
	ot[106], ot[107] = OptRouter, 4 // runs past sname into file
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"short", good[:239], ErrShort},
		{"long", make([]byte, MaxLen+1), ErrLong},
		{"cookie", badCookie, ErrCookie},
		{"truncated", trunc, ErrTruncated},
		{"truncated overload", ot, ErrTruncated},
	} {
		if _, err := Parse(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	m := sample()
	for _, mask := range [][]byte{{255, 0, 255, 0}, {255, 255, 255}, {0, 0, 0, 1}} {
		m.Options[OptSubnetMask] = mask
		if n, ok := m.PrefixLen(); ok {
			t.Errorf("mask %v accepted as /%d", mask, n)
		}
	}
	m.Options[OptNTP] = []byte{1, 2, 3}
	if m.Addrs(OptNTP) != nil {
		t.Error("a 3-byte address list accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample().Append(nil))
	ov := sample()
	ov.Options[OptOverload] = []byte{3}
	f.Add(ov.Append(nil))
	f.Add(make([]byte, 240))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to a message that parses the same.
		out := m.Append(nil)
		if len(out) > MaxLen {
			return // overloaded options moved into the main field
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip differs:\n%+v\n%+v", again, m)
		}
		m.Type()
		m.PrefixLen()
		m.Seconds(OptLeaseTime)
		m.Addrs(OptRouter)
	})
}
