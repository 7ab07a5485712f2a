// fake_test.go owns the host model of an ENET register file and its MDIO
// bus, used by every test of the package: ECR.RESET self-clearing (after a
// configurable number of reads) and restoring reset values, W1C EIR, MMFR
// transactions answered by PHY models on a (possibly shared) bus that set
// EIR.MII, MDC off while MSCR is 0, RDAR/TDAR writes recorded, a MIB block.

package enet

import (
	"fmt"
	"sync"
	"testing"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/internal/noncoherent"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

// Reset values (IMX6ULRM 22.5; the same as QEMU's imx.enet model).
var resetValues = map[uint32]uint32{
	regECR:  0xF0000000,
	regMIBC: mibcDIS | mibcIDLE,
	regRCR:  0x05EE0000 | rcrLOOP,
	regOPD:  0x00010000,
	regPAUR: paurType,
	regRAEM: 4, regRAFL: 4, regTAEM: 4, regTAFL: 8, regTIPG: 12,
	regFTRL: 0x7FF,
}

type regWrite struct{ off, val uint32 }

// fakeENET is one ENET register file.
type fakeENET struct {
	mu   sync.Mutex
	r    [regsSize / 4]uint32
	bus  *fakeBus
	log  []regWrite
	mib  map[uint32]uint32
	rdar int // RDAR writes
	tdar int // TDAR writes

	onRDAR, onTDAR func() // device hooks run after an RDAR/TDAR write

	resetReads   int  // reads of ECR that still show RESET after a reset
	resetPending int  // remaining
	mibStuckOff  bool // MIBC keeps MIB_DIS (a MAC without MIB)
	noGRA        bool // a graceful stop never completes
	noLog        bool // do not record writes (benchmarks)
	qemu         bool // apply QEMU 7.2 imx.enet write masks (hw/net/imx_fec.c)
}

func newFakeENET(bus *fakeBus) *fakeENET {
	f := &fakeENET{bus: bus, mib: map[uint32]uint32{}}
	f.hwReset()
	return f
}

func (f *fakeENET) hwReset() {
	f.r = [regsSize / 4]uint32{}
	for off, v := range resetValues {
		f.r[off/4] = v
	}
}

func (f *fakeENET) Read32(off uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= 0x200 && off < regsSize {
		return f.mib[off]
	}
	v := f.r[off/4]
	if off == regECR && f.resetPending > 0 {
		f.resetPending--
		v |= ecrRESET
	}
	return v
}

func (f *fakeENET) Write32(off, v uint32) {
	f.mu.Lock()
	if !f.noLog {
		f.log = append(f.log, regWrite{off, v})
	}
	if f.qemu {
		var drop bool
		v, drop = qemuMask(off, v)
		if drop {
			f.mu.Unlock()
			return
		}
	}
	switch off {
	case regEIR:
		f.r[off/4] &^= v
	case regECR:
		if v&ecrRESET != 0 {
			f.hwReset()
			f.resetPending = f.resetReads
			break
		}
		f.r[off/4] = v
		if v&ecrETHEREN == 0 {
			f.r[regRDAR/4], f.r[regTDAR/4] = 0, 0
		}
	case regRDAR:
		f.rdar++
		if f.r[regECR/4]&ecrETHEREN != 0 {
			f.r[off/4] = rdarActive
			if hook := f.onRDAR; hook != nil {
				f.mu.Unlock()
				hook()
				return
			}
		}
	case regTDAR:
		f.tdar++ // the model "sends" at once: TDAR reads 0 again
		if hook := f.onTDAR; hook != nil && f.r[regECR/4]&ecrETHEREN != 0 {
			f.mu.Unlock()
			hook()
			return
		}
	case regTCR:
		f.r[off/4] = v
		if v&tcrGTS != 0 && !f.noGRA {
			f.r[regEIR/4] |= IntGRA // nothing in flight: stopped at once, as in QEMU
		}
	case regMIBC:
		if f.mibStuckOff {
			v |= mibcDIS
		}
		f.r[off/4] = v
	case regMMFR:
		f.r[off/4] = v
		speed := f.r[regMSCR/4] >> mscrSpeedShift & mscrSpeedMask
		bus := f.bus
		f.mu.Unlock()
		if speed == 0 || bus == nil {
			return // MDC off or no pins: the frame never completes
		}
		data, ok := bus.transact(v)
		f.mu.Lock()
		if ok {
			f.r[regMMFR/4] = v&^mmfrData | uint32(data)
			f.r[regEIR/4] |= IntMII
		}
	default:
		f.r[off/4] = v
	}
	f.mu.Unlock()
}

// qemuMask is what QEMU 7.2's imx.enet keeps of a register write; drop
// reports writes it ignores (hash registers: no MAC filtering).
func qemuMask(off, v uint32) (uint32, bool) {
	switch off {
	case regRCR:
		return v & 0x07FF003F, false // RMII_MODE, RMII_10T, PADEN... not kept
	case regMSCR:
		return v & 0xFE, false // HOLDTIME not kept
	case regMRBR:
		return v & 0x3FF0, false
	case regRDSR, regTDSR:
		return v &^ 7, false
	case regRACC:
		return v & 0xC7, false
	case regTACC:
		return v & 0x19, false
	case regFTRL:
		return v & 0x3FFF, false
	case regTFWR:
		return v & 0x13F, false
	case regMIBC:
		if v&mibcDIS != 0 {
			return mibcDIS | mibcIDLE, false
		}
		return 0, false
	case regOPD:
		return v&0xFFFF | 0x10000, false
	case regPAUR:
		return (v | 0xFFFF) & 0xFFFF8808, false
	case regIAUR, regIALR, regGAUR, regGALR:
		return 0, true
	}
	return v, false
}

// raise sets EIR bits as the uDMA would.
func (f *fakeENET) raise(bits uint32) {
	f.mu.Lock()
	f.r[regEIR/4] |= bits
	f.mu.Unlock()
}

// reg returns a register without side effects.
func (f *fakeENET) reg(off uint32) uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r[off/4]
}

