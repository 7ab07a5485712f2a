// Package enet is fosbury's driver for the 10/100-Mbps Ethernet MAC (ENET)
// of the NXP i.MX6UL/ULL (IMX6ULRM chapter 22), for ENET1 and ENET2: reset
// and configuration, MDIO and PHYs, interrupts feeding one budgeted poll
// loop for every port, the doorbells of the descriptor rings, link changes
// (restarting the MAC when speed or duplex change), and statistics.
//
// A MAC owns its two rings from Start on: the rxring.Ring it polls and the
// TX (one txring.Ring behind a lock) that forwarding and the netstack
// share. Everything but the MMIO accessor and the GIC/clock wiring (files
// built for tamago/arm) runs on the host against a Regs fake.
//
// Bring-up order for a board (firmware/internal/appliance does this):
//
//	ipg, _ := enet.EnableClocks(enet.ENET1)         // tamago: gate + 50 MHz REF_CLK
//	wake := make(chan struct{}, 1)                  // shared by the MACs of one loop
//	mac, _ := enet.New(enet.Options{Port: enet.ENET1, Regs: enet.NewMMIO(enet.ENET1), MAC: addr, IPGClockHz: ipg, Wake: wake})
//	phy, where, _ := enet.BringUpPHY(enet2.MDIO(), mac.MDIO(), 2, enet.PHYConfig{RefClk50MHz: true})
//	mac.AttachPHY(phy); mac.WaitLink(3*time.Second, 50*time.Millisecond)
//	rx, _ := rxring.New(... Doorbell: mac.RXBell(), FCS: true)
//	txr, _ := txring.New(... Doorbell: mac.TXBell())
//	mac.Start(rx, enet.NewTX(txr), handle)          // MRBR, RDSR/TDSR, ETHEREN, first RDAR
//	loop, _ := enet.NewLoop(enet.LoopOptions{MACs: macs, Wake: wake, EndPass: flush, LinkEvery: time.Second})
//	go loop.Run(nil)                                // IRQ wakeup -> passes over every MAC -> EndPass
//	go enet.ServeInterrupts(enet.DefaultCPU, enet.DefaultGIC, nil, macs...) // IRQ -> mac.ISR
//
// enet.go owns Options, New, Start/Stop/restart, link programming and
// doorbells.
package enet

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/rxring"
)

// Frame-size limits (bytes, destination address to FCS inclusive).
const (
	// DefaultMaxFrame is 1518 plus a 4-byte 802.1Q tag.
	DefaultMaxFrame = 1522
	// DefaultBudget is the number of frames one poll pass may consume
	// before yielding (NAPI weight).
	DefaultBudget = 64
	// DefaultIPGClockHz is the i.MX6UL/ULL IPG clock feeding the ENET.
	DefaultIPGClockHz = 66_000_000

	minFrameLimit = 64
	// resetPolls bounds the busy-wait for ECR.RESET to self-clear and for
	// the graceful transmit stop (EIR.GRA): register reads, about 1 ms on
	// the EVK's IPG bus, far beyond the few cycles the hardware needs.
	resetPolls = 10000
)

// Options configures a MAC. Zero values select the documented defaults.
type Options struct {
	// Port names the ENET instance (IRQ number; Base for MMIO on tamago).
	Port Port
	// Regs reaches the instance's registers. Required.
	Regs Regs
	// MAC is the station address. Required: unicast, not all zero.
	MAC [6]byte
	// MII selects MII instead of RMII (every supported board uses RMII).
	MII bool
	// MaxFrame is RCR.MAX_FL; 0 selects DefaultMaxFrame.
	MaxFrame int
	// Promiscuous accepts every unicast destination (RCR.PROM), as a
	// filter between two segments needs.
	Promiscuous bool
	// AllMulticast accepts every group address (hash all ones), as a
	// bridge and the netstack's IPv6 neighbour discovery need; otherwise
	// no group address passes the hash filter (IMX6ULRM 22.5 ENETx_GAUR/GALR).
	AllMulticast bool
	// Shift16 makes the uDMA write two zero bytes before each frame so the
	// IP header is 4-byte aligned (RACC.SHIFT16). The RX ring must agree.
	Shift16 bool
	// DiscardMACErrors lets the MAC drop frames with MAC-layer errors
	// itself (RACC.LINEDIS); by default they reach the ring and are counted
	// per class.
	DiscardMACErrors bool
	// IPGClockHz is the ENET module clock, for the MDC divider; 0 selects
	// DefaultIPGClockHz.
	IPGClockHz uint32
	// MDIOTimeout bounds one MDIO transaction; 0 selects DefaultMDIOTimeout.
	MDIOTimeout time.Duration
	// Budget is the frames per poll pass; 0 selects DefaultBudget.
	Budget int
	// Wake is the channel the ISR signals (capacity 1), shared by every MAC
	// of one Loop; nil gives the MAC its own.
	Wake chan struct{}
}

