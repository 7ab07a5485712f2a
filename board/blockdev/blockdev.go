// Package blockdev makes a board's store medium (board.Medium: an SD card
// or eMMC on a uSDHC controller) a cfgstore.Device on tamago. Card
// detection and reads go through tamago's soc/nxp/usdhc driver; writes are
// our own CMD25, and two fixes around it make the driver work on QEMU
// 7.2's model as well as on the SoC:
//
//   - SYS_CTRL bits 3:0 reset to 1 on the SoC (IMX6ULLRM 58.8.12, reset
//     value 0x0080800F). QEMU 7.2's imx-usdhc resets them to 0 and reports
//     PRES_STATE.SDSTB (clock stable) only once bit 0 is 1; the driver's
//     Detect waits for SDSTB with no timeout, so it hung at boot. Open sets
//     the bits first (a no-op on the SoC), and Detect's own soft reset
//     keeps them: QEMU rewrites them from the same register write.
//   - QEMU returns the last transfer mode in the low half of CMD_XFR_TYP
//     (reserved, read as zero, on the SoC: IMX6ULLRM 58.8.4) and ORs it
//     into the next command. The driver read-modify-writes CMD_XFR_TYP and
//     sends a CMD13 (a "read") right before every CMD25, so each of its
//     writes reached QEMU as a read and was silently lost. writeChunk
//     writes CMD_XFR_TYP whole, its low half zero.
//
// tamago v1.26.6 also marks every SD 2.x card high-capacity (block
// addressed) and doubles a CSD 1.0 card's capacity; on a standard-capacity
// card (at most 2 GB, byte addressed) reads and writes would land at the
// wrong place, overlapping both slots. Open refuses such a card: SDHC and
// SDXC cards are larger than 2 GiB (SD Physical Layer 5.3.3: C_SIZE >=
// 0x1010), a CSD 1.0 card with 512-byte blocks reports at most 2 GiB
// even doubled, and one with larger blocks is refused for its block size.
// QEMU makes a card image larger than 2 GiB an SDHC card.
//
//go:build tamago && arm

package blockdev

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fosbury-net/fosbury/board"
	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/usbarmory/tamago/dma"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
	"github.com/usbarmory/tamago/soc/nxp/usdhc"
)

// uSDHC registers and fields (IMX6ULLRM 58.8).
const (
	regBlkAtt    = 0x04 // BLKCNT 31:16, BLKSIZE 12:0
	regCmdArg    = 0x08
	regCmdXfrTyp = 0x0c // CMDINX 29:24, DPSEL 21, CICEN 20, CCCEN 19, RSPTYP 17:16
	regPresState = 0x24 // CIHB 0, CDIHB 1, WPSPL 19
	regProtCtrl  = 0x28 // DMASEL 9:8
	regSysCtrl   = 0x2c // RSTD 26, RSTC 25
	regIntStatus = 0x30 // CC 0, TC 1, errors 16 and up
	regIntStatEn = 0x34
	regIntSigEn  = 0x38
	regWtmkLvl   = 0x44 // WR_WML 23:16
	regMixCtrl   = 0x48 // DMAEN 0, BCEN 1, AC12EN 2, DDR_EN 3, DTDSEL 4, MSBSEL 5, AC23EN 7
	regADMAErr   = 0x54
	regADMAAddr  = 0x58

	presInhibit  = 1<<0 | 1<<1
	presWPSPL    = 1 << 19
	sysReserved  = 0xf
	sysResetCD   = 1<<25 | 1<<26
	intTC        = 1 << 1
	intErrors    = 0xffff0000
	dmaselADMA2  = 0b10 << 8
	mixTransfer  = 0xbf // the bits mixCMD25 sets or clears
	mixCMD25     = 1<<0 | 1<<1 | 1<<2 | 1<<5
	mixDDR       = 1 << 3
	xfrCMD25     = 25<<24 | 1<<21 | 1<<20 | 1<<19 | 0b10<<16 // data, index and CRC checked, R1
	wmlWriteMask = 0xff << 16
)

// ADMA2 descriptor attributes (IMX6ULLRM 58.4.2.4.1): valid, end, transfer.
const admaTranEnd = 1<<0 | 1<<1 | 0b10<<4

// chunkBlocks bounds one transfer: the driver and writeChunk copy through
// tamago's default DMA region, the SoC's 128 KiB OCRAM.
const chunkBlocks = 64

// sdscLimit is the largest capacity a standard-capacity card can report.
const sdscLimit = 2 << 30

// detectTimeout bounds card detection, which the driver does not: a
// controller that never reports a stable clock must not stop the boot.
const detectTimeout = 3 * time.Second

// Card is a detected SD card or eMMC.
type Card struct {
	hw   *usdhc.USDHC
	info usdhc.CardInfo
	base uintptr
}

// Open detects the card on the medium's controller.
func Open(m board.Medium) (*Card, error) {
	var hw *usdhc.USDHC
	switch m.USDHC {
	case 1:
		hw = imx6ul.USDHC1
	case 2:
		hw = imx6ul.USDHC2
	}
	if hw == nil {
		return nil, fmt.Errorf("uSDHC%d: no such controller", m.USDHC)
	}
	c := &Card{hw: hw, base: uintptr(hw.Base)}
	c.write32(regSysCtrl, c.read32(regSysCtrl)|sysReserved)
	done := make(chan error, 1)
	go func() { done <- hw.Detect() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-time.After(detectTimeout):
		return nil, fmt.Errorf("uSDHC%d: card detection did not finish in %v", m.USDHC, detectTimeout)
	}
	c.info = hw.Info()
	switch {
	case c.info.BlockSize != cfgstore.BlockSize:
		return nil, fmt.Errorf("uSDHC%d: %d-byte blocks, not %d", m.USDHC, c.info.BlockSize, cfgstore.BlockSize)
	case c.info.SD && c.Blocks()*cfgstore.BlockSize <= sdscLimit:
		return nil, fmt.Errorf("uSDHC%d: a standard-capacity SD card (2 GB or less) is not supported: use SDHC/SDXC", m.USDHC)
	}
	return c, nil
}

