// Command qemusmoke is test-only firmware for the enet driver in QEMU's
// mcimx6ul-evk: it brings ENET1 and ENET2 up through the real registers
// (clocks, reset, MDIO probe with fallback, PHY, link), attaches rxring
// and txring on DMA memory, wires both MAC interrupts through the GIC, and
// on each port sends ARP requests for QEMU user networking's gateway
// (10.0.2.2): one, then a burst of 200 in TX batches of 8 that wraps both
// rings many times. Every reply must come back through IRQ -> ISR -> poll
// loop -> RX ring. It prints what it sees on UART1 and exits through
// semihosting: 0 when every reply arrived, 1 otherwise.
//
// QEMU has no caches, so heap memory stands in for the board's DMA region.
//
//	GOOS=tamago GOARCH=arm GOARM=7 go build -ldflags "-T 0x80010000 -R 0x1000" -o smoke.elf ./enet/qemusmoke
//	qemu-system-arm -machine mcimx6ul-evk -cpu cortex-a7 -m 512M -nographic \
//	  -semihosting -nic user -nic user -kernel smoke.elf
//
//go:build tamago && arm

package main

import (
	"bytes"
	"fmt"
	"runtime/goos"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fosbury-net/fosbury/board/semihosting"
	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/pagepool"
	"github.com/fosbury-net/fosbury/rxring"
	"github.com/fosbury-net/fosbury/txring"
	_ "github.com/usbarmory/tamago/board/nxp/mx6ullevk"
	"github.com/usbarmory/tamago/soc/nxp/imx6ul"
)

var (
	guestIP = [4]byte{10, 0, 2, 15}
	gwIP    = [4]byte{10, 0, 2, 2}
)

const burst = 200

func fail(format string, a ...any) {
	fmt.Printf("qemusmoke: FAIL "+format+"\n", a...)
	goos.Exit(1)
}

// aligned returns n bytes of heap memory aligned to align.
func aligned(n, align int) []byte {
	b := make([]byte, n+align)
	off := (align - int(uintptr(unsafe.Pointer(&b[0])))%align) % align
	return b[off : off+n]
}

// port is one ENET with its rings.
type port struct {
	name    string
	addr    [6]byte
	mac     *enet.MAC
	tx      *enet.TX
	replies atomic.Uint64
}

// sendARP queues "who has 10.0.2.2? tell 10.0.2.15" without ringing the
// doorbell; false when the TX ring is full.
func (p *port) sendARP() bool {
	buf, ok := p.tx.TxReserve(60)
	if !ok {
		return false
	}
	frame := buf[:60]
	for i := range frame {
		frame[i] = 0
	}
	copy(frame[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:12], p.addr[:])
	frame[12], frame[13] = 0x08, 0x06
	copy(frame[14:22], []byte{0, 1, 0x08, 0x00, 6, 4, 0, 1})
	copy(frame[22:28], p.addr[:])
	copy(frame[28:32], guestIP[:])
	copy(frame[38:42], gwIP[:])
	p.tx.TxCommit(60)
	return true
}