// MAC is one ENET instance.
type MAC struct {
	opts  Options
	regs  Regs
	mdio  *MDIO
	maxFL uint32

	mu      sync.Mutex // serialises Start/Stop/SetLink/PollLink/restart
	started bool
	// The rings and the frame handler, set by Start. Only the poll loop
	// (and Start/restart, which it calls or which run before it) uses them.
	rx      *rxring.Ring
	tx      *TX
	handle  func(*rxring.Frame) rxring.Verdict
	mrbr    uint32
	phy     *PHY
	link    Link
	linkSet bool   // link applied to TCR/RCR at least once
	rcr     uint32 // RCR and TCR as programmed: readback masks differ
	tcr     uint32 // (QEMU drops RMII_MODE/RMII_10T), so compare with these

	imask  uint32        // EIMR while not polling
	notify chan struct{} // ISR -> poll loop, capacity 1

	isr  isrCounters // ISR and pass-start counters (atomic: two goroutines)
	pass passCounters
	pub  published // the poll loop's counters as of its last pass
	mibs mibState
}

// Errors returned by the MAC.
var (
	ErrResetTimeout = errors.New("enet: ECR.RESET did not self-clear")
	ErrStarted      = errors.New("enet: MAC already started")
	ErrRestart      = errors.New("enet: link duplex/speed changed while enabled: the MAC must restart")
)

// New resets the MAC and programs everything but the rings: station
// address, hash filters, RCR, TCR, TFWR, RACC/TACC, MIB, MSCR and
// enhanced little-endian descriptors (ECR.EN1588, ECR.DBSWP). The MAC
// stays disabled (ETHEREN = 0) until Start.
func New(opts Options) (*MAC, error) {
	if opts.Regs == nil {
		return nil, errors.New("enet: Options.Regs is nil")
	}
	if opts.MAC == ([6]byte{}) || opts.MAC[0]&1 != 0 {
		return nil, fmt.Errorf("enet: station address %x is not a unicast address", opts.MAC)
	}
	if opts.MaxFrame == 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	if opts.MaxFrame < minFrameLimit || opts.MaxFrame > maxMRBR-16 {
		return nil, fmt.Errorf("enet: MaxFrame %d outside %d..%d", opts.MaxFrame, minFrameLimit, maxMRBR-16)
	}
	if opts.IPGClockHz == 0 {
		opts.IPGClockHz = DefaultIPGClockHz
	}
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Wake == nil {
		opts.Wake = make(chan struct{}, 1)
	}
	m := &MAC{
		opts:   opts,
		regs:   opts.Regs,
		maxFL:  uint32(opts.MaxFrame),
		imask:  intData | intErrors, // errors interrupt too: counted and acknowledged at once
		notify: opts.Wake,
		link:   Link{Up: false},
	}
	if err := m.reset(); err != nil {
		return nil, err
	}
	mdio, err := NewMDIO(m.regs, fmt.Sprintf("ENET%d", opts.Port.Index), opts.IPGClockHz, opts.MDIOTimeout)
	if err != nil {
		return nil, err
	}
	m.mdio = mdio
	m.configure()
	return m, nil
}

