// Package appliance is the firmware's common part on tamago/arm, for every
// board: the banner, and the network bring-up — the page pool over the
// board's DMA region, one MAC + PHY + RX/TX ring pair per port, the
// datapath between them, one poll loop for every port, the event log and
// packet capture, and the netstack with its management plane. The
// firmware mains (firmware/fosbury for the EVK and QEMU, firmware/mk2lan)
// only pick the board.
//
// Start reads as the bring-up order: newPool, newPorts (MACs), bringUpPHYs,
// newRings, newDatapath, newNetstack, startPorts.
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

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/board/idle"
	"github.com/fosbury-net/fosbury/capture"
	"github.com/fosbury-net/fosbury/datapath"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/filter"
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
	// linkEvery is how often the poll loop reads each PHY's link.
	linkEvery = time.Second
	// linkWait bounds the wait for a link at boot (autonegotiation takes
	// about 2 s on the KSZ8081; QEMU's PHY is up at once).
	linkWait, linkPoll = 3 * time.Second, 50 * time.Millisecond
	// watchEvery is how often the counters are compared for log lines
	// (link changes, errors, rule installs).
	watchEvery = time.Second
)

type port struct {
	info board.Port
	hw   enet.Port
	mac  *enet.MAC
	addr [6]byte
	macs string // addr as text, for /status
	rx   *rxring.Ring
	tx   *enet.TX
	ep   *link.Endpoint
}

// Appliance is the running network side of the firmware.
type Appliance struct {
	version string
	board   *board.Board
	pool    *pagepool.Pool
	ports   []*port
	wake    chan struct{} // every MAC's ISR signals the one poll loop
	loop    *enet.Loop
	filter  *filter.Engine
	dp      *datapath.Datapath
	log     *eventlog.Log
	tap     *capture.Tap
	stack   *netstack.Stack
	cfg     *netstack.Config
	control *mgmt.Control // the API's configuration changes (control.go)
	guard   *guard        // the watchdog's health monitor (watchdog.go)
	auto    autoconf      // DHCP and SNTP (autoconf.go)
	// wallSet: SNTP has set the wall clock (until then logs and captures
	// show uptime).
	wallSet atomic.Bool
}

// wall is the time of day of a monotonic time: the wall clock's offset
// from the monotonic clock now (SNTP steps only the date, never
// nanotime), and whether SNTP has set it.
func (a *Appliance) wall(mono int64) (time.Time, bool) {
	off := time.Now().UnixNano() - nanotime()
	return time.Unix(0, mono+off).UTC(), a.wallSet.Load()
}

// portNames are the ports by index, as the filter's Meta.Port counts them.
func (a *Appliance) portNames() []string {
	var names []string
	for _, p := range a.ports {
		names = append(names, p.info.Name)
	}
	return names
}

// physBytes is the CPU view of a physical range outside the Go heap.
func physBytes(addr uint32, n int) []byte {
	a := uintptr(addr)
	p := *(*unsafe.Pointer)(unsafe.Pointer(&a))
	return unsafe.Slice((*byte)(p), n)
}

