// regs.go owns the ENET register map: offsets and bit fields of the
// i.MX6UL/ULL 10/100-Mbps Ethernet MAC, grouped by reference-manual section
// (IMX6ULRM Rev. 2, chapter 22 "10/100-Mbps Ethernet MAC (ENET)", memory map
// in 22.5). Nothing here touches hardware.

package enet

// Register offsets from an ENET instance base (IMX6ULRM 22.5, "ENET memory map").
const (
	regEIR  = 0x004 // Interrupt Event Register (W1C)
	regEIMR = 0x008 // Interrupt Mask Register
	regRDAR = 0x010 // Receive Descriptor Active Register
	regTDAR = 0x014 // Transmit Descriptor Active Register
	regECR  = 0x024 // Ethernet Control Register
	regMMFR = 0x040 // MII Management Frame Register
	regMSCR = 0x044 // MII Speed Control Register
	regMIBC = 0x064 // MIB Control Register
	regRCR  = 0x084 // Receive Control Register
	regTCR  = 0x0C4 // Transmit Control Register
	regPALR = 0x0E4 // Physical Address Lower Register
	regPAUR = 0x0E8 // Physical Address Upper Register
	regOPD  = 0x0EC // Opcode/Pause Duration Register
	regIAUR = 0x118 // Descriptor Individual Upper Address (hash)
	regIALR = 0x11C // Descriptor Individual Lower Address (hash)
	regGAUR = 0x120 // Descriptor Group Upper Address (hash)
	regGALR = 0x124 // Descriptor Group Lower Address (hash)
	regTFWR = 0x144 // Transmit FIFO Watermark Register
	regRDSR = 0x180 // Receive Descriptor Ring Start Register
	regTDSR = 0x184 // Transmit Buffer Descriptor Ring Start Register
	regMRBR = 0x188 // Maximum Receive Buffer Size Register
	regRSFL = 0x190 // Receive FIFO Section Full Threshold
	regRSEM = 0x194 // Receive FIFO Section Empty Threshold
	regRAEM = 0x198 // Receive FIFO Almost Empty Threshold
	regRAFL = 0x19C // Receive FIFO Almost Full Threshold
	regTSEM = 0x1A0 // Transmit FIFO Section Empty Threshold
	regTAEM = 0x1A4 // Transmit FIFO Almost Empty Threshold
	regTAFL = 0x1A8 // Transmit FIFO Almost Full Threshold
	regTIPG = 0x1AC // Transmit Inter-Packet Gap
	regFTRL = 0x1B0 // Frame Truncation Length
	regTACC = 0x1C0 // Transmit Accelerator Function Configuration
	regRACC = 0x1C4 // Receive Accelerator Function Configuration

	// regsSize is the span of the register file the driver touches
	// (control block plus the MIB block).
	regsSize = 0x300
)

// EIR / EIMR bits (IMX6ULRM 22.5.1 ENETx_EIR, 22.5.2 ENETx_EIMR). EIR
// bits are write-1-to-clear; EIMR uses the same layout, 1 = enabled.
const (
	IntBABR    = 1 << 30 // babbling receive error (frame > RCR.MAX_FL)
	IntBABT    = 1 << 29 // babbling transmit error
	IntGRA     = 1 << 28 // graceful stop complete
	IntTXF     = 1 << 27 // transmit frame done (enhanced BD: only if TX_INT set)
	IntTXB     = 1 << 26 // transmit buffer done
	IntRXF     = 1 << 25 // receive frame done (enhanced BD: only if RX_INT set)
	IntRXB     = 1 << 24 // receive buffer done
	IntMII     = 1 << 23 // MII management transfer complete
	IntEBERR   = 1 << 22 // Ethernet bus error: DMA stops, ETHEREN is cleared
	IntLC      = 1 << 21 // late collision
	IntRL      = 1 << 20 // collision retry limit
	IntUN      = 1 << 19 // transmit FIFO underrun
	IntPLR     = 1 << 18 // payload receive error
	IntWAKEUP  = 1 << 17 // magic packet wake-up
	IntTSAVAIL = 1 << 16 // transmit timestamp available
	IntTSTIMER = 1 << 15 // timestamp timer wrap

	// intErrors are the error events counted from EIR on every pass.
	intErrors = IntBABR | IntBABT | IntEBERR | IntLC | IntRL | IntUN | IntPLR
	// intData are the events that wake the poll loop.
	intData = IntRXF | IntTXF
)