// reset issues ECR.RESET and waits (bounded) for it to self-clear
// (IMX6ULRM 22.5 ENETx_ECR), then masks and acknowledges every interrupt.
func (m *MAC) reset() error {
	m.regs.Write32(regECR, m.regs.Read32(regECR)|ecrRESET)
	for i := 0; m.regs.Read32(regECR)&ecrRESET != 0; i++ {
		if i >= resetPolls {
			return ErrResetTimeout
		}
	}
	m.regs.Write32(regEIMR, 0)
	m.regs.Write32(regEIR, 0xFFFFFFFF)
	return nil
}

// configure programs the registers New owns; the MAC is disabled.
func (m *MAC) configure() {
	o := &m.opts
	r := m.regs
	a := o.MAC
	// 22.5 ENETx_PALR/ENETx_PAUR: bytes 0-3 in PALR (byte 0 most
	// significant), 4-5 in PAUR[31:16]; PAUR[15:0] is the PAUSE type.
	r.Write32(regPALR, uint32(a[0])<<24|uint32(a[1])<<16|uint32(a[2])<<8|uint32(a[3]))
	r.Write32(regPAUR, uint32(a[4])<<24|uint32(a[5])<<16|paurType)
	r.Write32(regOPD, opdOpcode) // pause duration 0: we never send PAUSE

	r.Write32(regIAUR, 0)
	r.Write32(regIALR, 0)
	if o.AllMulticast {
		r.Write32(regGAUR, 0xFFFFFFFF)
		r.Write32(regGALR, 0xFFFFFFFF)
	} else {
		r.Write32(regGAUR, 0)
		r.Write32(regGALR, 0)
	}

	// Until a link is known assume 100 Mbit/s full duplex (QEMU, EVK).
	m.rcr, m.tcr = m.rcrValue(Link{Up: true, Speed: 100, FullDuplex: true}), tcrFDEN
	r.Write32(regRCR, m.rcr)
	r.Write32(regTCR, m.tcr)

	// 22.5 ENETx_TFWR: store and forward; a DDR-fed FIFO must never underrun.
	r.Write32(regTFWR, tfwrSTRFWD)
	r.Write32(regRSFL, 0) // 0 = receive store and forward

	var racc uint32
	if o.Shift16 {
		racc |= raccSHIFT16
	}
	if o.DiscardMACErrors {
		racc |= raccLINEDIS
	}
	r.Write32(regRACC, racc) // PADREM/IPDIS/PRODIS off: the filter sees every frame
	r.Write32(regTACC, 0)    // no checksum insertion: the stack computes them

	// 22.5 ENETx_MIBC: disabled at reset; clear the counters, then run.
	r.Write32(regMIBC, mibcDIS|mibcCLEAR)
	r.Write32(regMIBC, 0)

	// 22.5 ENETx_ECR: enhanced descriptors, little-endian; ETHEREN stays 0.
	ecr := r.Read32(regECR) &^ (ecrETHEREN | ecrMAGICEN | ecrSLEEP)
	r.Write32(regECR, ecr|ecrEN1588|ecrDBSWP)
}

// rcrValue is RCR for a link (22.5 ENETx_RCR). PADEN stays off: with it
// the uDMA can stall on zero-length padded frames; CRCFWD stays 0 (FCS
// kept).
func (m *MAC) rcrValue(l Link) uint32 {
	v := m.maxFL<<rcrMaxFLShift | rcrMIIMODE | rcrFCE
	if !m.opts.MII {
		v |= rcrRMIIMODE
		if l.Up && l.Speed == 10 {
			v |= rcrRMII10T
		}
	}
	if l.Up && !l.FullDuplex {
		v |= rcrDRT // half duplex: do not receive our own transmissions
	}
	if m.opts.Promiscuous {
		v |= rcrPROM
	}
	return v
}

// MDIO returns this ENET's own MII management interface. On shared-bus
// boards ENET2's serves both PHYs: create both MACs first and reach every
// PHY through the MACs' MDIO values (one lock per bus), never through a
// second NewMDIO over the same registers.
func (m *MAC) MDIO() *MDIO { return m.mdio }

// Port returns the instance this MAC drives.
func (m *MAC) Port() Port { return m.opts.Port }

// Address returns the station address.
func (m *MAC) Address() [6]byte { return m.opts.MAC }

// AttachPHY gives the MAC the PHY whose link it follows (see PollLink).
func (m *MAC) AttachPHY(p *PHY) {
	m.mu.Lock()
	m.phy = p
	m.mu.Unlock()
}

