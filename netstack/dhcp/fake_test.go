package dhcp

import (
	"net/netip"
	"time"
)

// fakeServer is a one-address DHCP server for the tests: it offers
// Pool, acknowledges REQUESTs for it, and can be told to NAK or to stay
// silent.
type fakeServer struct {
	ID, Pool, Router, NTP netip.Addr
	Lease, T1, T2         time.Duration // T1, T2: 0 leaves the option out
	NoLeaseTime           bool          // ACKs without option 51
	Nak, Silent           bool
	Seen                  []*Message // every message received
}

func newFakeServer() *fakeServer {
	return &fakeServer{ID: netip.MustParseAddr("10.0.2.2"), Pool: netip.MustParseAddr("10.0.2.50"),
		Router: netip.MustParseAddr("10.0.2.2"), NTP: netip.MustParseAddr("10.0.2.2"), Lease: time.Hour}
}

// handle returns the reply to req, or nil.
func (s *fakeServer) handle(req *Message) *Message {
	s.Seen = append(s.Seen, req)
	if s.Silent || req.Op != BootRequest {
		return nil
	}
	var t MessageType
	switch req.Type() {
	case Discover:
		t = Offer
	case Request:
		if id, ok := req.Addr(OptServerID); ok && id != s.ID {
			return nil // the client took another server's offer
		}
		want, ok := req.Addr(OptRequestedIP)
		if !ok {
			want = req.CIAddr
		}
		t = Ack
		if s.Nak || want != s.Pool {
			t = Nak
		}
	default:
		return nil
	}
	r := &Message{Op: BootReply, HType: 1, HLen: 6, XID: req.XID, Flags: req.Flags, CHAddr: req.CHAddr,
		CIAddr: netip.IPv4Unspecified(), YIAddr: netip.IPv4Unspecified(), SIAddr: netip.IPv4Unspecified(),
		GIAddr: netip.IPv4Unspecified(), Options: map[byte][]byte{OptMessageType: {byte(t)}}}
	r.SetAddr(OptServerID, s.ID)
	if t == Nak {
		return r
	}
	r.YIAddr = s.Pool
	r.Options[OptSubnetMask] = []byte{255, 255, 255, 0}
	r.SetAddr(OptRouter, s.Router)
	r.SetAddr(OptNTP, s.NTP)
	if !s.NoLeaseTime {
		r.SetSeconds(OptLeaseTime, s.Lease)
	}
	if s.T1 != 0 {
		r.SetSeconds(OptT1, s.T1)
	}
	if s.T2 != 0 {
		r.SetSeconds(OptT2, s.T2)
	}
	return r
}
