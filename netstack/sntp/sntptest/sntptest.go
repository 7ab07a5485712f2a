// Package sntptest is an SNTP server for tests (host or gVisor sockets):
// it answers each client request with its own clock, stratum 2, so the
// appliance's client can be checked without a real time server.
package sntptest

import (
	"encoding/binary"
	"net"
	"sync/atomic"
	"time"
)

// ntpEpoch is 1900-01-01, where NTP timestamps start (RFC 4330 §3).
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// Stamp is t as a 64-bit NTP timestamp.
func Stamp(t time.Time) uint64 {
	d := t.Sub(ntpEpoch)
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// Server answers SNTP requests.
type Server struct {
	// Now is the server's clock; time.Now when nil.
	Now func() time.Time
	// Edit, if set, may change a reply before it is sent (a bad server).
	Edit func(reply []byte)
	// Answered counts replies sent.
	Answered atomic.Uint64
}

// Reply is the server's answer to req at now, or nil if req is not a
// client request.
func (s *Server) Reply(req []byte, now time.Time) []byte {
	if len(req) < 48 || req[0]&7 != 3 { // mode 3: client
		return nil
	}
	r := make([]byte, 48)
	r[0] = 0<<6 | 4<<3 | 4                       // leap 0, version 4, mode 4: server
	r[1] = 2                                     // stratum
	r[2] = req[2]                                // poll
	r[3] = 0xec                                  // precision 2^-20 s
	binary.BigEndian.PutUint32(r[4:], 1<<16/100) // root delay 10 ms
	binary.BigEndian.PutUint32(r[8:], 1<<16/100) // root dispersion 10 ms
	copy(r[12:16], []byte{127, 0, 0, 1})         // reference id
	binary.BigEndian.PutUint64(r[16:], Stamp(now.Add(-time.Minute)))
	copy(r[24:32], req[40:48]) // origin: the request's transmit timestamp
	binary.BigEndian.PutUint64(r[32:], Stamp(now))
	binary.BigEndian.PutUint64(r[40:], Stamp(now))
	if s.Edit != nil {
		s.Edit(r)
	}
	return r
}

// Serve answers on pc until it fails (is closed).
func (s *Server) Serve(pc net.PacketConn) error {
	buf := make([]byte, 1024)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		if r := s.Reply(buf[:n], now()); r != nil {
			if _, err := pc.WriteTo(r, from); err == nil {
				s.Answered.Add(1)
			}
		}
	}
}