// RDAR / TDAR (IMX6ULRM 22.5, ENETx_RDAR and ENETx_TDAR): writing any
// value sets the active bit; the uDMA clears it when it finds no empty (RX) / ready (TX) descriptor.
const (
	rdarActive = 1 << 24
	tdarActive = 1 << 24
)

// ECR bits (IMX6ULRM 22.5 ENETx_ECR).
const (
	ecrRESET   = 1 << 0 // self-clearing soft reset of the whole MAC
	ecrETHEREN = 1 << 1 // enable; cleared by hardware on EBERR
	ecrMAGICEN = 1 << 2
	ecrSLEEP   = 1 << 3
	ecrEN1588  = 1 << 4 // enhanced (32-byte) buffer descriptors
	ecrDBGEN   = 1 << 6
	ecrSTOPEN  = 1 << 7
	ecrDBSWP   = 1 << 8 // descriptor byte swap: 1 = little-endian descriptors
	// ecrReserved are bits 28-31, read as 1 after reset; rewritten as read.
	ecrReserved = 0xF << 28
)

// MMFR fields (IMX6ULRM 22.5 ENETx_MMFR; clause-22 frame format, IEEE
// 802.3 22.2.4.5).
const (
	mmfrST      = 0b01 << 30 // start of frame, clause 22
	mmfrOpWrite = 0b01 << 28
	mmfrOpRead  = 0b10 << 28
	mmfrPAShift = 23 // PHY address, 5 bits
	mmfrRAShift = 18 // register address, 5 bits
	mmfrTA      = 0b10 << 16
	mmfrData    = 0xFFFF
)

// MSCR fields (IMX6ULRM 22.5 ENETx_MSCR). MDC = module clock /
// ((MII_SPEED+1) * 2) on the ENET (not the older FEC divisor); MII_SPEED = 0 turns MDC off, so
// no MDIO transaction ever completes. ECR.RESET clears this register.
const (
	mscrSpeedShift = 1 // MII_SPEED, 6 bits
	mscrSpeedMask  = 0x3F
	mscrDISPRE     = 1 << 7
	mscrHoldShift  = 8 // HOLDTIME, 3 bits: hold = HOLDTIME+1 module clocks
	mscrHoldMask   = 0x7
	mdcMaxHz       = 2_500_000 // IEEE 802.3 22.2.2.13: MDC at most 2.5 MHz
)

// MIBC bits (IMX6ULRM 22.5 ENETx_MIBC).
const (
	mibcDIS   = 1 << 31 // MIB logic disabled (reset value: disabled and idle)
	mibcIDLE  = 1 << 30 // read-only: MIB block not updating
	mibcCLEAR = 1 << 29 // clear all counters while set
)

// RCR fields (IMX6ULRM 22.5 ENETx_RCR).
const (
	rcrLOOP       = 1 << 0 // internal loopback; set at reset, must be cleared
	rcrDRT        = 1 << 1 // disable receive on transmit (half duplex only)
	rcrMIIMODE    = 1 << 2 // must be 1 (MII or RMII)
	rcrPROM       = 1 << 3 // promiscuous
	rcrBCREJ      = 1 << 4 // broadcast reject
	rcrFCE        = 1 << 5 // flow control: honour received PAUSE frames
	rcrRMIIMODE   = 1 << 8 // RMII instead of MII
	rcrRMII10T    = 1 << 9 // RMII at 10 Mbit/s
	rcrPADEN      = 1 << 12
	rcrPAUFWD     = 1 << 13
	rcrCRCFWD     = 1 << 14 // 1 = strip CRC (ignored by QEMU 7.2: never set)
	rcrCFEN       = 1 << 15
	rcrMaxFLShift = 16 // MAX_FL, 14 bits, includes DA..CRC
	rcrMaxFLMask  = 0x3FFF
	rcrNLC        = 1 << 30
	rcrGRS        = 1 << 31
)