// Info is what the driver detected.
func (c *Card) Info() usdhc.CardInfo { return c.info }

func (c *Card) Blocks() int64 { return int64(c.info.Blocks) }

// ReadOnly reports the write-protect switch (PRES_STATE.WPSPL low). Boards
// without one mux the pin so it reads writable; QEMU reports readonly=on.
func (c *Card) ReadOnly() bool { return c.read32(regPresState)&presWPSPL == 0 }

func (c *Card) ReadBlocks(lba int64, p []byte) error {
	return c.chunks(lba, p, func(lba int64, p []byte) error { return c.hw.ReadBlocks(int(lba), p) })
}

func (c *Card) WriteBlocks(lba int64, p []byte) error {
	return c.chunks(lba, p, c.writeChunk)
}

func (c *Card) chunks(lba int64, p []byte, f func(int64, []byte) error) error {
	if len(p)%cfgstore.BlockSize != 0 || lba < 0 || lba+int64(len(p)/cfgstore.BlockSize) > c.Blocks() {
		return fmt.Errorf("bad transfer: %d bytes at block %d of %d", len(p), lba, c.Blocks())
	}
	for len(p) > 0 {
		n := min(len(p), chunkBlocks*cfgstore.BlockSize)
		if err := f(lba, p[:n]); err != nil {
			return fmt.Errorf("block %d: %w", lba, err)
		}
		lba += int64(n / cfgstore.BlockSize)
		p = p[n:]
	}
	return nil
}

// writeChunk writes whole blocks with CMD25 (WRITE_MULTIPLE_BLOCK) and an
// automatic CMD12, through one ADMA2 descriptor (IMX6FG 35.5.2, writing data
// to the card), polling for transfer complete. It holds the driver's
// lock, so it never interleaves with the driver's own commands.
func (c *Card) writeChunk(lba int64, p []byte) error {
	c.hw.Lock()
	defer c.hw.Unlock()
	if c.ReadOnly() {
		return cfgstore.ErrReadOnly
	}
	blocks := uint32(len(p) / cfgstore.BlockSize)
	arg := uint32(lba)
	if !c.info.HC {
		arg = uint32(lba * cfgstore.BlockSize)
	}
	if !c.wait(regPresState, presInhibit, 0, 100*time.Millisecond) {
		return errors.New("CMD25: command or data line busy")
	}
	data := dma.Alloc(p, 32)
	defer dma.Free(data)
	var desc [8]byte
	desc[0] = admaTranEnd
	desc[2], desc[3] = byte(len(p)), byte(len(p)>>8)
	desc[4], desc[5], desc[6], desc[7] = byte(data), byte(data>>8), byte(data>>16), byte(data>>24)
	da := dma.Alloc(desc[:], 4)
	defer dma.Free(da)

	c.write32(regBlkAtt, blocks<<16|cfgstore.BlockSize)
	c.write32(regWtmkLvl, c.read32(regWtmkLvl)&^wmlWriteMask|(cfgstore.BlockSize/4)<<16)
	c.write32(regADMAAddr, uint32(da))
	c.write32(regProtCtrl, c.read32(regProtCtrl)&^(0b11<<8)|dmaselADMA2)
	c.write32(regIntStatus, 0xffffffff)
	c.write32(regIntStatEn, 0xffffffff)
	c.write32(regIntSigEn, 0)
	c.write32(regCmdArg, arg)
	mix := c.read32(regMixCtrl)&^mixTransfer | mixCMD25
	if c.info.DDR {
		mix |= mixDDR
	}
	c.write32(regMixCtrl, mix)
	c.write32(regCmdXfrTyp, xfrCMD25)

	// SD-PL 4.6.2.2: a block may take up to 250 ms to program (500 for
	// SDXC); the driver allows 500 ms a block as well.
	ok := c.wait(regIntStatus, intTC|intErrors, -1, time.Second+time.Duration(blocks)*500*time.Millisecond)
	st := c.read32(regIntStatus)
	adma := c.read32(regADMAErr)
	c.write32(regIntStatus, 0xffffffff)
	if !ok || st&intErrors != 0 || adma != 0 {
		c.write32(regSysCtrl, c.read32(regSysCtrl)|sysResetCD)
		c.wait(regSysCtrl, sysResetCD, 0, 10*time.Millisecond)
		return fmt.Errorf("CMD25 at block %d: status %#08x, ADMA error %#x, completed %v", lba, st, adma, ok)
	}
	return nil
}

// wait polls until reg&mask == want (want < 0: any bit of mask set).
func (c *Card) wait(reg, mask uint32, want int64, timeout time.Duration) bool {
	start := time.Now()
	for {
		v := c.read32(reg) & mask
		if want < 0 && v != 0 || want >= 0 && v == uint32(want) {
			return true
		}
		if time.Since(start) > timeout {
			return false
		}
		runtime.Gosched()
	}
}

func (c *Card) reg(off uint32) *uint32 {
	a := c.base + uintptr(off)
	return (*uint32)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
}

func (c *Card) read32(off uint32) uint32     { return atomic.LoadUint32(c.reg(off)) }
func (c *Card) write32(off uint32, v uint32) { atomic.StoreUint32(c.reg(off), v) }

var _ cfgstore.Device = (*Card)(nil)
