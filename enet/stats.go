// stats.go owns the MAC's counters: its own (interrupts, polls, EIR error
// events, link changes, restarts), its rings' counters, and the hardware
// MIB block (IMX6ULRM 22.5, 0x200-0x2E0) where it exists.

package enet

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
)

// isrCounters are counted by the ISR and by poll passes, on two
// goroutines, once per interrupt or event: never per frame.
type isrCounters struct {
	interrupts, spurious               atomic.Uint64
	babr, babt, eberr, lc, rl, un, plr atomic.Uint64
	linkChanges, restarts              atomic.Uint64
	restartFailures                    atomic.Uint64
}

// countErrors adds the EIR error events in ev (IMX6ULRM 22.5.1).
func (c *isrCounters) countErrors(ev uint32) {
	for _, e := range [...]struct {
		bit uint32
		ctr *atomic.Uint64
	}{
		{IntBABR, &c.babr}, {IntBABT, &c.babt}, {IntEBERR, &c.eberr},
		{IntLC, &c.lc}, {IntRL, &c.rl}, {IntUN, &c.un}, {IntPLR, &c.plr},
	} {
		if ev&e.bit != 0 {
			e.ctr.Add(1)
		}
	}
}

// passCounters belong to the poll loop's goroutine.
type passCounters struct {
	Polls           uint64 `json:"polls"`            // poll passes
	BudgetExhausted uint64 `json:"budget_exhausted"` // passes that used the whole budget
}

// published is the poll loop's view as of its last pass, for readers on
// other goroutines: copied once per pass under mu, never per frame.
type published struct {
	mu   sync.Mutex
	pass passCounters
	rx   rxring.Stats
}

// publish copies the loop-owned counters for Stats.
func (m *MAC) publish() {
	rx := m.rx.Stats()
	m.pub.mu.Lock()
	m.pub.pass, m.pub.rx = m.pass, rx
	m.pub.mu.Unlock()
}

// Stats is a snapshot of every counter the driver keeps for one port: its
// own, its RX ring's (as of the last poll pass) and its TX ring's.
type Stats struct {
	Interrupts uint64 `json:"interrupts"` // ISR calls
	Spurious   uint64 `json:"spurious"`   // ISR calls that found no enabled event
	passCounters

	// EIR error events (IMX6ULRM 22.5.1), counted once per observation.
	BabblingRx    uint64 `json:"babbling_rx"`
	BabblingTx    uint64 `json:"babbling_tx"`
	BusError      uint64 `json:"bus_error"` // EBERR: the uDMA stopped (ETHEREN cleared)
	LateCollision uint64 `json:"late_collision"`
	RetryLimit    uint64 `json:"retry_limit"`
	Underrun      uint64 `json:"underrun"`
	PayloadError  uint64 `json:"payload_error"`

	LinkChanges     uint64 `json:"link_changes"`     // link up/down transitions seen by PollLink
	Restarts        uint64 `json:"restarts"`         // MAC restarts for a new speed/duplex
	RestartFailures uint64 `json:"restart_failures"` // restarts that left the MAC stopped

	MDIOTransactions uint64 `json:"mdio_transactions"`
	MDIOTimeouts     uint64 `json:"mdio_timeouts"`

	RX rxring.Stats `json:"rx"`
	TX txring.Stats `json:"tx"`
}

// Stats returns a snapshot of the counters. It may be called from any
// goroutine; it takes the TX lock and the published counters' lock once.
func (m *MAC) Stats() Stats {
	c := &m.isr
	s := Stats{
		Interrupts: c.interrupts.Load(), Spurious: c.spurious.Load(),
		BabblingRx: c.babr.Load(), BabblingTx: c.babt.Load(), BusError: c.eberr.Load(),
		LateCollision: c.lc.Load(), RetryLimit: c.rl.Load(), Underrun: c.un.Load(),
		PayloadError: c.plr.Load(),
		LinkChanges:  c.linkChanges.Load(), Restarts: c.restarts.Load(), RestartFailures: c.restartFailures.Load(),
	}
	s.MDIOTransactions, s.MDIOTimeouts = m.mdio.Counters()
	m.pub.mu.Lock()
	s.passCounters, s.RX = m.pub.pass, m.pub.rx
	m.pub.mu.Unlock()
	if m.tx != nil {
		s.TX = m.tx.Stats()
	}
	return s
}

// MIBStatus says whether the hardware MIB counters can be believed.
type MIBStatus int

const (
	// MIBUnknown: the MIB is enabled but no counter moved and no traffic
	// has passed yet, so support cannot be told apart from silence.
	MIBUnknown MIBStatus = iota
	// MIBSupported: at least one counter has been seen non-zero.
	MIBSupported
	// MIBUnsupported: MIBC reports the block disabled after New enabled
	// it, or every counter reads zero although frames have passed (QEMU
	// models no MIB).
	MIBUnsupported
)

func (s MIBStatus) String() string {
	switch s {
	case MIBSupported:
		return "supported"
	case MIBUnsupported:
		return "unsupported"
	}
	return "unknown"
}

