package datapath

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

var (
	macA  = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56} // the appliance, port 0
	macB  = [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x57} // the appliance, port 1
	hostL = [6]byte{2, 0, 0, 0, 0, 1}                // a host on port 0's side
	hostR = [6]byte{2, 0, 0, 0, 0, 2}                // a host on port 1's side
	bcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

const rules = `
set default pass
reject proto tcp to any port 23
drop proto udp to any port 9
`

type side struct {
	dev  *noncoherent.ENET
	rx   *rxring.Ring
	txr  *txring.Ring
	tx   *enet.TX
	sent [][]byte
}

type rig struct {
	sys   *noncoherent.System
	pool  *pagepool.Pool
	sides [2]*side
	dp    *Datapath
	local [][]byte
}

func newRig(t *testing.T, seed uint64) *rig {
	t.Helper()
	sys, err := noncoherent.New(noncoherent.DefaultConfig(seed, 64*pagepool.PageSize))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pagepool.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sys: sys, pool: pool}
	var ports []Port
	for i := range r.sides {
		rxd, _ := sys.NewDescRegion(uint32(0x00900000+i*0x10000), 8*rxring.DescSize)
		txd, _ := sys.NewDescRegion(uint32(0x00908000+i*0x10000), 8*txring.DescSize)
		dev, err := sys.NewENET(noncoherent.ENETConfig{Rx: rxd, Tx: txd, RxSize: 8, TxSize: 8, MRBR: rxring.DefaultBufSize, FCS: true, Backlog: 64})
		if err != nil {
			t.Fatal(err)
		}
		rx, err := rxring.New(rxring.Options{Size: 8, Pool: pool, Desc: rxd, Doorbell: dev.RxDoorbell(), FCS: true})
		if err != nil {
			t.Fatal(err)
		}
		txr, err := txring.New(txring.Options{Size: 8, Pool: pool, Desc: txd, Doorbell: dev.TxDoorbell()})
		if err != nil {
			t.Fatal(err)
		}
		tx, err := enet.NewTX(txr, txd.BusAddr(), pool)
		if err != nil {
			t.Fatal(err)
		}
		s := &side{dev: dev, rx: rx, txr: txr, tx: tx}
		dev.OnTransmit(func(b []byte) { s.sent = append(s.sent, append([]byte(nil), b...)) })
		rx.Start()
		r.sides[i] = s
		ports = append(ports, tx)
	}
	eng := filter.NewEngine(filter.Options{HashSeed: 1})
	if err := eng.Load("test.rules", []byte(rules)); err != nil {
		t.Fatal(err)
	}
	var now int64
	r.dp = New(Options{Filter: eng, Ports: ports, MACs: [][6]byte{macA, macB}, Now: func() int64 { now += 1000; return now },
		Local: func(port int, f []byte) { r.local = append(r.local, append([]byte(nil), f...)) }})
	return r
}

// receive injects frames on side in, polls them through the datapath and
// lets every TX ring send and complete.
func (r *rig) receive(t *testing.T, in int, frames ...[]byte) {
	t.Helper()
	s := r.sides[in]
	for _, f := range frames {
		if !s.dev.Inject(f, 0) {
			t.Fatal("model backlog full")
		}
	}
	for n := 0; n < len(frames); {
		r.sys.Quiesce()
		n += s.rx.Poll(64, r.dp.Handler(in))
		r.dp.Flush() // once per pass, as the firmware's poll loop does
	}
	for _, o := range r.sides {
		r.sys.Quiesce()
		o.tx.Reclaim()
	}
	if msgs, n := r.sys.Errors(); n > 0 {
		t.Fatalf("model saw %d violations: %v", n, msgs)
	}
}

func (r *rig) close(t *testing.T) {
	for _, s := range r.sides {
		for s.tx.Free() < s.tx.Len() {
			r.sys.Quiesce()
			s.tx.Reclaim()
		}
		s.tx.Close()
		s.rx.Close()
		s.txr.Close()
	}
	if ps := r.pool.Stats(); ps.InFlight != 0 || ps.BadUnref != 0 {
		t.Fatalf("pages leaked: %+v", ps)
	}
}

