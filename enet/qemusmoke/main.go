// Command qemusmoke is test-only firmware for the enet driver in QEMU's
// mcimx6ul-evk: it brings ENET1 up through the real registers (clocks,
// reset, MDIO probe with fallback, PHY, link), attaches rxring/txring on
// DMA memory, wires the MAC interrupt through the GIC, sends an ARP
// request for QEMU user networking's gateway (10.0.2.2) and waits for the
// reply to come back through IRQ -> ISR -> poll loop -> RX ring, then a
// burst of 200 that wraps both rings many times. It
// prints what it sees on UART1 and exits through semihosting: 0 when the
// reply arrived, 1 otherwise.
//
// QEMU has no caches, so heap memory stands in for the board's DMA region.
//
//	GOOS=tamago GOARCH=arm GOARM=7 go build -ldflags "-T 0x80010000 -R 0x1000" -o smoke.elf ./enet/qemusmoke
//	qemu-system-arm -machine mcimx6ul-evk -cpu cortex-a7 -m 512M -nographic \
//	  -semihosting -nic user -kernel smoke.elf
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
	mac1Addr = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
	mac2Addr = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x57}
	guestIP  = [4]byte{10, 0, 2, 15}
	gwIP     = [4]byte{10, 0, 2, 2}
)

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

// sendARP queues "who has 10.0.2.2? tell 10.0.2.15" without ringing the
// doorbell; false when the TX ring is full.
func sendARP(tx *enet.TX) bool {
	buf, ok := tx.TxReserve(60)
	if !ok {
		return false
	}
	frame := buf[:60]
	for i := range frame {
		frame[i] = 0
	}
	copy(frame[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:12], mac1Addr[:])
	frame[12], frame[13] = 0x08, 0x06
	copy(frame[14:22], []byte{0, 1, 0x08, 0x00, 6, 4, 0, 1})
	copy(frame[22:28], mac1Addr[:])
	copy(frame[28:32], guestIP[:])
	copy(frame[38:42], gwIP[:])
	tx.TxCommit(60)
	return true
}

func main() {
	goos.Exit = semihosting.Exit

	ipg, err := enet.EnableClocks(enet.ENET1)
	if err != nil {
		fail("clocks: %v", err)
	}
	mac1, err := enet.New(enet.Options{Port: enet.ENET1, Regs: enet.NewMMIO(enet.ENET1), MAC: mac1Addr, IPGClockHz: ipg})
	if err != nil {
		fail("ENET1: %v", err)
	}
	mac2, err := enet.New(enet.Options{Port: enet.ENET2, Regs: enet.NewMMIO(enet.ENET2), MAC: mac2Addr, IPGClockHz: ipg})
	if err != nil {
		fail("ENET2: %v", err)
	}
	fmt.Printf("qemusmoke: IPG %d Hz, ENET1 and ENET2 reset\n", ipg)

	// The EVK layout first (ENET2's bus), QEMU 7.2's own-bus layout second.
	phy, where, err := enet.BringUpPHY(mac2.MDIO(), mac1.MDIO(), 2, enet.PHYConfig{RefClk50MHz: true})
	if err != nil {
		fail("PHY: %v", err)
	}
	fmt.Printf("qemusmoke: %v\n", where)
	mac1.AttachPHY(phy)
	link, err := mac1.WaitLink(2*time.Second, 10*time.Millisecond)
	if err != nil || !link.Up {
		fail("link %v: %v", link, err)
	}
	fmt.Printf("qemusmoke: link %v\n", link)

	const pages, rxSize, txSize = 64, 16, 16
	region := aligned(pages*pagepool.PageSize, pagepool.PageSize)
	mem, err := pagepool.NewARMMemory(uintptr(unsafe.Pointer(&region[0])), len(region))
	if err != nil {
		fail("memory: %v", err)
	}
	pool, err := pagepool.New(mem)
	if err != nil {
		fail("pool: %v", err)
	}
	rxb := aligned(rxSize*rxring.DescSize, 64)
	txb := aligned(txSize*txring.DescSize, 64)
	rxd, err := pagepool.NewUncached(rxb, uint32(uintptr(unsafe.Pointer(&rxb[0]))))
	if err != nil {
		fail("rx descriptors: %v", err)
	}
	txd, err := pagepool.NewUncached(txb, uint32(uintptr(unsafe.Pointer(&txb[0]))))
	if err != nil {
		fail("tx descriptors: %v", err)
	}
	rxr, err := rxring.New(rxring.Options{Size: rxSize, Pool: pool, Desc: rxd, Doorbell: mac1.RXBell(), FCS: true})
	if err != nil {
		fail("rxring: %v", err)
	}
	txr, err := txring.New(txring.Options{Size: txSize, Pool: pool, Desc: txd, Doorbell: mac1.TXBell()})
	if err != nil {
		fail("txring: %v", err)
	}

	got := make(chan []byte, 1)
	var replies atomic.Uint64
	rx, err := enet.NewRX(rxr, rxd.BusAddr(), func(f *rxring.Frame) rxring.Verdict {
		b := f.Bytes()
		// An ARP reply (opcode 2) from the gateway to us.
		if len(b) >= 42 && b[12] == 0x08 && b[13] == 0x06 && b[21] == 2 && bytes.Equal(b[28:32], gwIP[:]) {
			replies.Add(1)
			select {
			case got <- append([]byte(nil), b[:42]...):
			default:
			}
			return rxring.Local
		}
		return rxring.Drop
	})
	if err != nil {
		fail("rx: %v", err)
	}
	tx, err := enet.NewTX(txr, txd.BusAddr(), pool)
	if err != nil {
		fail("tx: %v", err)
	}
	if err := mac1.Start(rx, tx); err != nil {
		fail("start: %v", err)
	}

	imx6ul.GIC.Init()
	stop := make(chan struct{})
	go mac1.Run(stop, 0)
	go enet.ServeInterrupts(enet.DefaultCPU, enet.DefaultGIC, nil, mac1)

	sendARP(tx)
	tx.TxFlush()
	select {
	case b := <-got:
		fmt.Printf("qemusmoke: ARP reply from %x: gateway is at %x\n", b[28:32], b[22:28])
	case <-time.After(3 * time.Second):
		s := mac1.Stats()
		fail("no ARP reply: %+v", s)
	}

	// A burst: 200 requests in batches of 8 (one TDAR per batch), more
	// than either ring holds, so both wrap many times.
	const burst = 200
	for sent := 0; sent < burst; {
		n := 0
		for ; n < 8 && sent < burst; n++ {
			for !sendARP(tx) {
				tx.TxFlush()
				time.Sleep(time.Millisecond)
			}
			sent++
		}
		tx.TxFlush()
	}
	deadline := time.Now().Add(3 * time.Second)
	for replies.Load() < 1+burst && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := replies.Load(); n != 1+burst {
		fail("%d of %d ARP replies: %+v", n, 1+burst, mac1.Stats())
	}
	fmt.Printf("qemusmoke: burst of %d requests, %d replies\n", burst, burst)
	s := mac1.Stats()
	fmt.Printf("qemusmoke: interrupts %d polls %d rx %d rxDoorbells %d txDoorbells %d txReclaimed %d\n",
		s.Interrupts, s.Polls, s.RxPolled, s.RxDoorbells, s.TxDoorbells, s.TxReclaimed)
	fmt.Printf("qemusmoke: MIB %v\n", mac1.ReadMIB().Status)
	fmt.Println("qemusmoke: ok")
	goos.Exit(0)
}
