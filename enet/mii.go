// mii.go owns the MII management (MDIO) interface of one ENET: clause-22
// reads and writes through MMFR/MSCR with bounded completion polling, the
// probe that finds which ENET's MDIO bus a PHY answers on, and the scan for
// a PHY that is alone on its bus but not at its configured address.
//
// On the MCIMX6UL(L)-EVK (and QEMU >= 8.1) both PHYs hang off ENET2's MDIO
// pins; in QEMU 7.2 each ENET answers only its own PHY. A board names the
// bus it expects and the probe falls back to the other.

package enet

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors returned by MDIO transactions.
var (
	ErrMDIOTimeout = errors.New("enet: MDIO transaction timed out (EIR.MII never set)")
	ErrMDIOAddress = errors.New("enet: MDIO PHY or register address out of range (0-31)")
	ErrNoPHY       = errors.New("enet: no PHY answered")
)

// DefaultMDIOTimeout bounds one MDIO transaction. A clause-22 frame is 64
// MDC cycles, about 26 µs at 2.5 MHz; the bound only guards against a bus
// that never completes (MDC off, MAC held in reset).
const DefaultMDIOTimeout = 10 * time.Millisecond

// maxMDIOPolls caps the EIR polls of one transaction even if the clock does
// not advance, so a transaction can never hang.
const maxMDIOPolls = 1 << 22

// MDIO is the MII management interface of one ENET instance. It is safe for
// concurrent use: on a shared-bus board both MACs' PHYs are reached through
// ENET2's MDIO.
type MDIO struct {
	mu      sync.Mutex
	regs    Regs
	name    string
	mscr    uint32
	timeout time.Duration

	// transactions and timeouts are counted for the status page.
	transactions uint64
	timeouts     uint64
}

// NewMDIO returns the MDIO interface of the ENET whose registers are regs.
// ipgHz is the ENET module (IPG) clock; MDC is derived from it to stay at or
// below 2.5 MHz with at least 10 ns hold time (IMX6ULRM 22.5 ENETx_MSCR).
// A zero timeout selects DefaultMDIOTimeout. name is used in reports ("ENET2").
func NewMDIO(regs Regs, name string, ipgHz uint32, timeout time.Duration) (*MDIO, error) {
	if regs == nil {
		return nil, errors.New("enet: NewMDIO: nil Regs")
	}
	if ipgHz == 0 {
		return nil, errors.New("enet: NewMDIO: zero IPG clock")
	}
	if timeout <= 0 {
		timeout = DefaultMDIOTimeout
	}
	m := &MDIO{regs: regs, name: name, mscr: mscrValue(ipgHz), timeout: timeout}
	m.regs.Write32(regMSCR, m.mscr)
	return m, nil
}

// mscrValue computes MSCR for an IPG clock: MII_SPEED = ceil(ipg/5 MHz) - 1
// so that MDC = ipg/((MII_SPEED+1)*2) <= 2.5 MHz, and HOLDTIME =
// ceil(ipg/100 MHz) - 1 so the MDIO hold is at least 10 ns.
func mscrValue(ipgHz uint32) uint32 {
	div := (uint64(ipgHz) + 2*mdcMaxHz - 1) / (2 * mdcMaxHz)
	speed := uint32(div)
	if speed > 0 {
		speed--
	}
	if speed == 0 {
		speed = 1 // 0 would switch MDC off
	}
	if speed > mscrSpeedMask {
		speed = mscrSpeedMask
	}
	hold := uint32((uint64(ipgHz) + 100_000_000 - 1) / 100_000_000)
	if hold > 0 {
		hold--
	}
	if hold > mscrHoldMask {
		hold = mscrHoldMask
	}
	return speed<<mscrSpeedShift | hold<<mscrHoldShift
}

// Name reports the bus name given to NewMDIO.
func (m *MDIO) Name() string { return m.name }

// Read performs a clause-22 read of register ra of the PHY at address pa.
func (m *MDIO) Read(pa, ra int) (uint16, error) {
	if uint(pa) > 31 || uint(ra) > 31 {
		return 0, ErrMDIOAddress
	}
	v, err := m.transact(mmfrST | mmfrOpRead | uint32(pa)<<mmfrPAShift | uint32(ra)<<mmfrRAShift | mmfrTA)
	return uint16(v & mmfrData), err
}

// Write performs a clause-22 write of v into register ra of the PHY at pa.
func (m *MDIO) Write(pa, ra int, v uint16) error {
	if uint(pa) > 31 || uint(ra) > 31 {
		return ErrMDIOAddress
	}
	_, err := m.transact(mmfrST | mmfrOpWrite | uint32(pa)<<mmfrPAShift | uint32(ra)<<mmfrRAShift | mmfrTA | uint32(v))
	return err
}

