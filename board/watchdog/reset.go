// reset.go owns the decoding of why the SoC last reset: the System Reset
// Controller's sticky status (SRC_SRSR) and the watchdog's own record of
// its last reset (WDOGx_WRSR).
package watchdog

// SRC_SRSR bits (IMX6ULRM chapter "System Reset Controller (SRC)",
// SRC_SRSR; the same decoding as U-Boot's get_reset_cause for i.MX6).
// They are sticky until written with 1 (or a power-on reset), so firmware
// clears them after reading, and each boot reports its own cause.
const (
	SRSRPOR       = 1 << 0 // ipp_reset_b: power-on reset
	SRSRCSU       = 1 << 2 // csu_reset_b: security violation
	SRSRUser      = 1 << 3 // ipp_user_reset_b: POR_B pin, cold
	SRSRWdog      = 1 << 4 // wdog_rst_b: WDOG1 or WDOG2 (WRSR tells which kind)
	SRSRJTAG      = 1 << 5 // jtag_rst_b: JTAG high-Z
	SRSRJTAGSW    = 1 << 6 // jtag_sw_rst: JTAG software reset
	SRSRWdog3     = 1 << 7 // wdog3_rst_b
	SRSRTempsense = 1 << 8 // tempsense_rst_b: over temperature
	SRSRWarmBoot  = 1 << 16
)

// WDOGx_WRSR bits (IMX6ULRM chapter 59, WDOGx_WRSR): the source of the
// watchdog's own last reset output.
const (
	WRSRSoftware = 1 << 0 // SFTW: WCR.SRS written 0 (a software reset)
	WRSRTimeout  = 1 << 1 // TOUT: the counter expired
	WRSRPOR      = 1 << 4 // POR
)

// ResetCause is what the SoC said at boot about its last reset.
type ResetCause struct {
	Cause string `json:"cause"`
	SRSR  uint32 `json:"src_srsr"`
	WRSR  uint16 `json:"wdog1_wrsr"`
}

// causes, in order of precedence: the first entry whose SRSR bit (and
// WRSR bit, if any) is set names the reset.
var causes = [...]struct {
	srsr  uint32
	wrsr  uint16
	cause string
}{
	{SRSRWdog, WRSRTimeout, "watchdog timeout"},
	{SRSRWdog, WRSRSoftware, "software reset"},
	{SRSRWdog, 0, "watchdog"},
	{SRSRWdog3, 0, "watchdog 3"},
	{SRSRTempsense, 0, "over temperature"},
	{SRSRCSU, 0, "security violation"},
	{SRSRJTAGSW, 0, "JTAG software reset"},
	{SRSRJTAG, 0, "JTAG"},
	{SRSRUser, 0, "reset button"},
	{SRSRWarmBoot, 0, "warm boot"},
	{SRSRPOR, 0, "power-on"},
}

// DecodeReset names the cause of the last reset from SRC_SRSR and WDOG1's
// WRSR. A power-on clears every other bit, so any other bit seen next to
// the power-on one happened later and wins.
func DecodeReset(srsr uint32, wrsr uint16) ResetCause {
	for _, c := range causes {
		if srsr&c.srsr != 0 && (c.wrsr == 0 || wrsr&c.wrsr != 0) {
			return ResetCause{Cause: c.cause, SRSR: srsr, WRSR: wrsr}
		}
	}
	return ResetCause{Cause: "unknown", SRSR: srsr, WRSR: wrsr}
}
