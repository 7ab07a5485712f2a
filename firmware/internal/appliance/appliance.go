// Package appliance is the firmware's common part on tamago/arm, for every
// board: the banner, and the network bring-up — the page pool over the
// board's DMA region, one MAC + PHY + RX/TX ring pair per port, the
// datapath between them, and the netstack with its management plane.
// The firmware mains (firmware/fosbury for the EVK and QEMU,
// firmware/mk2lan) only pick the board.
//
//go:build tamago && arm

package appliance

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/firmware/internal/datapath"
	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/fosbury-net/fosbury/netstack/link"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// Ring sizes: 256 RX descriptors (512 KiB of half pages) ride out a burst
// of 100 Mbit/s line rate for ~1.7 ms of minimum frames between polls.
const (
	rxSize = 256
	txSize = 256
	// Each port's descriptors take 64 KiB of the non-cacheable section:
	// RX at +0, TX at +32 KiB.
	descStride = 0x10000
	txDescOff  = 0x8000
)

type port struct {
	info board.Port
	hw   enet.Port
	mac  *enet.MAC
	addr [6]byte
	link enet.Link
	rxr  *rxring.Ring
	txr  *txring.Ring
	rx   *enet.RX
	tx   *enet.TX
	ep   *link.Endpoint
	busy atomic.Int64 // guest ns in RX poll passes
}

// pollFlush is the RX ring the MAC polls: after each pass it rings the TX
// doorbells of the ports the datapath forwarded to, once. It also sums the
// guest time spent in passes (busy), which under QEMU -icount is the guest
// instruction count: the per-frame cost make bench-qemu reports.
type pollFlush struct {
	*enet.RX
	dp   *datapath.Datapath
	busy *atomic.Int64
}

func (p pollFlush) Poll(budget int) int {
	t0 := nanotime()
	n := p.RX.Poll(budget)
	p.dp.Flush()
	p.busy.Add(nanotime() - t0)
	return n
}

// Appliance is the running network side of the firmware.
type Appliance struct {
	version string
	pool    *pagepool.Pool
	ports   []*port
	filter  *filter.Engine
	dp      *datapath.Datapath
	stack   *netstack.Stack
}

// physBytes is the CPU view of a physical range outside the Go heap.
func physBytes(addr uint32, n int) []byte {
	a := uintptr(addr)
	p := *(*unsafe.Pointer)(unsafe.Pointer(&a))
	return unsafe.Slice((*byte)(p), n)
}

// defaultMAC: QEMU's defaults for the first and second NIC (locally
// administered), used until a board's fuses are read.
func defaultMAC(i int) [6]byte { return [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, byte(0x56 + i)} }

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Start brings up every port of board b with the configuration and rules.
func Start(b *board.Board, cfg *netstack.Config, rules []byte, version string) (*Appliance, error) {
	d := b.DMA
	mem, err := pagepool.NewARMMemory(uintptr(d.Start+d.DescBytes), int(d.Size-d.DescBytes))
	if err != nil {
		return nil, err
	}
	pool, err := pagepool.New(mem)
	if err != nil {
		return nil, err
	}
	a := &Appliance{pool: pool, version: version}

	// MACs first: a port's PHY may sit on another port's MDIO bus.
	byENET := map[int]*port{}
	for i, bp := range b.Ports {
		p := &port{info: bp, hw: enet.ENET1, addr: defaultMAC(i)}
		if bp.ENET == 2 {
			p.hw = enet.ENET2
		}
		ipg, err := enet.EnableClocks(p.hw)
		if err != nil {
			return nil, err
		}
		p.mac, err = enet.New(enet.Options{Port: p.hw, Regs: enet.NewMMIO(p.hw), MAC: p.addr, IPGClockHz: ipg,
			Promiscuous: len(b.Ports) > 1, AllMulticast: true}) // the rings issue the wmb before each doorbell
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bp.Name, err)
		}
		a.ports = append(a.ports, p)
		byENET[bp.ENET] = p
	}
	for _, p := range a.ports {
		bus := byENET[p.info.MDIOBus]
		if bus == nil {
			bus = p // the board's MDIO owner is not brought up: try our own
		}
		phy, where, err := enet.BringUpPHY(bus.mac.MDIO(), p.mac.MDIO(), p.info.PHYAddr, enet.PHYConfig{RefClk50MHz: true})
		if err != nil {
			return nil, fmt.Errorf("%s: PHY: %w", p.info.Name, err)
		}
		fmt.Printf("net: %s: ENET%d, %+v\n", p.info.Name, p.info.ENET, where)
		p.mac.AttachPHY(phy)
		p.link, err = p.mac.WaitLink(3*time.Second, 50*time.Millisecond)
		fmt.Printf("net: %s: link %v (%v)\n", p.info.Name, p.link, err)
	}

	// Rings, in the non-cacheable section of the DMA region.
	var dpPorts []datapath.Port
	var macs [][6]byte
	for i, p := range a.ports {
		rxBus := d.Start + uint32(i)*descStride
		txBus := rxBus + txDescOff
		rxd, err := pagepool.NewUncached(physBytes(rxBus, rxSize*rxring.DescSize), rxBus)
		if err != nil {
			return nil, err
		}
		txd, err := pagepool.NewUncached(physBytes(txBus, txSize*txring.DescSize), txBus)
		if err != nil {
			return nil, err
		}
		if p.rxr, err = rxring.New(rxring.Options{Size: rxSize, Pool: pool, Desc: rxd, Doorbell: p.mac.RXBell(), FCS: true}); err != nil {
			return nil, err
		}
		if p.txr, err = txring.New(txring.Options{Size: txSize, Pool: pool, Desc: txd, Doorbell: p.mac.TXBell()}); err != nil {
			return nil, err
		}
		if p.tx, err = enet.NewTX(p.txr, txBus, pool); err != nil {
			return nil, err
		}
		dpPorts = append(dpPorts, p.tx)
		macs = append(macs, p.addr)
	}

	// Filter and datapath.
	var self []netip.Prefix
	for _, pc := range cfg.Ports {
		for _, pfx := range pc.Addrs {
			self = append(self, netip.PrefixFrom(pfx.Addr(), pfx.Addr().BitLen()))
		}
	}
	a.filter = filter.NewEngine(filter.Options{Self: self})
	if err := a.filter.Load("fosbury.rules", rules); err != nil {
		return nil, err
	}
	a.dp = datapath.New(datapath.Options{Filter: a.filter, Ports: dpPorts, MACs: macs, Now: nanotime,
		Local: func(i int, f []byte) { a.ports[i].ep.Deliver(f) }})

	// Netstack: one NIC per port, TX through the port's ring.
	var nics []netstack.NIC
	for _, p := range a.ports {
		var nic = link.Options{Port: txPort{p.tx, p.addr}}
		l, ep := link.NewNIC(nic)
		p.ep = ep
		nics = append(nics, netstack.NIC{Name: p.info.Name, Link: l})
	}
	if a.stack, err = netstack.New(cfg, nics); err != nil {
		return nil, err
	}

	// Start the MACs, their poll loops, and the interrupt service (the
	// board's bring-up initialised the GIC).
	var all []*enet.MAC
	for i, p := range a.ports {
		rxBus := d.Start + uint32(i)*descStride
		if p.rx, err = enet.NewRX(p.rxr, rxBus, a.dp.Handler(i)); err != nil {
			return nil, err
		}
		if err := p.mac.Start(pollFlush{p.rx, a.dp, &p.busy}, p.tx); err != nil {
			return nil, fmt.Errorf("%s: %w", p.info.Name, err)
		}
		go p.mac.Run(nil, time.Second)
		all = append(all, p.mac)
	}
	go enet.ServeInterrupts(enet.DefaultCPU, enet.DefaultGIC, nil, all...)
	return a, nil
}