// ipv4 builds Ethernet+IPv4+L4 header with a payload (checksums right).
func ipv4(dst, src [6]byte, proto byte, dport uint16, payload int) []byte {
	l4 := 8
	if proto == 6 {
		l4 = 20
	}
	f := make([]byte, 14+20+l4+payload)
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(ip[2:], uint16(20+l4+payload))
	copy(ip[12:16], []byte{10, 0, 0, 1})
	copy(ip[16:20], []byte{10, 0, 0, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(ip[20:], 40000)
	binary.BigEndian.PutUint16(ip[22:], dport)
	if proto == 6 {
		ip[20+12] = 5 << 4
		ip[20+13] = 0x02 // SYN
	} else {
		binary.BigEndian.PutUint16(ip[24:], uint16(8+payload))
	}
	for i := 14 + 20 + l4; i < len(f); i++ {
		f[i] = byte(i)
	}
	return f
}

func TestVerdicts(t *testing.T) {
	r := newRig(t, 5)
	defer r.close(t)

	fwd := ipv4(hostR, hostL, 17, 53, 100)
	r.receive(t, 0, fwd)
	if len(r.sides[1].sent) != 1 || !bytes.Equal(r.sides[1].sent[0], fwd) || len(r.sides[0].sent) != 0 || len(r.local) != 0 {
		t.Fatalf("forward: right %d left %d local %d", len(r.sides[1].sent), len(r.sides[0].sent), len(r.local))
	}

	mine := ipv4(macA, hostL, 17, 53, 10)
	r.receive(t, 0, mine)
	if len(r.local) != 1 || !bytes.Equal(r.local[0], mine) || len(r.sides[1].sent) != 1 {
		t.Fatalf("local: %d local, %d forwarded", len(r.local), len(r.sides[1].sent))
	}

	b := ipv4(bcast, hostR, 17, 67, 10)
	r.receive(t, 1, b)
	if len(r.local) != 2 || len(r.sides[0].sent) != 1 || !bytes.Equal(r.sides[0].sent[0], b) {
		t.Fatalf("broadcast: %d local, %d flooded", len(r.local), len(r.sides[0].sent))
	}

	r.receive(t, 0, ipv4(hostR, hostL, 17, 9, 10)) // drop rule
	if len(r.sides[1].sent) != 1 || r.dp.Dropped.Load() != 1 {
		t.Fatalf("drop: forwarded %d, dropped %d", len(r.sides[1].sent), r.dp.Dropped.Load())
	}

	syn := ipv4(hostR, hostL, 6, 23, 0) // reject rule: RST back out of port 0
	r.receive(t, 0, syn)
	// Side 0 has now sent the flooded broadcast and the RST.
	if len(r.sides[0].sent) != 2 || len(r.sides[1].sent) != 1 || r.dp.Rejected.Load() != 1 {
		t.Fatalf("reject: back %d, through %d", len(r.sides[0].sent), len(r.sides[1].sent))
	}
}

func TestRejectSendsRST(t *testing.T) {
	r := newRig(t, 9)
	defer r.close(t)
	r.receive(t, 0, ipv4(hostR, hostL, 6, 23, 0))
	if len(r.sides[0].sent) != 1 {
		t.Fatalf("%d replies", len(r.sides[0].sent))
	}
	rst := r.sides[0].sent[0]
	if !bytes.Equal(rst[0:6], hostL[:]) || rst[23] != 6 || rst[14+20+13]&0x04 == 0 {
		t.Fatalf("reply is not a TCP RST to the sender: % x", rst[:54])
	}
}

// Forwarding allocates nothing in steady state.
func TestForwardAllocs(t *testing.T) {
	r := newRig(t, 13)
	defer r.close(t)
	f := ipv4(hostR, hostL, 17, 53, 200)
	r.receive(t, 0, f) // warm up
	s := r.sides[0]
	handler := r.dp.Handler(0) // made once per port by the firmware
	wire := 0                  // count, don't keep: keeping allocates
	r.sides[1].dev.OnTransmit(func([]byte) { wire++ })
	allocs := testing.AllocsPerRun(200, func() {
		s.dev.Inject(f, 0)
		r.sys.Quiesce()
		s.rx.Poll(64, handler)
		r.dp.Flush()
		r.sys.Quiesce()
		r.sides[1].tx.Reclaim()
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per forwarded frame", allocs)
	}
	if r.dp.Forwarded.Load() < 200 || wire < 200 {
		t.Fatalf("only %d forwarded, %d on the wire", r.dp.Forwarded.Load(), wire)
	}
}
