// enet_test.go tests New and Start against the register fake: the init
// sequence, its ordering, and the options that must be refused.

package enet

import (
	"errors"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/bd"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

func TestNewProgramsMAC(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)

	ecr := f.reg(regECR)
	if ecr&(ecrEN1588|ecrDBSWP) != ecrEN1588|ecrDBSWP {
		t.Errorf("ECR %#08x: want EN1588 and DBSWP", ecr)
	}
	if ecr&ecrETHEREN != 0 {
		t.Errorf("ECR %#08x: ETHEREN set before Start", ecr)
	}
	if ecr&ecrReserved != ecrReserved {
		t.Errorf("ECR %#08x: reserved bits 31:28 not preserved", ecr)
	}
	rcr := f.reg(regRCR)
	if got := rcr >> rcrMaxFLShift & rcrMaxFLMask; got != DefaultMaxFrame {
		t.Errorf("RCR.MAX_FL = %d, want %d", got, DefaultMaxFrame)
	}
	for _, c := range []struct {
		bit  uint32
		want bool
		name string
	}{
		{rcrMIIMODE, true, "MII_MODE"}, {rcrRMIIMODE, true, "RMII_MODE"}, {rcrFCE, true, "FCE"},
		{rcrLOOP, false, "LOOP"}, {rcrPROM, false, "PROM"}, {rcrPADEN, false, "PADEN"},
		{rcrCRCFWD, false, "CRCFWD"}, {rcrDRT, false, "DRT"}, {rcrRMII10T, false, "RMII_10T"},
	} {
		if (rcr&c.bit != 0) != c.want {
			t.Errorf("RCR %#08x: %s = %v, want %v", rcr, c.name, rcr&c.bit != 0, c.want)
		}
	}
	if f.reg(regTCR) != tcrFDEN {
		t.Errorf("TCR = %#x, want FDEN only", f.reg(regTCR))
	}
	if f.reg(regTFWR)&tfwrSTRFWD == 0 {
		t.Errorf("TFWR %#x: store-and-forward not set", f.reg(regTFWR))
	}
	if got := f.reg(regPALR); got != 0x52540012 {
		t.Errorf("PALR = %#08x", got)
	}
	if got := f.reg(regPAUR); got != 0x34568808 {
		t.Errorf("PAUR = %#08x", got)
	}
	if f.reg(regMIBC)&mibcDIS != 0 {
		t.Errorf("MIBC %#08x: MIB left disabled", f.reg(regMIBC))
	}
	if w := f.writesTo(regMIBC); len(w) < 2 || w[0]&mibcCLEAR == 0 || w[len(w)-1] != 0 {
		t.Errorf("MIBC writes %x: want clear then enable", w)
	}
	if f.reg(regEIMR) != 0 {
		t.Errorf("EIMR = %#x before Start", f.reg(regEIMR))
	}
	if f.reg(regMSCR)>>mscrSpeedShift&mscrSpeedMask == 0 {
		t.Error("MSCR.MII_SPEED = 0: MDC off")
	}
	if f.reg(regGAUR) != 0 || f.reg(regGALR) != 0 {
		t.Error("group hash not cleared without AllMulticast")
	}
	if m.Address() != testMAC {
		t.Error("Address")
	}
}

func TestNewOptionBits(t *testing.T) {
	_, f, _ := newTestMAC(t, func(o *Options) {
		o.Promiscuous, o.AllMulticast, o.Shift16, o.DiscardMACErrors = true, true, true, true
		o.MII = true
		o.MaxFrame = 1518
	})
	rcr := f.reg(regRCR)
	if rcr&rcrPROM == 0 || rcr&rcrRMIIMODE != 0 || rcr>>rcrMaxFLShift&rcrMaxFLMask != 1518 {
		t.Errorf("RCR %#08x", rcr)
	}
	if f.reg(regRACC) != raccSHIFT16|raccLINEDIS {
		t.Errorf("RACC %#x", f.reg(regRACC))
	}
	if f.reg(regGAUR) != 0xFFFFFFFF || f.reg(regGALR) != 0xFFFFFFFF {
		t.Error("AllMulticast did not open the group hash")
	}
}

