// stats.go owns the MAC's counters: its own (interrupts, polls, doorbells,
// EIR error events, link changes), the rings' counters when they keep them,
// and the hardware MIB block (IMX6ULRM 22.5, 0x200-0x2E0) where it exists.

package enet

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// counters are updated from the ISR and the poll loop concurrently.
type counters struct {
	interrupts, spurious               atomic.Uint64
	polls, budgetExhausted, rxPolled   atomic.Uint64
	txReclaimed                        atomic.Uint64
	rxDoorbells, txDoorbells           atomic.Uint64
	babr, babt, eberr, lc, rl, un, plr atomic.Uint64
	linkChanges, restartsNeeded        atomic.Uint64
}

// countErrors adds the EIR error events in ev (IMX6ULRM 22.5.1).
func (c *counters) countErrors(ev uint32) {
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

// Stats is a snapshot of every counter the driver knows.
type Stats struct {
	Interrupts      uint64 // ISR calls
	Spurious        uint64 // ISR calls that found no enabled event
	Polls           uint64 // poll passes
	BudgetExhausted uint64 // passes that used the whole budget
	RxPolled        uint64 // descriptors consumed by RX polls
	TxReclaimed     uint64 // descriptors reclaimed
	RxDoorbells     uint64 // RDAR writes
	TxDoorbells     uint64 // TDAR writes

	// EIR error events (IMX6ULRM 22.5.1), counted once per observation.
	BabblingRx, BabblingTx, BusError, LateCollision, RetryLimit, Underrun, PayloadError uint64

	LinkChanges    uint64 // link up/down transitions seen by PollLink
	RestartsNeeded uint64 // duplex/speed changes that need Stop/Start

	MDIOTransactions, MDIOTimeouts uint64

	RX    RXCounters // from the RX ring, if it keeps counters
	TX    TXCounters // from the TX ring, if it keeps counters
	RXSet bool       // RX is filled in
	TXSet bool       // TX is filled in
}

// Stats returns a snapshot of the counters.
func (m *MAC) Stats() Stats {
	c := &m.st
	s := Stats{
		Interrupts: c.interrupts.Load(), Spurious: c.spurious.Load(),
		Polls: c.polls.Load(), BudgetExhausted: c.budgetExhausted.Load(),
		RxPolled: c.rxPolled.Load(), TxReclaimed: c.txReclaimed.Load(),
		RxDoorbells: c.rxDoorbells.Load(), TxDoorbells: c.txDoorbells.Load(),
		BabblingRx: c.babr.Load(), BabblingTx: c.babt.Load(), BusError: c.eberr.Load(),
		LateCollision: c.lc.Load(), RetryLimit: c.rl.Load(), Underrun: c.un.Load(),
		PayloadError: c.plr.Load(),
		LinkChanges:  c.linkChanges.Load(), RestartsNeeded: c.restartsNeeded.Load(),
	}
	s.MDIOTransactions, s.MDIOTimeouts = m.mdio.Counters()
	m.mu.Lock()
	rx, tx := m.rx, m.tx
	m.mu.Unlock()
	if src, ok := rx.(RXCounterSource); ok {
		s.RX, s.RXSet = src.RXCounters(), true
	}
	if src, ok := tx.(TXCounterSource); ok {
		s.TX, s.TXSet = src.TXCounters(), true
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
	traffic := m.st.rxPolled.Load() + m.st.txReclaimed.Load()

	st := &m.mibs
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.status == MIBUnknown {
		switch {
		case mibc&mibcDIS != 0:
			st.status, st.reason = MIBUnsupported, fmt.Sprintf("MIBC %#08x: MIB_DIS set after enable", mibc)
		case v.anyNonZero():
			st.status, st.reason = MIBSupported, "counters move"
		case traffic > 0:
			st.status, st.reason = MIBUnsupported, fmt.Sprintf("all counters read zero after %d descriptors of traffic", traffic)
		default:
			st.reason = "no traffic yet"
		}
	}
	v.Status, v.Reason = st.status, st.reason
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