// MRBR reports the receive buffer size programmed by Start (0 before).
func (m *MAC) MRBR() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int(m.mrbr)
}

// mrbrFor derives MRBR and FTRL from the ring's buffer size: MRBR is the
// buffer rounded down to 16 bytes, at most maxMRBR; a whole frame of
// MaxFrame (plus the SHIFT16 pad) must fit one buffer, and FTRL (at least
// MAX_FL, 22.5 ENETx_FTRL) keeps even truncated giants inside one buffer,
// with a 16-byte margin where the buffer allows it.
func (m *MAC) mrbrFor(bufSize int) (mrbr, ftrl uint32, err error) {
	if bufSize <= 0 {
		return 0, 0, fmt.Errorf("enet: RX buffer size %d", bufSize)
	}
	b := uint32(bufSize) &^ (mrbrAlign - 1)
	if b > maxMRBR {
		b = maxMRBR
	}
	pad := uint32(0)
	if m.opts.Shift16 {
		pad = 2
	}
	if b < m.maxFL+pad {
		return 0, 0, fmt.Errorf("enet: RX buffer of %d bytes (MRBR %d) cannot hold a %d-byte frame", bufSize, b, m.maxFL+pad)
	}
	ftrl = b - pad
	if ftrl >= m.maxFL+16 {
		ftrl -= 16
	}
	return b, ftrl & ftrlMask, nil
}

// Start attaches the rings and the frame handler and enables the MAC:
// MRBR/FTRL from the RX buffer size, RDSR/TDSR from the rings' descriptor
// addresses, EIMR, then ECR.ETHEREN and the first RDAR write (through the
// ring, which issues the barrier). The rings must have been created with
// this MAC's RXBell/TXBell and be freshly initialised (RX empty, TX idle).
// From Start on the MAC owns them; handle gets every good frame, on the
// poll loop's goroutine.
func (m *MAC) Start(rx *rxring.Ring, tx *TX, handle func(*rxring.Frame) rxring.Verdict) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return ErrStarted
	}
	if rx == nil || tx == nil || handle == nil {
		return errors.New("enet: Start needs both rings and a frame handler")
	}
	for _, base := range []uint32{rx.DescBase(), tx.ring.DescBase()} {
		if base == 0 || base&7 != 0 {
			return fmt.Errorf("enet: descriptor base %#x not 8-byte aligned", base)
		}
	}
	mrbr, ftrl, err := m.mrbrFor(rx.BufSize())
	if err != nil {
		return err
	}
	m.rx, m.tx, m.handle, m.mrbr = rx, tx, handle, mrbr
	m.enable(ftrl)
	return nil
}

// enable programs the ring registers and sets ETHEREN; m.mu is held.
func (m *MAC) enable(ftrl uint32) {
	r := m.regs
	r.Write32(regMRBR, m.mrbr)
	r.Write32(regFTRL, ftrl)
	r.Write32(regRDSR, m.rx.DescBase())
	r.Write32(regTDSR, m.tx.ring.DescBase())
	r.Write32(regEIR, 0xFFFFFFFF&^IntMII)
	r.Write32(regEIMR, m.imask)
	setBits(r, regECR, ecrETHEREN)
	m.started = true
	m.rx.Start() // barrier, then RDAR
}

// restart applies a new link speed or duplex, which the MAC accepts only
// while disabled (IMX6ULRM 22.5 ENETx_TCR, ENETx_RCR): graceful stop, both
// rings back to descriptor 0 (ETHEREN = 0 reset the uDMA's pointers;
// frames not yet sent or polled are dropped and counted), program the
// link, enable again. It runs on the poll loop's goroutine.
func (m *MAC) restart(l Link) error {
	if m.rx == nil {
		return errors.New("enet: restart before Start")
	}
	m.Stop()
	m.tx.reset()
	m.rx.Reset()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.setLinkLocked(l); err != nil {
		return err
	}
	_, ftrl, err := m.mrbrFor(m.rx.BufSize())
	if err != nil {
		return err
	}
	m.enable(ftrl)
	m.isr.restarts.Add(1)
	m.publish() // the rings' abandoned counts
	return nil
}

