//go:build hwtest && hwbench

// TestLinuxRef measures the Linux reference: guest instructions per frame
// of each workload (netbench.Workloads) with the rules and as a bare
// bridge, over several boots, and iperf3 TCP throughput through the bridge
// without -icount. It checks first that the rules do what the appliance's
// do. Needs root (namespaces, taps). Run by `make bench-linuxref`.
package linuxref

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/netbench"
)

var (
	flagBundle  = flag.String("linuxref", "", "bundle directory (default: image/build.sh finds or builds it)")
	flagICount  = flag.String("linuxref.icount", "shift=0,sleep=off", "QEMU -icount of the measured boots")
	flagFrames  = flag.Int("linuxref.frames", 100000, "frames per measured burst (paced drops: a fifth)")
	flagBoots   = flag.Int("linuxref.boots", 2, "boots under -icount")
	flagBursts  = flag.Int("linuxref.bursts", 2, "measured bursts per workload and boot")
	flagTCPRuns = flag.Int("linuxref.tcpruns", 5, "iperf3 TCP runs per rule setting (0: none)")
	flagTCPTime = flag.Duration("linuxref.tcptime", 5*time.Second, "length of one iperf3 TCP run")
	flagOut     = flag.String("linuxref.out", "", "also write the table to this file")
)

type benchCase struct {
	workload string
	rules    bool
	frames   int
}

func (c benchCase) String() string {
	return fmt.Sprintf("%s, %s", c.workload, map[bool]string{true: "rules", false: "bare bridge"}[c.rules])
}

// row is one measured burst and its figure: guest instructions per frame,
// for drop-pinged per dropped frame (less the same boot's ping figure for
// the echo frames that paced it).
type row struct {
	netbench.Result
	perFrame float64
}