// defaultMAC is port i's station address: QEMU's defaults for its first
// and second NIC (52:54:00:12:34:56 and :57). The boards' OCOTP MAC fuses
// are not read yet.
func defaultMAC(i int) [6]byte { return [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, byte(0x56 + i)} }

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Start brings up every port of board b with the configuration and rules.
func Start(b *board.Board, cfg *netstack.Config, rules []byte, version string, g *guard) (*Appliance, error) {
	a := &Appliance{version: version, board: b, wake: make(chan struct{}, 1), guard: g, cfg: cfg}
	for _, step := range []func() error{
		a.newPool,
		a.newPorts,
		a.bringUpPHYs,
		a.newRings,
		func() error { return a.newDatapath(cfg, rules) },
		func() error { return a.newNetstack(cfg) },
		a.startPorts,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// newPool carves the packet pages: the DMA region past its descriptor
// section. One pool serves every port, so forwarding is zero-copy.
func (a *Appliance) newPool() error {
	d := a.board.DMA
	mem, err := pagepool.NewARMMemory(uintptr(d.Start+d.DescBytes), int(d.Size-d.DescBytes))
	if err != nil {
		return err
	}
	a.pool, err = pagepool.New(mem)
	return err
}

// newPorts creates every port's MAC first: a port's PHY may sit on another
// port's MDIO bus.
func (a *Appliance) newPorts() error {
	multi := len(a.board.Ports) > 1
	for i, bp := range a.board.Ports {
		p := &port{info: bp, hw: enet.ENET1, addr: defaultMAC(i)}
		p.macs = net.HardwareAddr(p.addr[:]).String()
		if bp.ENET == 2 {
			p.hw = enet.ENET2
		}
		ipg, err := enet.EnableClocks(p.hw)
		if err != nil {
			return err
		}
		p.mac, err = enet.New(enet.Options{Port: p.hw, Regs: enet.NewMMIO(p.hw), MAC: p.addr, IPGClockHz: ipg,
			Promiscuous: multi, AllMulticast: true, Wake: a.wake})
		if err != nil {
			return fmt.Errorf("%s: %w", bp.Name, err)
		}
		a.ports = append(a.ports, p)
	}
	return nil
}

// bringUpPHYs finds each port's PHY (on the board's MDIO bus, else its own
// ENET's: QEMU 7.2) and waits a bounded time for its link.
func (a *Appliance) bringUpPHYs() error {
	byENET := map[int]*port{}
	for _, p := range a.ports {
		byENET[p.info.ENET] = p
	}
	for _, p := range a.ports {
		bus := byENET[p.info.MDIOBus]
		if bus == nil {
			bus = p // the board's MDIO owner is not brought up: try our own
		}
		phy, where, err := enet.BringUpPHY(bus.mac.MDIO(), p.mac.MDIO(), p.info.PHYAddr, enet.PHYConfig{RefClk50MHz: true, ScanIfAbsent: a.board.PHYAlone(p.info)})
		if err != nil {
			return fmt.Errorf("%s: PHY: %w", p.info.Name, err)
		}
		fmt.Printf("net: %s: ENET%d, %+v\n", p.info.Name, p.info.ENET, where)
		p.mac.AttachPHY(phy)
		l, err := p.mac.WaitLink(linkWait, linkPoll)
		fmt.Printf("net: %s: link %v (%v)\n", p.info.Name, l, err)
	}
	return nil
}

// newRings creates each port's RX and TX ring in the non-cacheable
// section of the DMA region, their doorbells the port's MAC's.
func (a *Appliance) newRings() error {
	for i, p := range a.ports {
		rxBus := a.board.DMA.Start + uint32(i)*descStride
		txBus := rxBus + txDescOff
		rxd, err := pagepool.NewUncached(physBytes(rxBus, rxSize*bd.Size), rxBus)
		if err != nil {
			return err
		}
		txd, err := pagepool.NewUncached(physBytes(txBus, txSize*bd.Size), txBus)
		if err != nil {
			return err
		}
		if p.rx, err = rxring.New(rxring.Options{Size: rxSize, Pool: a.pool, Desc: rxd, Doorbell: p.mac.RXBell(), FCS: true}); err != nil {
			return err
		}
		txr, err := txring.New(txring.Options{Size: txSize, Pool: a.pool, Desc: txd, Doorbell: p.mac.TXBell()})
		if err != nil {
			return err
		}
		p.tx = enet.NewTX(txr)
	}
	return nil
}

// newDatapath loads the rules into the filter (the configuration's
// addresses are its "self"), makes the event log and the capture tap, and
// builds the datapath over the ports.
func (a *Appliance) newDatapath(cfg *netstack.Config, rules []byte) error {
	var self []netip.Prefix
	for _, pc := range cfg.Ports {
		for _, pfx := range pc.Addrs {
			self = append(self, netip.PrefixFrom(pfx.Addr(), pfx.Addr().BitLen()))
		}
	}
	a.filter = filter.NewEngine(filter.Options{Self: self, DeferPublish: true}) // published by the datapath's EndPass
	if err := a.filter.Load("fosbury.rules", rules); err != nil {
		return err
	}
	host := ""
	if len(self) > 0 {
		host = self[0].Addr().String()
	}
	a.log = eventlog.New(eventlog.Options{Filter: a.filter, Ports: a.portNames(), Now: nanotime, Wall: a.wall, Hostname: host})
	go a.log.Run(nil)
	var err error
	if a.tap, err = capture.New(capture.Options{Pool: a.pool, Ports: a.portNames(), Wall: a.wall}); err != nil {
		return err
	}
	var ports []datapath.Port
	for _, p := range a.ports {
		ports = append(ports, datapath.Port{TX: p.tx, MAC: p.addr})
	}
	a.dp, err = datapath.New(datapath.Options{Filter: a.filter, Ports: ports, Now: nanotime, Log: a.log, Tap: a.tap,
		Local: func(i int, f []byte) { a.ports[i].ep.Deliver(f) }})
	return err
}

// newNetstack gives the stack one NIC per port, sending through the
// port's TX.
func (a *Appliance) newNetstack(cfg *netstack.Config) error {
	var nics []netstack.NIC
	for _, p := range a.ports {
		l, ep := link.NewNIC(link.Options{Port: txPort{p.tx, p.addr}})
		p.ep = ep
		nics = append(nics, netstack.NIC{Name: p.info.Name, Link: l})
	}
	var err error
	a.stack, err = netstack.New(cfg, nics)
	return err
}

// startPorts enables every MAC with its rings and the datapath's handler,
// then starts the one poll loop and the interrupt service (the board's
// bring-up initialised the GIC).
func (a *Appliance) startPorts() error {
	var macs []*enet.MAC
	for i, p := range a.ports {
		if err := p.mac.Start(p.rx, p.tx, a.dp.Handler(i)); err != nil {
			return fmt.Errorf("%s: %w", p.info.Name, err)
		}
		macs = append(macs, p.mac)
	}
	var err error
	a.loop, err = enet.NewLoop(enet.LoopOptions{MACs: macs, Wake: a.wake, EndPass: a.dp.EndPass, LinkEvery: linkEvery, Now: nanotime,
		Probe: a.guard.loopProbe("poll")})
	if err != nil {
		return err
	}
	go a.loop.Run(nil)
	go enet.ServeInterrupts(enet.DefaultCPU, enet.DefaultGIC, nil, macs...)
	return nil
}

// ServeManagement answers the management API on every address, sends
// the log to the configured syslog collector and starts the watch that
// logs link changes, rule installs and errors.
func (a *Appliance) ServeManagement(port uint16, started time.Time) error {
	ln, err := a.stack.ListenTCP(port, true)
	if err != nil {
		return fmt.Errorf("listen on %d: %v", port, err)
	}
	if c := a.cfg.Syslog; c.IsValid() {
		conn, err := a.stack.DialUDP(c)
		if err != nil {
			return fmt.Errorf("syslog to %v: %v", c, err)
		}
		a.log.SetSyslog(conn)
		fmt.Printf("fosbury: syslog to %v\n", c)
	}
	a.log.Event(eventlog.Notice, eventlog.KindSystem, "fosbury "+a.version+" up")
	go mgmt.Watch(nil, watchEvery, a.collect, a.log)
	go mgmt.Serve(a.guard.mgmtListener(ln), mgmt.Options{Version: a.version, Started: started, Collect: a.guard.collect(a.collect),
		Control: a.control, Log: a.log, Capture: a.tap, Filter: a.filter, Ports: a.portNames()})
	return nil
}

// collect fills /status from every layer's own counters.
func (a *Appliance) collect(st *mgmt.Status) {
	st.CPU = idle.Read()
	st.Loop = a.loop.Stats()
	for _, p := range a.ports {
		st.Ports = append(st.Ports, mgmt.PortStatus{
			Name: p.info.Name, MAC: p.macs,
			Link: p.mac.Link(), Driver: p.mac.Stats(), Stack: p.ep.Stats(),
		})
	}
	st.Pool = a.pool.Stats()
	st.Datapath = a.dp.Stats()
	a.filter.SnapshotInto(&st.Filter)
	a.collectAutoconf(st)
	st.Log = a.log.Stats()
	st.Capture = a.tap.Stats()
}

// txPort is a port's TX with its MAC address, as netstack/link wants.
type txPort struct {
	*enet.TX
	mac [6]byte
}

func (t txPort) LinkAddress() tcpip.LinkAddress { return tcpip.LinkAddress(t.mac[:]) }
