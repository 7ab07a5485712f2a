//go:build hwtest && hwbench

// Side-by-side measurement of the appliance firmware and the baseline
// (tamago's copy driver under the same filter and stack), each booted in
// QEMU with -icount shift=0,sleep=off so that guest time counts guest
// instructions (1 ns each). Run by `make bench-qemu`; it prints a table
// and asserts only that the measurement happened.
package hwtests

import (
	"flag"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/peer"
)

var (
	benchOurs     = flag.String("ours", "", "appliance firmware ELF")
	benchBaseline = flag.String("baseline", "", "baseline firmware ELF")
)

type benchResult struct {
	name         string
	insnPerFrame float64 // guest instructions in RX processing per received frame (ping + HTTP)
	insnPerDrop  float64 // the same for frames the rules drop (LLDP)
	framesPerSec float64 // wall-clock rate of dropped frames through the harness
	pingWall     time.Duration
	httpWall     time.Duration
	rxFrames     uint64
}

func benchOne(t *testing.T, name, elf string) benchResult {
	ports, err := freeUDPPorts(2)
	if err != nil {
		t.Fatal(err)
	}
	run, err := Boot(elf, 10*time.Minute, "-icount", "shift=0,sleep=off",
		"-netdev", fmt.Sprintf("socket,id=lan,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", ports[0], ports[1]),
		"-net", "nic,netdev=lan")
	if err != nil {
		t.Fatal(err)
	}
	defer run.Stop()
	if _, _, err := run.WaitLine("fosbury: ready"); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, run.Output())
	}
	p, err := peer.New(peer.Options{Listen: fmt.Sprintf("127.0.0.1:%d", ports[0]), Remote: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		MAC: peerMAC, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.2.2/24")}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a := &appliance{run: run, peer: p, token: consoleToken(run)} // the baseline asks for none
	a.waitPing(t, applianceV4, time.Minute)

	r := benchResult{name: name}
	before := a.status(t)
	const pings = 300
	start := time.Now()
	a.ping(t, applianceV4, pings, func(int) int { return 56 })
	r.pingWall = time.Since(start) / pings

	start = time.Now()
	const httpN = 20
	for i := 0; i < httpN; i++ {
		a.get(t, "/")
	}
	r.httpWall = time.Since(start) / httpN
	after := a.status(t)
	frames := a.counter(t, after, "rx_frames") - a.counter(t, before, "rx_frames")
	busy := a.counter(t, after, "rx_busy_ns") - a.counter(t, before, "rx_busy_ns")
	if frames == 0 || busy == 0 {
		t.Fatalf("%s: no RX work measured (%d frames, %d ns)", name, frames, busy)
	}
	r.rxFrames = frames
	r.insnPerFrame = float64(busy) / float64(frames)

	// Frames the rules drop: LLDP to its link-local group, in bursts the
	// ring can hold, each burst checked for arrival before the next.
	lldp := make([]byte, 60)
	copy(lldp, []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e})
	copy(lldp[6:], peerMAC)
	lldp[12], lldp[13] = 0x88, 0xcc
	const drops = 1000
	for i := 0; i < drops; i += 100 {
		for j := 0; j < 100; j++ {
			p.SendFrame(lldp)
		}
		time.Sleep(100 * time.Millisecond)
	}
	final := a.status(t)
	dframes := a.counter(t, final, "rx_frames") - a.counter(t, after, "rx_frames")
	dbusy := a.counter(t, final, "rx_busy_ns") - a.counter(t, after, "rx_busy_ns")
	if dframes < drops/2 {
		t.Fatalf("%s: only %d of %d dropped frames received", name, dframes, drops)
	}
	r.insnPerDrop = float64(dbusy) / float64(dframes)

	// Wall-clock rate: bursts of 200 dropped frames (within the ring and
	// the host socket buffer), each timed from the first send until
	// /status counts all of it. The /status request itself is included.
	const bursts, burst = 10, 200
	var took time.Duration
	for i := 0; i < bursts; i++ {
		base := a.counter(t, a.status(t), "rx_frames")
		start := time.Now()
		for j := 0; j < burst; j++ {
			p.SendFrame(lldp)
		}
		for a.counter(t, a.status(t), "rx_frames") < base+burst+1 { // +1: the /status request
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: a burst of %d frames was not received", name, burst)
			}
		}
		took += time.Since(start)
	}
	r.framesPerSec = float64(bursts*burst) / took.Seconds()
	return r
}

// TestBenchSideBySide boots both firmwares one after the other, in one run.
func TestBenchSideBySide(t *testing.T) {
	if *benchOurs == "" || *benchBaseline == "" {
		t.Fatal("-ours and -baseline are required (make bench-qemu passes them)")
	}
	ours := benchOne(t, "fosbury (reused-page ring)", *benchOurs)
	base := benchOne(t, "baseline (tamago copy driver)", *benchBaseline)
	fmt.Printf("\n%-30s %16s %16s %10s %14s %14s %12s\n", "firmware", "insn/local frame", "insn/dropped fr.", "RX frames",
		"ping RTT wall", "HTTP GET wall", "drop fr/s")
	for _, r := range []benchResult{ours, base} {
		fmt.Printf("%-30s %16.0f %16.0f %10d %14v %14v %12.0f\n", r.name, r.insnPerFrame, r.insnPerDrop, r.rxFrames,
			r.pingWall.Round(time.Microsecond), r.httpWall.Round(time.Microsecond), r.framesPerSec)
	}
	fmt.Printf("ratio ours/baseline: insn per local frame %.2f, per dropped frame %.2f, ping RTT %.2f, HTTP GET %.2f, dropped frames/s %.2f\n\n",
		ours.insnPerFrame/base.insnPerFrame, ours.insnPerDrop/base.insnPerDrop,
		float64(ours.pingWall)/float64(base.pingWall), float64(ours.httpWall)/float64(base.httpWall), ours.framesPerSec/base.framesPerSec)
}
