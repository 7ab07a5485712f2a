package netstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/hw-tests/peer"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/fosbury-net/fosbury/netstack/link"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// udpPort is a link.Port whose wire is a UDP socket, like QEMU's socket
// NIC, so the host-side test peer can talk to the appliance's stack.
type udpPort struct {
	mac     tcpip.LinkAddress
	conn    *net.UDPConn
	dst     *net.UDPAddr
	buf     [2048]byte
	pending [][]byte
}

func (p *udpPort) LinkAddress() tcpip.LinkAddress { return p.mac }
func (p *udpPort) With(max int, fill func([]byte) int) error {
	if max > len(p.buf) {
		return errors.New("udpPort: frame too long")
	}
	if n := fill(p.buf[:max]); n > 0 && n <= max {
		p.pending = append(p.pending, append([]byte(nil), p.buf[:n]...))
	}
	return nil
}

func (p *udpPort) Flush() {
	for _, f := range p.pending {
		p.conn.WriteToUDP(f, p.dst)
	}
	p.pending = p.pending[:0]
}

func udpPair(t *testing.T) (a, b string) {
	t.Helper()
	var addrs []string
	for i := 0; i < 2; i++ {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, c.LocalAddr().String())
		c.Close()
	}
	return addrs[0], addrs[1]
}

// appliance starts the management stack on a UDP wire and returns the
// peer on the other end.
func appliance(t *testing.T) *peer.Peer {
	p, _ := applianceStack(t)
	return p
}

func applianceStack(t *testing.T) (*peer.Peer, *netstack.Stack) {
	t.Helper()
	mine, theirs := udpPair(t)
	la, _ := net.ResolveUDPAddr("udp", mine)
	ra, _ := net.ResolveUDPAddr("udp", theirs)
	conn, err := net.ListenUDP("udp", la)
	if err != nil {
		t.Fatal(err)
	}
	port := &udpPort{mac: "\x52\x54\x00\x12\x34\x56", conn: conn, dst: ra}
	nic, ep := link.NewNIC(link.Options{Port: port})
	cfg, err := netstack.ParseConfig("t", []byte("port lan address 10.0.2.15/24\nport lan address fd00::15/64\nhttp 80\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := netstack.New(cfg, []netstack.NIC{{Name: "lan", Link: nic}, {Name: "unconfigured", Link: nic}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the receive side of the "driver"
		defer wg.Done()
		buf := make([]byte, 2048)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			ep.Deliver(buf[:n])
		}
	}()
	ln, err := s.ListenTCP(cfg.HTTPPort, true)
	if err != nil {
		t.Fatal(err)
	}
	go mgmt.Serve(ln, mgmt.Options{Version: "test", Started: time.Now(), Collect: func(st *mgmt.Status) {
		st.Ports = []mgmt.PortStatus{{Name: "lan", Link: enet.Link{Up: true}, Stack: ep.Stats()}}
	}})
	p, err := peer.New(peer.Options{Listen: theirs, Remote: mine, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.2.2/24"), netip.MustParsePrefix("fd00::2/64")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		ln.Close()
		conn.Close()
		wg.Wait()
		s.Close()
	})
	return p, s
}

func TestSelf(t *testing.T) {
	_, s := applianceStack(t)
	got := s.Self()
	want := []netip.Prefix{netip.MustParsePrefix("10.0.2.15/32"), netip.MustParsePrefix("fd00::15/128")}
	if !slices.Equal(got, want) {
		t.Fatalf("Self() = %v, want %v (no link-local, no broadcast)", got, want)
	}
}

func TestPingAndHTTPOverBothFamilies(t *testing.T) {
	p := appliance(t)
	for _, ip := range []string{"10.0.2.15", "fd00::15"} {
		pg, err := p.NewPinger(netip.MustParseAddr(ip))
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint16(1); seq <= 50; seq++ {
			payload := bytes.Repeat([]byte{byte(seq), 0xa5}, int(seq))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			got, err := pg.Ping(ctx, seq, payload)
			cancel()
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("ping %s seq %d: %v (payload equal %v)", ip, seq, err, bytes.Equal(got, payload))
			}
		}
		pg.Close()

		client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return p.DialTCP(ctx, netip.AddrPortFrom(netip.MustParseAddr(ip), 80))
		}}, Timeout: 10 * time.Second}
		resp, err := client.Get("http://appliance/status")
		if err != nil {
			t.Fatalf("GET /status via %s: %v", ip, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var st mgmt.Status
		if err := json.Unmarshal(body, &st); err != nil || st.Version != "test" || len(st.Ports) != 1 || st.Ports[0].Stack.RxFrames == 0 {
			t.Fatalf("status via %s: %v %s", ip, err, body)
		}
		client.CloseIdleConnections()
	}
}
