// phy.go owns Ethernet PHY handling over clause-22 MDIO: reset,
// autonegotiation, link resolution from BMSR/ANAR/ANLPAR (IEEE 802.3
// clause 22 and annex 28B), and the vendor bits the supported boards need:
// Microchip KSZ8081RNB (MCIMX6UL(L)-EVK) and TI DP83825I (USB armory Mk II
// LAN), both clocked from a 50 MHz RMII REF_CLK driven by the SoC.

package enet

import (
	"errors"
	"fmt"
	"time"
)

// Clause-22 registers and bits (IEEE 802.3 22.2.4).
const (
	miiBMCR   = 0 // basic control
	miiBMSR   = 1 // basic status
	miiPHYID1 = 2
	miiPHYID2 = 3
	miiANAR   = 4 // autonegotiation advertisement
	miiANLPAR = 5 // link partner ability
	miiANER   = 6 // autonegotiation expansion

	bmcrReset     = 1 << 15 // self-clearing, completes within 0.5 s (22.2.4.1.1)
	bmcrLoopback  = 1 << 14
	bmcrSpeed100  = 1 << 13
	bmcrANEnable  = 1 << 12
	bmcrPowerDown = 1 << 11
	bmcrIsolate   = 1 << 10
	bmcrANRestart = 1 << 9
	bmcrFullDup   = 1 << 8

	bmsrANComplete = 1 << 5
	bmsrLinkUp     = 1 << 2 // latched low: read twice for the current state

	// ANAR/ANLPAR technology ability field (annex 28B.2) and selector.
	an10HD      = 1 << 5
	an10FD      = 1 << 6
	an100HD     = 1 << 7
	an100FD     = 1 << 8
	anPause     = 1 << 10
	anSelector  = 0x0001 // IEEE 802.3
	anDefault   = an10HD | an10FD | an100HD | an100FD | anPause | anSelector
	anTechMask  = an10HD | an10FD | an100HD | an100FD
	phyResetMax = 500 * time.Millisecond
)

// PHY models the supported boards carry.
const (
	// KSZ8081 family, Microchip DS00002202 ("PHY Identifier 1/2", 0x0022/0x156x).
	IDKSZ8081 PHYID = 0x00221560
	// DP83825I, TI SNLS638 ("PHYIDR1/2", 0x2000/0xA15x).
	IDDP83825I PHYID = 0x2000A150
	// QEMU's imx.enet PHY model (SMSC LAN911x-like, 0x0007/0xC0D1).
	IDQEMU PHYID = 0x0007C0D1
)

// Vendor registers.
const (
	// KSZ8081RNB, DS00002202 register map: Operation Mode Strap Override
	// (16h). The RNB comes out of reset in whatever mode its straps (or
	// noise on them) chose; force RMII and normal operation, and stop
	// answering address 0 as a broadcast (two PHYs share the EVK's bus).
	// Linux micrel.c and Zephyr's ksz8081 driver do the same.
	kszOMSO         = 0x16
	kszOMSOFactory  = 1 << 15 // factory test mode
	kszOMSOBcastOff = 1 << 9  // PHY address 0 is not a broadcast address
	kszOMSONANDTree = 1 << 5  // NAND tree test mode
	kszOMSORMII     = 1 << 1  // RMII override
	kszOMSOMII      = 1 << 0  // MII override

	// KSZ8081RNB, DS00002202 register map: PHY Control 2 (1Fh).
	kszPHYCtrl2    = 0x1F
	kszHPMDIX      = 1 << 15 // HP Auto MDI/MDI-X
	kszRMIIRef50   = 1 << 7  // RMII reference clock select: 50 MHz on XI
	kszLEDModeMask = 0x3 << 4
	kszLEDMode01   = 0x1 << 4 // LED1 activity, LED0 link

	// DP83825I, SNLS638 8.6: RMII and Status Register (RCSR, 17h).
	dpRCSR      = 0x17
	dpRMIIClk50 = 1 << 7 // RMII_CLK_SEL: 50 MHz reference clock input
)

