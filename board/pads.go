// RMII pin multiplexing of the ENET ports (IMX6ULRM ch. 32, IOMUXC): data
// only; board/internal/bringup writes it.
package board

// Pad is one pin: its mux and pad-control registers, the mux mode, and
// the input-select ("daisy") register and value where the signal needs one.
type Pad struct {
	Mux, Ctl   uint32
	Mode       uint32
	Daisy      uint32 // 0: none
	DaisyValue uint32
	SION       bool // software input on: RMII REF_CLK loops back in
	Fast       bool // 100 MHz slew instead of 50 MHz
}

// ENETPads returns the RMII pads of an ENET and the MDIO/MDC pads muxed to
// the ENET named by mdioBus.
func ENETPads(enet, mdioBus int) []Pad {
	// Each ENET's eight RMII pins are consecutive registers: mux at
	// 0x020e00c4 (ENET1) / 0x020e00e4 (ENET2), pad control at 0x020e0350 /
	// 0x020e0370; the seventh pin is TX_CLK, used as REF_CLK (ALT4).
	mux, ctl := uint32(0x020e00c4), uint32(0x020e0350)
	refClkDaisy := uint32(0x020e0574)
	if enet == 2 {
		mux, ctl, refClkDaisy = 0x020e00e4, 0x020e0370, 0x020e057c
	}
	var pads []Pad
	for i := uint32(0); i < 8; i++ {
		p := Pad{Mux: mux + 4*i, Ctl: ctl + 4*i, Mode: 0, Fast: true}
		if i == 6 { // TX_CLK as REF_CLK
			p = Pad{Mux: mux + 4*i, Ctl: ctl + 4*i, Mode: 4, Daisy: refClkDaisy, DaisyValue: 0b10, SION: true}
		}
		pads = append(pads, p)
	}
	// MDIO on GPIO1_IO06 and MDC on GPIO1_IO07: ALT0 reaches ENET1, ALT1
	// ENET2; MDIO's input select picks the same ENET.
	mode, mdioDaisy, daisyValue := uint32(0), uint32(0x020e0578), uint32(0)
	if mdioBus == 2 {
		mode, mdioDaisy, daisyValue = 1, 0x020e0580, 1
	}
	pads = append(pads,
		Pad{Mux: 0x020e0074, Ctl: 0x020e0300, Mode: mode, Daisy: mdioDaisy, DaisyValue: daisyValue, Fast: true},
		Pad{Mux: 0x020e0078, Ctl: 0x020e0304, Mode: mode, Fast: true},
	)
	return pads
}