// attach brings the PHY up and starts the MAC on fresh rings.
func (p *port) attach(conf, fallback *enet.MDIO, phyAddr int) {
	phy, where, err := enet.BringUpPHY(conf, fallback, phyAddr, enet.PHYConfig{RefClk50MHz: true})
	if err != nil {
		fail("%s PHY: %v", p.name, err)
	}
	fmt.Printf("qemusmoke: %s: %v\n", p.name, where)
	p.mac.AttachPHY(phy)
	link, err := p.mac.WaitLink(2*time.Second, 10*time.Millisecond)
	if err != nil || !link.Up {
		fail("%s link %v: %v", p.name, link, err)
	}
	fmt.Printf("qemusmoke: %s: link %v\n", p.name, link)

	const pages, rxSize, txSize = 48, 16, 16
	region := aligned(pages*pagepool.PageSize, pagepool.PageSize)
	mem, err := pagepool.NewARMMemory(uintptr(unsafe.Pointer(&region[0])), len(region))
	if err != nil {
		fail("memory: %v", err)
	}
	pool, err := pagepool.New(mem)
	if err != nil {
		fail("pool: %v", err)
	}
	rxb, txb := aligned(rxSize*rxring.DescSize, 64), aligned(txSize*txring.DescSize, 64)
	rxd, err := pagepool.NewUncached(rxb, uint32(uintptr(unsafe.Pointer(&rxb[0]))))
	if err != nil {
		fail("rx descriptors: %v", err)
	}
	txd, err := pagepool.NewUncached(txb, uint32(uintptr(unsafe.Pointer(&txb[0]))))
	if err != nil {
		fail("tx descriptors: %v", err)
	}
	rxr, err := rxring.New(rxring.Options{Size: rxSize, Pool: pool, Desc: rxd, Doorbell: p.mac.RXBell(), FCS: true})
	if err != nil {
		fail("rxring: %v", err)
	}
	txr, err := txring.New(txring.Options{Size: txSize, Pool: pool, Desc: txd, Doorbell: p.mac.TXBell()})
	if err != nil {
		fail("txring: %v", err)
	}
	rx, err := enet.NewRX(rxr, rxd.BusAddr(), func(f *rxring.Frame) rxring.Verdict {
		b := f.Bytes()
		// An ARP reply (opcode 2) from the gateway to this port.
		if len(b) >= 42 && b[12] == 0x08 && b[13] == 0x06 && b[21] == 2 &&
			bytes.Equal(b[28:32], gwIP[:]) && bytes.Equal(b[32:38], p.addr[:]) {
			p.replies.Add(1)
			return rxring.Local
		}
		return rxring.Drop
	})
	if err != nil {
		fail("rx: %v", err)
	}
	if p.tx, err = enet.NewTX(txr, txd.BusAddr(), pool); err != nil {
		fail("tx: %v", err)
	}
	if err := p.mac.Start(rx, p.tx); err != nil {
		fail("%s start: %v", p.name, err)
	}
}

// exercise sends one request, then a burst, and waits for every reply.
func (p *port) exercise() {
	want := uint64(1)
	p.sendARP()
	p.tx.TxFlush()
	p.wait(want)
	for sent := 0; sent < burst; {
		for n := 0; n < 8 && sent < burst; n++ {
			for !p.sendARP() {
				p.tx.TxFlush()
				time.Sleep(time.Millisecond)
			}
			sent++
		}
		p.tx.TxFlush()
	}
	p.wait(want + burst)
	s := p.mac.Stats()
	fmt.Printf("qemusmoke: %s: %d replies; interrupts %d polls %d rx %d rxDoorbells %d txDoorbells %d; MIB %v\n",
		p.name, p.replies.Load(), s.Interrupts, s.Polls, s.RxPolled, s.RxDoorbells, s.TxDoorbells, p.mac.ReadMIB().Status)
}

func (p *port) wait(n uint64) {
	deadline := time.Now().Add(3 * time.Second)
	for p.replies.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := p.replies.Load(); got != n {
		fail("%s: %d of %d ARP replies: %+v", p.name, got, n, p.mac.Stats())
	}
}

func main() {
	goos.Exit = semihosting.Exit

	ipg, err := enet.EnableClocks(enet.ENET1)
	if err != nil {
		fail("clocks: %v", err)
	}
	if _, err := enet.EnableClocks(enet.ENET2); err != nil {
		fail("clocks: %v", err)
	}
	p1 := &port{name: "ENET1", addr: [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}}
	p2 := &port{name: "ENET2", addr: [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x57}}
	for p, hw := range map[*port]enet.Port{p1: enet.ENET1, p2: enet.ENET2} {
		o := enet.Options{Port: hw, Regs: enet.NewMMIO(hw), MAC: p.addr, IPGClockHz: ipg}
		if p.mac, err = enet.New(o); err != nil {
			fail("%s: %v", p.name, err)
		}
	}
	fmt.Printf("qemusmoke: IPG %d Hz, ENET1 and ENET2 reset\n", ipg)

	// The EVK layout first (both PHYs on ENET2's bus), QEMU 7.2's own-bus
	// layout second.
	p1.attach(p2.mac.MDIO(), p1.mac.MDIO(), 2)
	p2.attach(p2.mac.MDIO(), p1.mac.MDIO(), 1)

	imx6ul.GIC.Init()
	stop := make(chan struct{})
	go p1.mac.Run(stop, 0)
	go p2.mac.Run(stop, 0)
	go enet.ServeInterrupts(enet.DefaultCPU, enet.DefaultGIC, nil, p1.mac, p2.mac)

	p1.exercise()
	p2.exercise()
	fmt.Println("qemusmoke: ok")
	goos.Exit(0)
}