// writesTo returns the values written to off, in order.
func (f *fakeENET) writesTo(off uint32) []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint32
	for _, w := range f.log {
		if w.off == off {
			out = append(out, w.val)
		}
	}
	return out
}

// firstWrite returns the index in the log of the first write to off that
// satisfies pred, or -1.
func (f *fakeENET) firstWrite(off uint32, pred func(uint32) bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, w := range f.log {
		if w.off == off && pred(w.val) {
			return i
		}
	}
	return -1
}

// fakeBus is the wire of one MDIO bus with PHY models at addresses.
type fakeBus struct {
	mu     sync.Mutex
	phys   map[int]phyModel
	absent uint16 // what an empty address reads: 0xFFFF on hardware, 0 in QEMU 7.2
	hang   bool   // never complete a frame
	frames int
}

func newFakeBus(absent uint16) *fakeBus {
	return &fakeBus{phys: map[int]phyModel{}, absent: absent}
}

func (b *fakeBus) transact(frame uint32) (uint16, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frames++
	if b.hang {
		return 0, false
	}
	if frame>>30 != 0b01 || frame>>16&3 != 0b10 {
		panic(fmt.Sprintf("bad clause-22 frame %#08x", frame))
	}
	pa := int(frame >> mmfrPAShift & 31)
	ra := int(frame >> mmfrRAShift & 31)
	p := b.phys[pa]
	switch frame >> 28 & 3 {
	case 0b10:
		if p == nil {
			return b.absent, true
		}
		return p.read(ra), true
	case 0b01:
		if p != nil {
			p.write(ra, uint16(frame))
		}
		return 0, true
	}
	panic(fmt.Sprintf("bad op in %#08x", frame))
}

// phyModel answers clause-22 register accesses.
type phyModel interface {
	read(ra int) uint16
	write(ra int, v uint16)
}

// rawPHY returns fixed register words (fuzzing).
type rawPHY struct{ regs map[int]uint16 }

func (p *rawPHY) read(ra int) uint16     { return p.regs[ra] }
func (p *rawPHY) write(ra int, v uint16) { p.regs[ra] = v }

// fakePHY models a clause-22 PHY: self-clearing reset after resetReads
// reads, latched-low link status, autonegotiation against a partner.
type fakePHY struct {
	id         PHYID
	regs       [32]uint16
	link       bool
	latchedLow bool // link went down since BMSR was last read
	partner    uint16
	resetReads int
	pending    int
	writes     map[int][]uint16
	stuckReset bool
	defaults   map[int]uint16 // vendor register values after reset
}

func newFakePHY(id PHYID) *fakePHY {
	p := &fakePHY{id: id, link: true, partner: 0x0F71 /* QEMU's LPA */, writes: map[int][]uint16{}}
	p.reset()
	return p
}

func (p *fakePHY) reset() {
	p.regs = [32]uint16{}
	p.regs[miiBMCR] = bmcrSpeed100 | bmcrANEnable
	p.regs[miiANAR] = anDefault &^ anPause
	for ra, v := range p.defaults {
		p.regs[ra] = v
	}
	p.pending = p.resetReads
}