// TCR bits (IMX6ULRM 22.5 ENETx_TCR).
const (
	tcrGTS      = 1 << 0 // graceful transmit stop
	tcrFDEN     = 1 << 2 // full duplex
	tcrTFCPAUSE = 1 << 3
	tcrRFCPAUSE = 1 << 4 // read-only: paused by a received PAUSE
	tcrADDINS   = 1 << 8 // insert PALR/PAUR as source address
	tcrCRCFWD   = 1 << 9 // 1 = frames carry their own CRC
)

// PAUR / OPD (IMX6ULRM 22.5, ENETx_PAUR and ENETx_OPD).
const (
	paurType  = 0x8808 // TYPE field of PAUSE frames (read-only)
	opdOpcode = 0x0001 << 16
)

// TFWR bits (IMX6ULRM 22.5 ENETx_TFWR).
const (
	tfwrSTRFWD = 1 << 8 // store and forward: whole frame in FIFO before TX
)

// MRBR (IMX6ULRM 22.5 ENETx_MRBR): R_BUF_SIZE, bits [13:4], so a multiple of 16
// (QEMU masks 0x3FF0); it resets to 0 and a 0 loses every frame. The
// driver caps it at maxMRBR, the value Linux programs, which also fits the
// narrower field ([10:4]) some ENET documentation gives.
const (
	mrbrAlign = 16
	maxMRBR   = 1984
)

// FTRL (IMX6ULRM 22.5 ENETx_FTRL): TRUNC_FL, 14 bits; frames longer are truncated
// and flagged TR. Kept below MRBR so even a giant fits one buffer.
const ftrlMask = 0x3FFF

// TACC bits (IMX6ULRM 22.5 ENETx_TACC).
const (
	taccSHIFT16 = 1 << 0
	taccIPCHK   = 1 << 3
	taccPROCHK  = 1 << 4
)

// RACC bits (IMX6ULRM 22.5 ENETx_RACC).
const (
	raccPADREM  = 1 << 0
	raccIPDIS   = 1 << 1
	raccPRODIS  = 1 << 2
	raccLINEDIS = 1 << 6 // discard frames with MAC errors (we count instead)
	raccSHIFT16 = 1 << 7 // two zero bytes before the frame: IP header aligned
)

// MIB counters (IMX6ULRM 22.5, MIB block at offsets 0x200-0x2E0).
const (
	mibRMON_T_PACKETS   = 0x204
	mibRMON_T_BC_PKT    = 0x208
	mibRMON_T_MC_PKT    = 0x20C
	mibRMON_T_CRC_ALIGN = 0x210
	mibRMON_T_UNDERSIZE = 0x214
	mibRMON_T_OVERSIZE  = 0x218
	mibRMON_T_FRAG      = 0x21C
	mibRMON_T_JAB       = 0x220
	mibRMON_T_COL       = 0x224
	mibRMON_T_OCTETS    = 0x244
	mibIEEE_T_FRAME_OK  = 0x24C
	mibIEEE_T_1COL      = 0x250
	mibIEEE_T_MCOL      = 0x254
	mibIEEE_T_DEF       = 0x258
	mibIEEE_T_LCOL      = 0x25C
	mibIEEE_T_EXCOL     = 0x260
	mibIEEE_T_MACERR    = 0x264
	mibIEEE_T_CSERR     = 0x268
	mibIEEE_T_FDXFC     = 0x270
	mibIEEE_T_OCTETS_OK = 0x274
	mibRMON_R_PACKETS   = 0x284
	mibRMON_R_BC_PKT    = 0x288
	mibRMON_R_MC_PKT    = 0x28C
	mibRMON_R_CRC_ALIGN = 0x290
	mibRMON_R_UNDERSIZE = 0x294
	mibRMON_R_OVERSIZE  = 0x298
	mibRMON_R_FRAG      = 0x29C
	mibRMON_R_JAB       = 0x2A0
	mibRMON_R_OCTETS    = 0x2C4
	mibIEEE_R_DROP      = 0x2C8
	mibIEEE_R_FRAME_OK  = 0x2CC
	mibIEEE_R_CRC       = 0x2D0
	mibIEEE_R_ALIGN     = 0x2D4
	mibIEEE_R_MACERR    = 0x2D8
	mibIEEE_R_FDXFC     = 0x2DC
	mibIEEE_R_OCTETS_OK = 0x2E0
)