// MIB holds the hardware counters (IMX6ULRM 22.5, MIB block). Values are
// as read; the hardware counters are 32-bit and wrap.
type MIB struct {
	Status MIBStatus
	Reason string // why Status is what it is

	TxPackets, TxBroadcast, TxMulticast, TxCRCAlign, TxUndersize, TxOversize uint32
	TxFragments, TxJabbers, TxCollisions, TxOctets                           uint32
	TxFrameOK, TxSingleCol, TxMultiCol, TxDeferred, TxLateCol, TxExcessCol   uint32
	TxMACErr, TxCarrierSense, TxPause, TxOctetsOK                            uint32

	RxPackets, RxBroadcast, RxMulticast, RxCRCAlign, RxUndersize, RxOversize uint32
	RxFragments, RxJabbers, RxOctets                                         uint32
	RxDrop, RxFrameOK, RxCRC, RxAlign, RxMACErr, RxPause, RxOctetsOK         uint32
}

// mibState remembers a verdict once reached, so a reset counter does not
// flip "supported" back to "unknown".
type mibState struct {
	mu     sync.Mutex
	status MIBStatus
	reason string
}

// ReadMIB reads the MIB block and decides whether it is real. It never
// invents values: an unsupported MIB is reported as such, with zeros.
func (m *MAC) ReadMIB() MIB {
	r := m.regs
	v := MIB{
		TxPackets: r.Read32(mibRMON_T_PACKETS), TxBroadcast: r.Read32(mibRMON_T_BC_PKT),
		TxMulticast: r.Read32(mibRMON_T_MC_PKT), TxCRCAlign: r.Read32(mibRMON_T_CRC_ALIGN),
		TxUndersize: r.Read32(mibRMON_T_UNDERSIZE), TxOversize: r.Read32(mibRMON_T_OVERSIZE),
		TxFragments: r.Read32(mibRMON_T_FRAG), TxJabbers: r.Read32(mibRMON_T_JAB),
		TxCollisions: r.Read32(mibRMON_T_COL), TxOctets: r.Read32(mibRMON_T_OCTETS),
		TxFrameOK: r.Read32(mibIEEE_T_FRAME_OK), TxSingleCol: r.Read32(mibIEEE_T_1COL),
		TxMultiCol: r.Read32(mibIEEE_T_MCOL), TxDeferred: r.Read32(mibIEEE_T_DEF),
		TxLateCol: r.Read32(mibIEEE_T_LCOL), TxExcessCol: r.Read32(mibIEEE_T_EXCOL),
		TxMACErr: r.Read32(mibIEEE_T_MACERR), TxCarrierSense: r.Read32(mibIEEE_T_CSERR),
		TxPause: r.Read32(mibIEEE_T_FDXFC), TxOctetsOK: r.Read32(mibIEEE_T_OCTETS_OK),

		RxPackets: r.Read32(mibRMON_R_PACKETS), RxBroadcast: r.Read32(mibRMON_R_BC_PKT),
		RxMulticast: r.Read32(mibRMON_R_MC_PKT), RxCRCAlign: r.Read32(mibRMON_R_CRC_ALIGN),
		RxUndersize: r.Read32(mibRMON_R_UNDERSIZE), RxOversize: r.Read32(mibRMON_R_OVERSIZE),
		RxFragments: r.Read32(mibRMON_R_FRAG), RxJabbers: r.Read32(mibRMON_R_JAB),
		RxOctets: r.Read32(mibRMON_R_OCTETS), RxDrop: r.Read32(mibIEEE_R_DROP),
		RxFrameOK: r.Read32(mibIEEE_R_FRAME_OK), RxCRC: r.Read32(mibIEEE_R_CRC),
		RxAlign: r.Read32(mibIEEE_R_ALIGN), RxMACErr: r.Read32(mibIEEE_R_MACERR),
		RxPause: r.Read32(mibIEEE_R_FDXFC), RxOctetsOK: r.Read32(mibIEEE_R_OCTETS_OK),
	}
	mibc := r.Read32(regMIBC)
	st := m.Stats()
	traffic := st.RX.Frames + st.TX.Completed

	ms := &m.mibs
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.status == MIBUnknown {
		switch {
		case mibc&mibcDIS != 0:
			ms.status, ms.reason = MIBUnsupported, fmt.Sprintf("MIBC %#08x: MIB_DIS set after enable", mibc)
		case v.anyNonZero():
			ms.status, ms.reason = MIBSupported, "counters move"
		case traffic > 0:
			ms.status, ms.reason = MIBUnsupported, fmt.Sprintf("all counters read zero after %d frames of traffic", traffic)
		default:
			ms.reason = "no traffic yet"
		}
	}
	v.Status, v.Reason = ms.status, ms.reason
	if v.Status == MIBUnsupported {
		return MIB{Status: v.Status, Reason: v.Reason}
	}
	return v
}

func (v *MIB) anyNonZero() bool {
	for _, x := range [...]uint32{
		v.TxPackets, v.TxBroadcast, v.TxMulticast, v.TxCRCAlign, v.TxUndersize, v.TxOversize,
		v.TxFragments, v.TxJabbers, v.TxCollisions, v.TxOctets, v.TxFrameOK, v.TxSingleCol,
		v.TxMultiCol, v.TxDeferred, v.TxLateCol, v.TxExcessCol, v.TxMACErr, v.TxCarrierSense,
		v.TxPause, v.TxOctetsOK, v.RxPackets, v.RxBroadcast, v.RxMulticast, v.RxCRCAlign,
		v.RxUndersize, v.RxOversize, v.RxFragments, v.RxJabbers, v.RxOctets, v.RxDrop,
		v.RxFrameOK, v.RxCRC, v.RxAlign, v.RxMACErr, v.RxPause, v.RxOctetsOK,
	} {
		if x != 0 {
			return true
		}
	}
	return false
}