func (p *fakePHY) setLink(up bool) {
	if p.link && !up {
		p.latchedLow = true
	}
	p.link = up
}

func (p *fakePHY) read(ra int) uint16 {
	switch ra {
	case miiBMCR:
		v := p.regs[miiBMCR]
		if p.stuckReset || p.pending > 0 {
			if p.pending > 0 {
				p.pending--
			}
			v |= bmcrReset
		}
		return v
	case miiBMSR:
		v := uint16(0x7809)
		if p.link && !p.latchedLow {
			v |= bmsrLinkUp
		}
		if p.link && p.regs[miiBMCR]&bmcrANEnable != 0 {
			v |= bmsrANComplete
		}
		p.latchedLow = false
		return v
	case miiPHYID1:
		return uint16(p.id >> 16)
	case miiPHYID2:
		return uint16(p.id)
	case miiANLPAR:
		if !p.link {
			return 0
		}
		return p.partner
	}
	return p.regs[ra]
}

func (p *fakePHY) write(ra int, v uint16) {
	p.writes[ra] = append(p.writes[ra], v)
	if ra == miiBMCR {
		if v&bmcrReset != 0 {
			p.reset()
			return
		}
		v &^= bmcrANRestart
	}
	p.regs[ra] = v
}

// plainRings are a real rxring.Ring and TX over plain descriptor memory,
// the test playing the uDMA: arrive completes RX descriptors with frames,
// sent completes TX descriptors. The pool is the cache model's.
type plainRings struct {
	pool     *pagepool.Pool
	rxd, txd *bd.Plain
	rx       *rxring.Ring
	tx       *TX
	devRX    int // next RX descriptor the device fills
	devTX    int // next TX descriptor the device completes
}

func newPlainRings(t testing.TB, m *MAC, n int) *plainRings {
	t.Helper()
	sys, err := noncoherent.New(noncoherent.Config{Seed: 1, RegionSize: (2*n + 8) * pagepool.PageSize})
	if err != nil {
		t.Fatal(err)
	}
	p := &plainRings{rxd: bd.NewPlain(n, 0x80100000), txd: bd.NewPlain(n, 0x80108000)}
	if p.pool, err = pagepool.New(sys); err != nil {
		t.Fatal(err)
	}
	if p.rx, err = rxring.New(rxring.Options{Size: n, Pool: p.pool, Desc: p.rxd, Doorbell: m.RXBell(), FCS: true, BufSize: 2048}); err != nil {
		t.Fatal(err)
	}
	txr, err := txring.New(txring.Options{Size: n, Pool: p.pool, Desc: p.txd, Doorbell: m.TXBell()})
	if err != nil {
		t.Fatal(err)
	}
	p.tx = NewTX(txr)
	return p
}

// arrive completes the next k RX descriptors with 64-byte frames.
func (p *plainRings) arrive(k int) {
	n := p.rx.Size()
	for ; k > 0; k-- {
		w := p.devRX * bd.Size / 4
		st := bd.Status(p.rxd.W[w]) &^ bd.Own
		p.rxd.W[w] = bd.Word0(st|bd.L, 64+4)
		p.devRX = (p.devRX + 1) % n
	}
}

// send queues k 60-byte frames on the TX ring (no doorbell).
func (p *plainRings) send(t testing.TB, k int) {
	for ; k > 0; k-- {
		if err := p.tx.With(60, func(b []byte) int { return 60 }); err != nil {
			t.Fatal(err)
		}
	}
}

// sent completes the next k TX descriptors the device owns.
func (p *plainRings) sent(k int) {
	n := p.tx.ring.Size()
	for ; k > 0; k-- {
		w := p.devTX * bd.Size / 4
		if bd.Status(p.txd.W[w])&bd.Own == 0 {
			return
		}
		p.txd.W[w] &^= bd.Own << 16
		p.devTX = (p.devTX + 1) % n
	}
}

func dropAll(*rxring.Frame) rxring.Verdict { return rxring.Drop }

// Default test station address: QEMU's default for ENET1.
var testMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// newTestMAC builds a MAC over a fresh fake with a QEMU-7.2-like PHY at
// address 2 on its own bus.
func newTestMAC(t interface {
	Helper()
	Fatalf(string, ...any)
}, mod func(*Options)) (*MAC, *fakeENET, *fakePHY) {
	t.Helper()
	bus := newFakeBus(0)
	phy := newFakePHY(IDQEMU)
	bus.phys[2] = phy
	f := newFakeENET(bus)
	o := Options{Port: ENET1, Regs: f, MAC: testMAC}
	if mod != nil {
		mod(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, f, phy
}
