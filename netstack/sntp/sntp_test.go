package sntp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/beevik/ntp"
	"github.com/fosbury-net/fosbury/internal/stackpair"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/fosbury-net/fosbury/netstack/sntp/sntptest"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// fakeConn is a server on the other end of a net.Conn: what the client
// writes is answered by reply.
type fakeConn struct {
	net.Conn // nil: only what the library calls is implemented
	reply    func(req []byte) []byte
	out      []byte
}

func (f *fakeConn) Write(b []byte) (int, error) {
	f.out = f.reply(b)
	return len(b), nil
}

func (f *fakeConn) Read(b []byte) (int, error) {
	if f.out == nil {
		return 0, os.ErrDeadlineExceeded
	}
	return copy(b, f.out), nil
}
func (f *fakeConn) Close() error                     { return nil }
func (f *fakeConn) SetDeadline(time.Time) error      { return nil }
func (f *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error { return nil }

var testServer = netip.MustParseAddrPort("10.0.2.2:123")

// ask runs one exchange with a server ahead of us by ahead whose reply
// edit may spoil.
func ask(ahead time.Duration, edit func([]byte)) (time.Duration, error) {
	srv := &sntptest.Server{Edit: edit}
	_, off, err := exchange(testServer, func() (net.Conn, error) {
		return &fakeConn{reply: func(req []byte) []byte { return srv.Reply(req, time.Now().Add(ahead)) }}, nil
	})
	return off, err
}

func TestAccept(t *testing.T) {
	off, err := ask(3*time.Hour, nil)
	if err != nil || off < 3*time.Hour-time.Second || off > 3*time.Hour+time.Second {
		t.Fatalf("offset %v, %v; want 3h", off, err)
	}
	be32 := binary.BigEndian.PutUint32
	for _, c := range []struct {
		name string
		edit func(r []byte)
		want error
	}{
		{"kiss-of-death", func(r []byte) { r[1] = 0; copy(r[12:], "RATE") }, ntp.ErrKissOfDeath},
		{"stratum 16", func(r []byte) { r[1] = 16 }, ntp.ErrInvalidStratum},
		{"zero transmit", func(r []byte) { copy(r[40:], make([]byte, 8)) }, ntp.ErrInvalidTransmitTime},
		{"origin mismatch", func(r []byte) { r[31] ^= 1 }, ntp.ErrServerResponseMismatch},
		{"client mode", func(r []byte) { r[0] = r[0]&^7 | 3 }, ntp.ErrInvalidMode},
		{"unsynchronised", func(r []byte) { r[0] |= 3 << 6 }, ntp.ErrInvalidLeapSecond},
		{"stale reference", func(r []byte) { binary.BigEndian.PutUint64(r[16:], binary.BigEndian.Uint64(r[40:])-72*3600<<32) }, ntp.ErrServerClockFreshness},
		{"root dispersion", func(r []byte) { be32(r[8:], 20<<16) }, ntp.ErrInvalidDispersion},
		{"short", nil, nil},
	} {
		edit := c.edit
		if c.name == "short" {
			_, _, err := exchange(testServer, func() (net.Conn, error) {
				return &fakeConn{reply: func(req []byte) []byte { return make([]byte, 20) }}, nil
			})
			if err == nil {
				t.Errorf("a 20-byte reply accepted")
			}
			continue
		}
		if _, err := ask(time.Hour, edit); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A server in the past (before the firmware's era) is not believed.
	if _, err := ask(-time.Since(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)), nil); !errors.Is(err, ErrRejected) {
		t.Errorf("a server in 2001: %v, want ErrRejected", err)
	}
}

// FuzzReply feeds arbitrary replies to the client's checks: none may
// panic, and whatever is accepted is a server reply with a plausible
// stratum and a transmit timestamp, answering this request.
func FuzzReply(f *testing.F) {
	req := make([]byte, 48)
	req[0] = 4<<3 | 3 // version 4, client
	good := (&sntptest.Server{}).Reply(req, time.Now())
	f.Add(good, true)
	f.Add(good[:47], true)
	f.Add(make([]byte, 48), false)
	f.Fuzz(func(t *testing.T, reply []byte, echo bool) {
		var req, got []byte
		_, _, err := exchange(testServer, func() (net.Conn, error) {
			return &fakeConn{reply: func(r []byte) []byte {
				req = append([]byte(nil), r...)
				got = append([]byte(nil), reply...)
				if echo && len(got) >= 32 {
					copy(got[24:32], r[40:48])
				}
				return got
			}}, nil
		})
		if err != nil {
			return
		}
		if got[0]&7 != 4 || got[1] == 0 || got[1] >= 16 || binary.BigEndian.Uint64(got[40:]) == 0 || string(got[24:32]) != string(req[40:48]) {
			t.Fatalf("accepted mode %d stratum %d transmit %x origin %x (request %x)", got[0]&7, got[1], got[40:48], got[24:32], req[40:48])
		}
	})
}

// The client over gVisor: the configured server does not answer (a
// timeout), the one DHCP names does; the clock is stepped once and
// /status says so.
func TestClientOverGVisor(t *testing.T) {
	cable := stackpair.NewCable("\x52\x54\x00\x12\x34\x56", "\x02\x00\x00\x00\x00\x02")
	t.Cleanup(cable.Close)
	peer, err := stackpair.NewPeer(cable.B, netip.MustParsePrefix("10.0.2.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Close)
	pc, err := gonet.DialUDP(peer, &tcpip.FullAddress{Port: 123}, nil, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	srv := &sntptest.Server{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}
	go srv.Serve(pc)
	t.Cleanup(func() { pc.Close() })
	cfg, _ := netstack.ParseConfig("t", []byte("port lan address 10.0.2.15/24\n"))
	ns, err := netstack.New(cfg, []netstack.NIC{{Name: "lan", Link: ethernet.New(cable.A)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Close)

	var mu sync.Mutex
	var steps []time.Duration
	c := Start(Options{Stack: ns.Stack, Servers: []netip.AddrPort{netip.MustParseAddrPort("10.0.2.9:123")}, Logf: t.Logf,
		Adjust: func(off time.Duration) { mu.Lock(); steps = append(steps, off); mu.Unlock() }})
	t.Cleanup(c.Close)
	c.SetExtra([]netip.AddrPort{testServer})
	deadline := time.Now().Add(60 * time.Second)
	for !c.Status().Synced {
		if time.Now().After(deadline) {
			t.Fatalf("not synced: %+v", c.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := c.Status()
	mu.Lock()
	defer mu.Unlock()
	if len(steps) != 1 || steps[0] < 2*time.Hour-time.Second || steps[0] > 2*time.Hour+time.Second || st.Offset != steps[0] {
		t.Fatalf("steps %v, status offset %v: want one of 2h", steps, st.Offset)
	}
	if st.Server != testServer || st.Stratum != 2 || st.Accepted != 1 || st.Failed != 1 || st.Queries != 2 || st.LastSync == nil || srv.Answered.Load() != 1 {
		t.Fatalf("status %+v, answered %d", st, srv.Answered.Load())
	}
}