// ServeManagement answers /status on every address.
func (a *Appliance) ServeManagement(port uint16, started time.Time) error {
	ln, err := a.stack.ListenTCP(port, true)
	if err != nil {
		return fmt.Errorf("listen on %d: %v", port, err)
	}
	go mgmt.Serve(ln, mgmt.Options{Version: a.version, Started: started, Collect: a.collect})
	return nil
}

func (a *Appliance) collect(st *mgmt.Status) {
	idleT, up := idle.Times()
	st.CPU = mgmt.CPUStatus{UptimeNS: uint64(up), IdleNS: uint64(idleT)}
	for _, p := range a.ports {
		s := p.mac.Stats()
		l := p.mac.Link()
		st.Ports = append(st.Ports, mgmt.PortStatus{
			Name: p.info.Name, MAC: net.HardwareAddr(p.addr[:]).String(),
			Link: l.Up, SpeedMbps: l.Speed, FullDuplex: l.FullDuplex,
			Counters: map[string]uint64{
				"rx_frames": s.RX.Frames, "rx_polled": s.RxPolled, "rx_doorbells": s.RxDoorbells,
				"tx_frames": s.TX.Frames, "tx_doorbells": s.TxDoorbells, "interrupts": s.Interrupts, "polls": s.Polls,
				"budget_exhausted": s.BudgetExhausted, "rx_length_err": s.RX.LengthErr, "rx_crc_err": s.RX.CRCErr,
				"rx_overrun": s.RX.Overrun, "rx_truncated": s.RX.Truncated, "rx_fragment": s.RX.Fragment,
				"rx_bad_length": s.RX.BadLength, "rx_refill_failed": s.RX.RefillFailed, "rx_dropped": s.RX.Dropped,
				"tx_ring_full": s.TX.RingFull, "link_changes": s.LinkChanges, "rx_busy_ns": uint64(p.busy.Load()),
				"stack_rx": p.ep.RxFrames.Load(), "stack_tx": p.ep.TxFrames.Load(), "stack_tx_dropped": p.ep.TxDropped.Load(),
			},
		})
	}
	ps := a.pool.Stats()
	st.Pool = map[string]uint64{"pages": uint64(ps.Pages), "in_flight": uint64(ps.InFlight), "fresh": ps.Fresh,
		"recycled": ps.Recycled, "exhausted": ps.Exhausted}
	st.Filter = map[string]uint64{
		"local": a.dp.Local.Load(), "forwarded": a.dp.Forwarded.Load(), "dropped": a.dp.Dropped.Load(), "rejected": a.dp.Rejected.Load(),
	}
}

// txPort is a port's TX adapter with its MAC address, as netstack/link wants.
type txPort struct {
	*enet.TX
	mac [6]byte
}

func (t txPort) LinkAddress() tcpip.LinkAddress { return tcpip.LinkAddress(t.mac[:]) }