func TestLinuxRef(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("needs root: network namespaces and tap devices")
	}
	b := bundle(t)
	t.Logf("bundle %s\n%s", b.Dir, b.Manifest)
	n := *flagFrames
	cases := []benchCase{
		{"ping", true, n}, {"ping", false, n},
		{"udp1200", true, n}, {"udp1200", false, n},
		{"drop-pinged", true, n / 5}, {"drop-paced", true, n / 5}, {"drop-burst", true, n},
	}
	results := map[benchCase][]row{}
	var version string
	for boot := 0; boot < *flagBoots; boot++ {
		start := time.Now()
		g, w := boot1(t, b, *flagICount)
		version = g.Version
		t.Logf("boot %d: ready after %v (Linux %s)", boot+1, time.Since(start).Round(time.Millisecond), g.Version)
		if boot == 0 {
			checkRules(t, g, w)
		}
		var pingSum float64 // this boot's ping figures with rules
		var pings int
		for _, c := range cases {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			if err := g.Rules(ctx, c.rules); err != nil {
				t.Fatal(err)
			}
			// ARP, bridge learning and conntrack state before measuring.
			if got, err := w.LAN.Ping(ctx, w.WAN.Addr.Addr(), 3); err != nil || got == 0 {
				t.Fatalf("%v: warm-up ping: %d answered, %v", c, got, err)
			}
			wl, err := netbench.Lookup(c.workload)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < *flagBursts; i++ {
				r, err := netbench.Measure(ctx, g.Probe, w, wl, c.frames)
				if err != nil {
					t.Fatalf("%v: %v", c, err)
				}
				x := row{r, r.PerFrame}
				switch {
				case c.workload == "ping" && c.rules:
					pingSum += r.PerFrame
					pings++
				case r.Traffic.Pacing > 0:
					x.perFrame = r.Net(pingSum / float64(pings))
				}
				t.Logf("boot %d, %v: %v; figure %.0f", boot+1, c, r, x.perFrame)
				results[c] = append(results[c], x)
			}
			cancel()
		}
		g.Close()
		w.Close()
		t.Logf("boot %d took %v", boot+1, time.Since(start).Round(time.Second))
	}

	tcp := map[bool][]float64{}
	if *flagTCPRuns > 0 {
		start := time.Now()
		g, w := boot1(t, b, "")
		version = g.Version
		for _, rules := range []bool{true, false} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			if err := g.Rules(ctx, rules); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < *flagTCPRuns; i++ {
				bps, err := netbench.TCPThroughput(ctx, w, *flagTCPTime)
				if err != nil {
					t.Fatal(err)
				}
				tcp[rules] = append(tcp[rules], bps)
			}
			cancel()
		}
		g.Close()
		w.Close()
		t.Logf("TCP boot took %v", time.Since(start).Round(time.Second))
	}

	var sb strings.Builder
	table(&sb, version, cases, results, tcp)
	fmt.Print(sb.String())
	if *flagOut != "" {
		if err := os.WriteFile(*flagOut, []byte(sb.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func bundle(t *testing.T) Bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var b Bundle
	var err error
	if *flagBundle != "" {
		b, err = Open(*flagBundle)
	} else {
		b, err = Build(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// boot1 makes the wires, boots the bundle on them and waits until the
// guest answers.
func boot1(t *testing.T, b Bundle, icount string) (*Guest, *netbench.Wires) {
	t.Helper()
	w, err := netbench.New(netbench.Options{Prefix: "h5lr"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	g, err := Boot(b, BootOptions{ICount: icount, Args: w.QEMUArgs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close) // runs before the wires' cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := g.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Attach(); err != nil {
		t.Fatal(err)
	}
	return g, w
}

// checkRules asserts that the bridge rules behave as the appliance's
// defaults: new flows only from lan, all ICMPv6 (neighbour discovery
// included), LLDP-type frames dropped; and that without rules the same
// traffic passes.
func checkRules(t *testing.T, g *Guest, w *netbench.Wires) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ping := func(from *netbench.Host, to netip.Addr) int {
		got, err := from.Ping(ctx, to, 3)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	drops := func() (in, out uint64) {
		a, err := g.Probe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wl, _ := netbench.Lookup("drop-burst")
		if _, err := wl.Run(ctx, w, 200); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		b, err := g.Probe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b.RX[0] - a.RX[0], b.TX[1] - a.TX[1]
	}
	for _, rules := range []bool{true, false} {
		if err := g.Rules(ctx, rules); err != nil {
			t.Fatal(err)
		}
		lan4, wan4 := ping(w.LAN, w.WAN.Addr.Addr()), ping(w.WAN, w.LAN.Addr.Addr())
		lan6, wan6 := ping(w.LAN, w.WAN.Addr6.Addr()), ping(w.WAN, w.LAN.Addr6.Addr())
		in, out := drops()
		t.Logf("rules %v: ping lan->wan %d/3, wan->lan %d/3, IPv6 %d/3 and %d/3; LLDP-type frames: %d in, %d out",
			rules, lan4, wan4, lan6, wan6, in, out)
		if lan4 == 0 || lan6 == 0 || wan6 == 0 || in < 100 {
			t.Errorf("rules %v: lan->wan ping, IPv6 both ways and LLDP-type frames must pass the guest's port", rules)
		}
		if rules && (wan4 != 0 || out != 0) {
			t.Errorf("rules on: a new IPv4 flow from wan (%d/3 answered) and LLDP-type frames (%d forwarded) must be dropped", wan4, out)
		}
		if !rules && (wan4 == 0 || out < in/2) {
			t.Errorf("bare bridge: wan->lan ping (%d/3) and LLDP-type frames (%d of %d) must be forwarded", wan4, out, in)
		}
	}
}

// table prints min/median/max over all bursts of all boots.
func table(w io.Writer, version string, cases []benchCase, results map[benchCase][]row, tcp map[bool][]float64) {
	fmt.Fprintf(w, "\nLinux %s bridge (nftables bridge family) on QEMU mcimx6ul-evk, -icount %s\n", version, *flagICount)
	fmt.Fprintf(w, "%-26s %5s %28s %10s %9s %11s %10s\n", "workload", "runs", "guest insn/frame min/med/max", "frames",
		"irq/frame", "timer/frame", "probe cost")
	for _, c := range cases {
		rs := results[c]
		if len(rs) == 0 {
			continue
		}
		per := sortedBy(rs, func(r row) float64 { return r.perFrame })
		frames := sortedBy(rs, func(r row) float64 { return float64(r.Frames) })
		irq := sortedBy(rs, func(r row) float64 { return r.IRQPerFrame })
		timer := sortedBy(rs, func(r row) float64 { return r.TimerPerFrame })
		cost := sortedBy(rs, func(r row) float64 { return float64(r.ProbeCost) })
		fmt.Fprintf(w, "%-26s %5d %8.0f / %7.0f / %7.0f %10.0f %9.2f %11.3f %10v\n", c, len(rs),
			per[0], median(per), per[len(per)-1], median(frames), median(irq), median(timer),
			time.Duration(median(cost)).Round(time.Microsecond))
	}
	fmt.Fprintln(w, "(drop-pinged: per dropped frame, the paced echo frames taken out at the same boot's ping figure)")
	for _, rules := range []bool{true, false} {
		v := slices.Clone(tcp[rules])
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		fmt.Fprintf(w, "iperf3 TCP lan->wan, %-11s (no icount, %d runs): %.0f / %.0f / %.0f Mbit/s min/med/max\n",
			map[bool]string{true: "rules", false: "bare bridge"}[rules], len(v), v[0]/1e6, median(v)/1e6, v[len(v)-1]/1e6)
	}
}

func sortedBy(rs []row, f func(row) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v
}

func median(v []float64) float64 {
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