// Stop disables the MAC: a graceful transmit stop first (TCR.GTS, then
// EIR.GRA, bounded: IMX6ULRM 22.5 ENETx_TCR), so no frame is cut on the
// wire, then ETHEREN = 0 with interrupts masked. Clearing ETHEREN resets the
// uDMA's descriptor pointers to RDSR/TDSR, so the rings must be rebuilt
// before the next Start. It reports whether the graceful stop completed.
func (m *MAC) Stop() (graceful bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.regs
	r.Write32(regEIMR, 0)
	if r.Read32(regECR)&ecrETHEREN != 0 {
		r.Write32(regEIR, IntGRA)
		r.Write32(regTCR, m.tcr|tcrGTS)
		for i := 0; i < resetPolls; i++ {
			if r.Read32(regEIR)&IntGRA != 0 {
				graceful = true
				break
			}
		}
		r.Write32(regEIR, IntGRA)
	}
	clearBits(r, regECR, ecrETHEREN)
	r.Write32(regTCR, m.tcr)
	m.started = false
	return graceful
}

// SetLink programs duplex and RMII speed for a resolved link (TCR.FDEN,
// RCR.DRT, RCR.RMII_10T). These may change only while ETHEREN is 0
// (IMX6ULRM 22.5 ENETx_TCR): before Start the values are applied; after
// Start a change returns ErrRestart (the poll loop then restarts the MAC).
func (m *MAC) SetLink(l Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setLinkLocked(l)
}

func (m *MAC) setLinkLocked(l Link) error {
	rcr := m.rcrValue(l)
	tcr := uint32(0)
	if !l.Up || l.FullDuplex {
		tcr = tcrFDEN
	}
	if m.started {
		if !l.Up {
			return nil // keep the last programmed mode while down
		}
		if tcr != m.tcr || rcr != m.rcr {
			return ErrRestart
		}
		return nil
	}
	if l.Up {
		m.rcr, m.tcr = rcr, tcr
		m.regs.Write32(regRCR, rcr)
		m.regs.Write32(regTCR, tcr)
	}
	return nil
}

// PollLink reads the attached PHY's link, records changes and applies the
// duplex/speed (see SetLink). It returns the link and whether it changed.
func (m *MAC) PollLink() (Link, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.phy == nil {
		return Link{}, false, errors.New("enet: no PHY attached")
	}
	l, err := m.phy.Link()
	if err != nil {
		return m.link, false, err
	}
	changed := l != m.link || !m.linkSet
	if changed {
		if l.Up != m.link.Up || !m.linkSet {
			m.isr.linkChanges.Add(1)
		}
		m.link, m.linkSet = l, true
		if err := m.setLinkLocked(l); err != nil {
			return l, true, err
		}
	}
	return l, changed, nil
}

// Link reports the link last seen by PollLink.
func (m *MAC) Link() Link {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.link
}

// Bell is a doorbell handed to a ring (it satisfies bd.Doorbell): Kick
// writes RDAR or TDAR. The rings issue the full write barrier (DSB ST)
// before Kick, and count their doorbells.
type Bell struct {
	m  *MAC
	tx bool
}

// Kick rings the doorbell: IMX6ULRM 22.5 ENETx_RDAR (empty receive
// descriptors are available) or ENETx_TDAR (the uDMA sends every
// consecutive ready transmit descriptor).
func (b Bell) Kick() {
	if b.tx {
		b.m.regs.Write32(regTDAR, tdarActive)
	} else {
		b.m.regs.Write32(regRDAR, rdarActive)
	}
}

// RXBell returns the RDAR doorbell for the RX ring.
func (m *MAC) RXBell() Bell { return Bell{m: m} }

// TXBell returns the TDAR doorbell for the TX ring.
func (m *MAC) TXBell() Bell { return Bell{m: m, tx: true} }

var _ bd.Doorbell = Bell{}

// Enabled reports whether ECR.ETHEREN is set; the hardware clears it on a
// bus error (EIR.EBERR).
func (m *MAC) Enabled() bool { return m.regs.Read32(regECR)&ecrETHEREN != 0 }