func TestNewRejects(t *testing.T) {
	bus := newFakeBus(0)
	for name, o := range map[string]Options{
		"nil regs":  {MAC: testMAC},
		"zero MAC":  {Regs: newFakeENET(bus)},
		"multicast": {Regs: newFakeENET(bus), MAC: [6]byte{1, 0, 0x5e, 0, 0, 1}},
		"too long":  {Regs: newFakeENET(bus), MAC: testMAC, MaxFrame: 4000},
		"too short": {Regs: newFakeENET(bus), MAC: testMAC, MaxFrame: 10},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestResetWaitsAndTimesOut(t *testing.T) {
	f := newFakeENET(newFakeBus(0))
	f.resetReads = 5
	if _, err := New(Options{Regs: f, MAC: testMAC}); err != nil {
		t.Fatalf("slow reset: %v", err)
	}
	f = newFakeENET(newFakeBus(0))
	f.resetReads = 1 << 30 // never clears
	if _, err := New(Options{Regs: f, MAC: testMAC}); !errors.Is(err, ErrResetTimeout) {
		t.Fatalf("stuck reset: err = %v, want ErrResetTimeout", err)
	}
}

func TestStartSequence(t *testing.T) {
	m, f, _ := newTestMAC(t, nil)
	p := newPlainRings(t, m, 64)
	if got := f.reg(regMRBR); got != 0 {
		t.Fatalf("MRBR %d before Start (reset value is 0)", got)
	}
	if err := m.Start(p.rx, p.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	mrbr := f.reg(regMRBR)
	if mrbr == 0 || mrbr > uint32(p.rx.BufSize()) || mrbr%16 != 0 || mrbr > maxMRBR || mrbr < DefaultMaxFrame {
		t.Fatalf("MRBR = %d", mrbr)
	}
	if m.MRBR() != int(mrbr) {
		t.Errorf("MRBR() = %d, register %d", m.MRBR(), mrbr)
	}
	ftrl := f.reg(regFTRL)
	if ftrl < DefaultMaxFrame || ftrl+2 > mrbr {
		t.Errorf("FTRL = %d with MRBR %d", ftrl, mrbr)
	}
	if f.reg(regRDSR) != p.rxd.Bus || f.reg(regTDSR) != p.txd.Bus {
		t.Errorf("RDSR/TDSR = %#x/%#x", f.reg(regRDSR), f.reg(regTDSR))
	}
	if f.reg(regEIMR) != intData|intErrors {
		t.Errorf("EIMR = %#08x", f.reg(regEIMR))
	}
	if !m.Enabled() {
		t.Fatal("ETHEREN not set")
	}
	// Order: MRBR, RDSR, TDSR before ETHEREN; the first RDAR after it.
	en := f.firstWrite(regECR, func(v uint32) bool { return v&ecrETHEREN != 0 })
	for _, off := range []uint32{regMRBR, regFTRL, regRDSR, regTDSR} {
		if i := f.firstWrite(off, func(uint32) bool { return true }); i < 0 || i > en {
			t.Errorf("register %#x written at %d, ETHEREN at %d", off, i, en)
		}
	}
	if i := f.firstWrite(regRDAR, func(uint32) bool { return true }); i < en {
		t.Errorf("first RDAR at %d before ETHEREN at %d", i, en)
	}
	if f.reg(regRDAR) != rdarActive || f.rdar != 1 {
		t.Errorf("RDAR = %#x after %d writes", f.reg(regRDAR), f.rdar)
	}
	if err := m.Start(p.rx, p.tx, dropAll); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	if !m.Stop() {
		t.Error("graceful stop not seen")
	}
	if m.Enabled() || f.reg(regEIMR) != 0 || f.reg(regTCR)&tcrGTS != 0 {
		t.Error("Stop left the MAC enabled, interrupts unmasked or GTS set")
	}
	gts := f.firstWrite(regTCR, func(v uint32) bool { return v&tcrGTS != 0 })
	off := -1
	for i := len(f.log) - 1; i >= 0 && off < 0; i-- {
		if f.log[i].off == regECR && f.log[i].val&ecrETHEREN == 0 {
			off = i
		}
	}
	if gts < en || off < gts {
		t.Errorf("ETHEREN cleared at %d before the graceful stop at %d", off, gts)
	}
	// A stop that never completes is bounded and reported.
	m2, f2, _ := newTestMAC(t, nil)
	f2.noGRA = true
	p2 := newPlainRings(t, m2, 4)
	if err := m2.Start(p2.rx, p2.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	if m2.Stop() || m2.Enabled() {
		t.Error("hung graceful stop reported success or left the MAC enabled")
	}
}

func TestStartRejectsRings(t *testing.T) {
	m0, _, _ := newTestMAC(t, nil)
	good := newPlainRings(t, m0, 8)
	small, err := rxring.New(rxring.Options{Size: 8, Pool: good.pool, Desc: bd.NewPlain(8, 0x3000), Doorbell: m0.RXBell(), BufSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	misaligned, _ := rxring.New(rxring.Options{Size: 8, Pool: good.pool, Desc: bd.NewPlain(8, 0x4004), Doorbell: m0.RXBell()})
	zeroTX, _ := txring.New(txring.Options{Size: 8, Pool: good.pool, Desc: bd.NewPlain(8, 0), Doorbell: m0.TXBell()})
	cases := map[string]struct {
		rx     *rxring.Ring
		tx     *TX
		handle func(*rxring.Frame) rxring.Verdict
	}{
		"small buffers": {small, good.tx, dropAll},
		"misaligned":    {misaligned, good.tx, dropAll},
		"zero base":     {good.rx, NewTX(zeroTX), dropAll},
		"no handler":    {good.rx, good.tx, nil},
		"no rings":      {nil, nil, dropAll},
	}
	for name, c := range cases {
		m, f, _ := newTestMAC(t, nil)
		if err := m.Start(c.rx, c.tx, c.handle); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
		if f.reg(regECR)&ecrETHEREN != 0 || f.rdar != 0 {
			t.Errorf("%s: MAC enabled by a refused Start", name)
		}
	}
}

func TestMRBR(t *testing.T) {
	m, _, _ := newTestMAC(t, nil)
	s, _, _ := newTestMAC(t, func(o *Options) { o.Shift16 = true })
	for _, c := range []struct {
		mac        *MAC
		buf        int
		mrbr, ftrl uint32
		ok         bool
	}{
		{m, 1536, 1536, 1536, true}, // rxring's default: no room for the margin
		{m, 1540, 1536, 1536, true},
		{m, 2048, maxMRBR, maxMRBR - 16, true},
		{m, 4096, maxMRBR, maxMRBR - 16, true},
		{m, 1520, 0, 0, false},
		{s, 1536, 1536, 1534, true},
		{s, 1600, 1600, 1582, true},
		{s, 1522, 0, 0, false},
	} {
		mrbr, ftrl, err := c.mac.mrbrFor(c.buf)
		if (err == nil) != c.ok || mrbr != c.mrbr || ftrl != c.ftrl {
			t.Errorf("shift16 %v buf %d: MRBR %d FTRL %d err %v; want %d %d ok %v",
				c.mac.opts.Shift16, c.buf, mrbr, ftrl, err, c.mrbr, c.ftrl, c.ok)
		}
		if err == nil && (ftrl < DefaultMaxFrame || mrbr%16 != 0) {
			t.Errorf("buf %d: FTRL %d below MAX_FL or MRBR %d not a multiple of 16", c.buf, ftrl, mrbr)
		}
	}
}

// TestQEMUMasks brings a port up over a fake that keeps only what QEMU
// 7.2's imx.enet keeps of each write: nothing the driver relies on may
// depend on reading back a bit QEMU drops.
func TestQEMUMasks(t *testing.T) {
	bus := newFakeBus(0)
	bus.phys[2] = newFakePHY(IDQEMU)
	f := newFakeENET(bus)
	f.qemu = true
	m, err := New(Options{Port: ENET1, Regs: f, MAC: testMAC})
	if err != nil {
		t.Fatal(err)
	}
	p, where, err := BringUpPHY(m.MDIO(), nil, 2, PHYConfig{RefClk50MHz: true})
	if err != nil || where.ID != IDQEMU {
		t.Fatalf("PHY: %v %v", where, err)
	}
	m.AttachPHY(p)
	if l, err := m.WaitLink(time.Second, time.Millisecond); err != nil || l != (Link{Up: true, Speed: 100, FullDuplex: true, Pause: true}) {
		t.Fatalf("link %v %v", l, err)
	}
	rings := newPlainRings(t, m, 8)
	if err := m.Start(rings.rx, rings.tx, dropAll); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := m.PollLink(); err != nil {
			t.Fatalf("PollLink %d on QEMU masks: %v", i, err)
		}
	}
	if got := len(f.writesTo(regMSCR)); got != 1 {
		t.Errorf("MSCR written %d times: the restore check thrashes on QEMU's mask", got)
	}
	if f.reg(regMRBR) != maxMRBR || f.reg(regRCR)>>rcrMaxFLShift != DefaultMaxFrame || f.reg(regRDAR) != rdarActive {
		t.Errorf("MRBR %d RCR %#x RDAR %#x", f.reg(regMRBR), f.reg(regRCR), f.reg(regRDAR))
	}
	rings.arrive(4)
	f.raise(IntRXF)
	m.ISR()
	<-m.notify
	loopOf(t, m, nil).Drain()
	if v := m.ReadMIB(); v.Status != MIBUnsupported {
		t.Errorf("QEMU MIB reported %v", v.Status)
	}
	if !m.Stop() {
		t.Error("QEMU raises GRA at once; Stop should see it")
	}
}
