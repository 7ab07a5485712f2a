package board

import (
	"os"
	"strings"
	"testing"
)

func TestBoardsValid(t *testing.T) {
	for _, b := range []Board{EVK, MK2LAN} {
		if err := b.Validate(); err != nil {
			t.Error(err)
		}
		if b.RAMSize() != 496<<20 {
			t.Errorf("%s: runtime RAM %d MiB", b.Name, b.RAMSize()>>20)
		}
	}
	if EVK.Ports[0].Base() != 0x02188000 || EVK.Ports[1].IRQ() != 152 || EVK.Ports[0].IRQ() != 150 {
		t.Error("EVK port facts")
	}
}

func TestValidateRejects(t *testing.T) {
	for _, c := range []struct {
		mut  func(b *Board)
		want string
	}{
		{func(b *Board) { b.DMA.Start += 4096 }, "whole 1 MiB"},
		{func(b *Board) { b.DMA.DescBytes = 0 }, "descriptor and page"},
		{func(b *Board) { b.DMA.Start = 0x70000000 }, "outside DDR"},
		{func(b *Board) { b.DMA.Start = b.DDRStart + 16<<20 }, "left for the runtime"},
		{func(b *Board) { b.Ports[1].ENET = 1 }, "used twice"},
		{func(b *Board) { b.Ports[0].PHYAddr = 32 }, "bad ENET"},
		{func(b *Board) { b.Ports = nil }, "no ports"},
		{func(b *Board) { b.Store.USDHC = 3 }, "store is on uSDHC3"},
	} {
		b := EVK
		b.Ports = append([]Port(nil), EVK.Ports...)
		c.mut(&b)
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// The runtime's RAM size in board/evk and board/mk2lan is a link-time
// constant; it must agree with the facts here.
func TestLinkRAMSizeMatches(t *testing.T) {
	for _, f := range []string{"evk/evk.go", "mk2lan/mk2lan.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "var ramSize uint = 496 << 20") || EVK.RAMSize() != 496<<20 || MK2LAN.RAMSize() != 496<<20 {
			t.Errorf("%s: ramSize does not match the board's DMA region start", f)
		}
	}
}

func TestENETPads(t *testing.T) {
	p1 := ENETPads(1, 2)
	if len(p1) != 10 || p1[0].Mux != 0x020e00c4 || p1[6].Mode != 4 || !p1[6].SION || p1[8].Mode != 1 || p1[8].Daisy != 0x020e0580 {
		t.Errorf("ENET1 pads with MDIO on ENET2: %+v", p1)
	}
	p2 := ENETPads(2, 1)
	if p2[7].Ctl != 0x020e038c || p2[6].Daisy != 0x020e057c || p2[8].Mode != 0 || p2[8].Daisy != 0x020e0578 {
		t.Errorf("ENET2 pads with MDIO on ENET1: %+v", p2)
	}
}

// Only a PHY alone on its MDIO bus may be found by a scan: the Mk II
// LAN's is, the EVK's two share ENET2's bus.
func TestPHYAlone(t *testing.T) {
	if !MK2LAN.PHYAlone(MK2LAN.Ports[0]) {
		t.Error("the Mk II LAN's PHY is alone on ENET2's MDIO")
	}
	for _, p := range EVK.Ports {
		if EVK.PHYAlone(p) {
			t.Errorf("EVK %s: PHY reported alone on a shared bus", p.Name)
		}
	}
	own := EVK
	own.Ports = []Port{{Name: "lan", ENET: 1, MDIOBus: 1}, {Name: "wan", ENET: 2, MDIOBus: 2}}
	if !own.PHYAlone(own.Ports[0]) || !own.PHYAlone(own.Ports[1]) {
		t.Error("PHYs on separate buses are each alone")
	}
}