// transact runs one management frame: clear a stale EIR.MII, write MMFR,
// poll EIR.MII (bounded), acknowledge it and read MMFR back. Only the MII
// bit of EIR is ever written here, so the MAC's interrupt handler and the
// bus can share EIR.
func (m *MDIO) transact(frame uint32) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.transactions++

	// ECR.RESET of the owning MAC clears MSCR (and so stops MDC): restore.
	if m.regs.Read32(regMSCR) != m.mscr {
		m.regs.Write32(regMSCR, m.mscr)
	}
	m.regs.Write32(regEIR, IntMII)
	m.regs.Write32(regMMFR, frame)

	deadline := time.Now().Add(m.timeout)
	for i := 0; ; i++ {
		if m.regs.Read32(regEIR)&IntMII != 0 {
			break
		}
		if i >= maxMDIOPolls || (i&63 == 63 && time.Now().After(deadline)) {
			m.timeouts++
			return 0, fmt.Errorf("%w on %s (frame %#08x)", ErrMDIOTimeout, m.name, frame)
		}
	}
	m.regs.Write32(regEIR, IntMII)
	return m.regs.Read32(regMMFR), nil
}

// Counters reports how many transactions ran and how many timed out.
func (m *MDIO) Counters() (transactions, timeouts uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.transactions, m.timeouts
}

// PHYID is the 32-bit PHY identifier: PHYID1 (register 2) in the high half,
// PHYID2 (register 3) in the low half (IEEE 802.3 22.2.4.3.1).
type PHYID uint32

// Model returns the identifier without its 4-bit revision number.
func (id PHYID) Model() PHYID { return id &^ 0xF }

// Revision returns the 4-bit revision number.
func (id PHYID) Revision() int { return int(id & 0xF) }

// Valid reports whether a PHY answered: an absent PHY reads all ones (MDIO
// pulled up) or, in QEMU, zeros.
func (id PHYID) Valid() bool { return id != 0 && id != 0xFFFFFFFF }

func (id PHYID) String() string { return fmt.Sprintf("%04x:%04x", uint32(id)>>16, uint32(id)&0xFFFF) }

// ReadPHYID reads the identifier of the PHY at address pa on bus m.
func ReadPHYID(m *MDIO, pa int) (PHYID, error) {
	hi, err := m.Read(pa, miiPHYID1)
	if err != nil {
		return 0, err
	}
	lo, err := m.Read(pa, miiPHYID2)
	if err != nil {
		return 0, err
	}
	return PHYID(uint32(hi)<<16 | uint32(lo)), nil
}

// ProbeResult says where a PHY was found.
type ProbeResult struct {
	Bus      *MDIO
	Addr     int
	ID       PHYID
	Fallback bool // found on the fallback bus, not the configured one
	// Scanned: nothing answered at the configured address Wanted, and Addr
	// is the bus's only PHY (ScanSolePHY).
	Scanned bool
	Wanted  int
}

func (r ProbeResult) String() string {
	how := "configured bus"
	switch {
	case r.Scanned:
		how = fmt.Sprintf("scanned: address %d did not answer", r.Wanted)
	case r.Fallback:
		how = "fallback bus"
	}
	return fmt.Sprintf("PHY %v at address %d on %s MDIO (%s)", r.ID, r.Addr, r.Bus.Name(), how)
}

// ProbePHY looks for the PHY at address addr on the configured bus and, if
// none answers there, on the fallback bus (nil: none). A timed-out bus counts
// as "no PHY there", so a board whose MDIO pins are muxed elsewhere still
// probes. The error lists what each bus answered.
func ProbePHY(configured, fallback *MDIO, addr int) (ProbeResult, error) {
	var notes []string
	for i, bus := range []*MDIO{configured, fallback} {
		if bus == nil {
			continue
		}
		id, err := ReadPHYID(bus, addr)
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("%s: %v", bus.Name(), err))
		case !id.Valid():
			notes = append(notes, fmt.Sprintf("%s: id %v", bus.Name(), id))
		default:
			return ProbeResult{Bus: bus, Addr: addr, ID: id, Fallback: i == 1}, nil
		}
	}
	return ProbeResult{}, fmt.Errorf("%w at address %d: %v", ErrNoPHY, addr, notes)
}

// ScanSolePHY finds the PHY of a bus that carries exactly one, for a board
// whose PHY did not answer at its configured address (wanted): QEMU 7.2
// answers ENET2's MDIO only at address 1, whatever the board straps. With
// more than one PHY on the bus it fails: a scan cannot tell whose is whose.
func ScanSolePHY(m *MDIO, wanted int) (ProbeResult, error) {
	found, err := ScanPHYs(m)
	switch {
	case err != nil:
		return ProbeResult{}, err
	case len(found) == 0:
		return ProbeResult{}, fmt.Errorf("%w on %s at any address", ErrNoPHY, m.Name())
	case len(found) > 1:
		return ProbeResult{}, fmt.Errorf("enet: %s has %d PHYs (%v), none of them at address %d", m.Name(), len(found), found, wanted)
	}
	r := ProbeResult{Bus: m, Scanned: true, Wanted: wanted}
	for pa, id := range found {
		r.Addr, r.ID = pa, id
	}
	return r, nil
}

// ScanPHYs returns the addresses on bus m whose PHYID is valid, for
// diagnostics (a shared bus shows both ports' PHYs).
func ScanPHYs(m *MDIO) (map[int]PHYID, error) {
	found := make(map[int]PHYID)
	for pa := 0; pa < 32; pa++ {
		id, err := ReadPHYID(m, pa)
		if err != nil {
			return found, err
		}
		if id.Valid() {
			found[pa] = id
		}
	}
	return found, nil
}