// PHYConfig describes how a board wires its PHY.
type PHYConfig struct {
	// RefClk50MHz: the PHY's RMII reference clock is a 50 MHz input driven by
	// the SoC (true on the EVK and on the USB armory Mk II LAN).
	RefClk50MHz bool
	// Advertise is the ANAR value to advertise; 0 advertises 10/100
	// half/full duplex with symmetric pause.
	Advertise uint16
	// ScanIfAbsent: when nothing answers at the configured address, bind
	// the configured bus's only PHY (ScanSolePHY). Only for a PHY that is
	// alone on its bus, or the scan could take another port's.
	ScanIfAbsent bool
}

// Link is the resolved state of a PHY's link.
type Link struct {
	Up         bool `json:"up"`
	Speed      int  `json:"speed_mbps"` // 10 or 100 Mbit/s; 0 when down
	FullDuplex bool `json:"full_duplex"`
	Pause      bool `json:"pause"` // both ends advertised symmetric PAUSE
}

func (l Link) String() string {
	if !l.Up {
		return "down"
	}
	d := "half"
	if l.FullDuplex {
		d = "full"
	}
	return fmt.Sprintf("up %d Mbit/s %s duplex", l.Speed, d)
}

// PHY is one clause-22 PHY reached through an MDIO bus.
type PHY struct {
	bus  *MDIO
	addr int
	id   PHYID
	cfg  PHYConfig
}

// NewPHY binds the PHY found by ProbePHY.
func NewPHY(r ProbeResult, cfg PHYConfig) (*PHY, error) {
	if r.Bus == nil || !r.ID.Valid() {
		return nil, errors.New("enet: NewPHY: no probed PHY")
	}
	if cfg.Advertise == 0 {
		cfg.Advertise = anDefault
	}
	return &PHY{bus: r.Bus, addr: r.Addr, id: r.ID, cfg: cfg}, nil
}

// ID reports the PHY identifier read at probe time.
func (p *PHY) ID() PHYID { return p.id }

// Addr reports the PHY address on its bus.
func (p *PHY) Addr() int { return p.addr }

// Bus reports the MDIO bus the PHY answers on.
func (p *PHY) Bus() *MDIO { return p.bus }

// Init resets the PHY, applies the board's vendor settings and starts
// autonegotiation. It does not wait for the link.
func (p *PHY) Init() error {
	if err := p.Reset(); err != nil {
		return err
	}
	if err := p.configureVendor(); err != nil {
		return err
	}
	return p.StartAutoneg()
}

// Reset sets BMCR.RESET and waits, bounded, for the PHY to clear it.
func (p *PHY) Reset() error {
	if err := p.bus.Write(p.addr, miiBMCR, bmcrReset); err != nil {
		return err
	}
	deadline := time.Now().Add(phyResetMax)
	for i := 0; ; i++ {
		v, err := p.bus.Read(p.addr, miiBMCR)
		if err != nil {
			return err
		}
		if v&bmcrReset == 0 {
			return nil
		}
		if i >= 10000 || time.Now().After(deadline) {
			return fmt.Errorf("enet: PHY %d reset did not complete (BMCR %#04x)", p.addr, v)
		}
	}
}

// configureVendor applies the RMII clock and MDI-X settings of the known
// PHYs; other PHYs (the QEMU model) need none.
func (p *PHY) configureVendor() error {
	switch p.id.Model() {
	case IDKSZ8081:
		o, err := p.bus.Read(p.addr, kszOMSO)
		if err != nil {
			return err
		}
		o = o&^(kszOMSOFactory|kszOMSONANDTree|kszOMSOMII) | kszOMSORMII | kszOMSOBcastOff
		if err := p.bus.Write(p.addr, kszOMSO, o); err != nil {
			return err
		}
		v, err := p.bus.Read(p.addr, kszPHYCtrl2)
		if err != nil {
			return err
		}
		v = v&^(kszRMIIRef50|kszLEDModeMask) | kszHPMDIX | kszLEDMode01
		if p.cfg.RefClk50MHz {
			v |= kszRMIIRef50
		}
		return p.bus.Write(p.addr, kszPHYCtrl2, v)
	case IDDP83825I:
		v, err := p.bus.Read(p.addr, dpRCSR)
		if err != nil {
			return err
		}
		v &^= dpRMIIClk50
		if p.cfg.RefClk50MHz {
			v |= dpRMIIClk50
		}
		return p.bus.Write(p.addr, dpRCSR, v)
	}
	return nil
}

// StartAutoneg writes the advertisement and (re)starts autonegotiation.
func (p *PHY) StartAutoneg() error {
	if err := p.bus.Write(p.addr, miiANAR, p.cfg.Advertise); err != nil {
		return err
	}
	return p.bus.Write(p.addr, miiBMCR, bmcrANEnable|bmcrANRestart)
}

// Link reads the current link state. BMSR is read twice because its link
// bit latches low until read (IEEE 802.3 22.2.4.2.13).
func (p *PHY) Link() (Link, error) {
	if _, err := p.bus.Read(p.addr, miiBMSR); err != nil {
		return Link{}, err
	}
	bmsr, err := p.bus.Read(p.addr, miiBMSR)
	if err != nil {
		return Link{}, err
	}
	bmcr, err := p.bus.Read(p.addr, miiBMCR)
	if err != nil {
		return Link{}, err
	}
	if bmsr&bmsrLinkUp == 0 {
		return Link{}, nil
	}
	if bmcr&bmcrANEnable == 0 {
		return forcedLink(bmcr), nil
	}
	if bmsr&bmsrANComplete == 0 {
		return Link{}, nil // link pulses seen, negotiation still running
	}
	anar, err := p.bus.Read(p.addr, miiANAR)
	if err != nil {
		return Link{}, err
	}
	lpa, err := p.bus.Read(p.addr, miiANLPAR)
	if err != nil {
		return Link{}, err
	}
	return resolveLink(anar, lpa), nil
}

// forcedLink is the link of a PHY with autonegotiation off.
func forcedLink(bmcr uint16) Link {
	l := Link{Up: true, Speed: 10, FullDuplex: bmcr&bmcrFullDup != 0}
	if bmcr&bmcrSpeed100 != 0 {
		l.Speed = 100
	}
	return l
}

// resolveLink picks the highest common technology (IEEE 802.3 annex 28B.3
// priority: 100BASE-TX FD > 100BASE-TX HD > 10BASE-T FD > 10BASE-T HD).
// With nothing in common the link is reported down.
func resolveLink(anar, lpa uint16) Link {
	common := anar & lpa & anTechMask
	l := Link{Up: true, Pause: anar&lpa&anPause != 0}
	switch {
	case common&an100FD != 0:
		l.Speed, l.FullDuplex = 100, true
	case common&an100HD != 0:
		l.Speed = 100
	case common&an10FD != 0:
		l.Speed, l.FullDuplex = 10, true
	case common&an10HD != 0:
		l.Speed = 10
	default:
		return Link{}
	}
	if !l.FullDuplex {
		l.Pause = false // PAUSE is a full-duplex mechanism (annex 31B)
	}
	return l
}

// BringUpPHY probes for the PHY at addr on the configured MDIO bus (falling
// back to the other one, see ProbePHY, then to a scan if cfg.ScanIfAbsent),
// binds it with cfg and runs Init. The ProbeResult says where it was found,
// for the boot log.
func BringUpPHY(configured, fallback *MDIO, addr int, cfg PHYConfig) (*PHY, ProbeResult, error) {
	r, err := ProbePHY(configured, fallback, addr)
	if errors.Is(err, ErrNoPHY) && cfg.ScanIfAbsent {
		var serr error
		if r, serr = ScanSolePHY(configured, addr); serr != nil {
			return nil, r, fmt.Errorf("%w; %v", err, serr)
		}
		err = nil
	}
	if err != nil {
		return nil, r, err
	}
	p, err := NewPHY(r, cfg)
	if err != nil {
		return nil, r, err
	}
	if err := p.Init(); err != nil {
		return nil, r, fmt.Errorf("enet: %v: %w", r, err)
	}
	return p, r, nil
}

// WaitLink polls the attached PHY until the link is up or timeout passes,
// sleeping every between polls. It returns the last link seen; a link that
// stays down is not an error (the cable may be out), an MDIO failure is.
func (m *MAC) WaitLink(timeout, every time.Duration) (Link, error) {
	deadline := time.Now().Add(timeout)
	for {
		l, _, err := m.PollLink()
		if err != nil && !errors.Is(err, ErrRestart) {
			return l, err
		}
		if l.Up || !time.Now().Before(deadline) {
			return l, nil
		}
		time.Sleep(every)
	}
}
