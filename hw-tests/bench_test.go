//go:build hwtest && hwbench

// The side-by-side benchmark (make bench-qemu): the appliance, the copy
// baseline (tamago's soc/nxp/enet driver under the same filter and stack,
// one port) and Linux 6.1 bridging the same emulated SoC (hw-tests/
// linuxref), one after the other in one run, between the same two Linux
// hosts (hw-tests/netbench). The figure is whole-system guest instructions
// per frame under -icount shift=0 (guest time less idle time, less one
// probe's cost, over the frames received), for dropped, forwarded and
// local frames, paced and in bursts; then TCG wall-clock TCP throughput
// through the bridge. It prints a table with ratios (also -bench.out) and
// asserts only that each measurement happened and that the frames went
// where the rules send them: speed is a figure here, never a pass/fail.
package hwtests

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/linuxref"
	"github.com/fosbury-net/fosbury/hw-tests/netbench"
	"github.com/fosbury-net/fosbury/mgmt"
)

var (
	benchOurs     = flag.String("ours", "", "appliance firmware ELF")
	benchBaseline = flag.String("baseline", "", "baseline firmware ELF")
	// sleep=on by default: under sleep=off an idle guest's clock jumps to
	// its next timer at once, so while the hosts are slow in wall time the
	// guests' periodic work (Linux's timers, fosbury's health probe, DHCP
	// and SNTP retransmissions) runs as fast as QEMU can and is charged to
	// the frames (fosbury's clock ran 1h43m in 10 s of wall time, and its
	// wires were never quiet). sleep=on still counts 1 ns per instruction
	// while busy and repeats to within about 1 %.
	benchICount = flag.String("bench.icount", "shift=0,sleep=on",
		"QEMU -icount settings to measure, ';'-separated (shift=0,sleep=off also works for Linux and the baseline)")
	benchFrames  = flag.Int("bench.frames", 20000, "frames per measured run (paced runs: a fifth, HTTP: a tenth)")
	benchRuns    = flag.Int("bench.runs", 2, "measured runs per workload, contender and icount setting")
	benchWho     = flag.String("bench.contenders", "fosbury,baseline,linux", "contenders to boot, ','-separated")
	benchTCPRuns = flag.Int("bench.tcpruns", 5, "iperf3 TCP runs per bridge without icount (0: none)")
	benchTCPTime = flag.Duration("bench.tcptime", 5*time.Second, "length of one iperf3 TCP run")
	benchIdle    = flag.Duration("bench.idle", 10*time.Second, "wall time of the idle measurement")
	benchOut     = flag.String("bench.out", "", "also write the table to this file")
)

// The hosts share the guests' management subnet, so the same workloads
// reach every guest's own address (the appliance's defaults, given to
// Linux's br0 and the baseline alike).
var (
	benchGuest = applianceV4
	benchWires = netbench.Options{LAN: netip.MustParsePrefix("10.0.2.20/24"), WAN: netip.MustParsePrefix("10.0.2.30/24"),
		LAN6: netip.MustParsePrefix("fd00::20/64"), WAN6: netip.MustParsePrefix("fd00::30/64")}
)

// benchCase is one workload as one row of the table.
type benchCase struct {
	row    string // the table's row: the class of frame and its pacing
	wl     netbench.Workload
	frames int
	bridge bool   // through the bridge: two-port contenders only
	pacer  string // workload whose figure the pacing frames are charged at (Result.Net), or ""
	perReq bool   // the figure is per HTTP request, not per frame
}

func benchCases(token string) []benchCase {
	n := *benchFrames
	local := netip.AddrPortFrom(benchGuest, 80)
	wl := func(name string) netbench.Workload {
		w, err := netbench.Lookup(name)
		if err != nil {
			panic(err)
		}
		return w
	}
	return []benchCase{
		{"forwarded, paced (ping -f lan->wan)", wl("ping"), n, true, "", false},
		{"forwarded, bursts of 64", wl("fwd-burst"), n, true, "", false},
		{"forwarded, bursts of 256 (a ring)", wl("fwd-ring"), n, true, "", false},
		{"forwarded, udp1200 at 200 Mbit/s", wl("udp1200"), n, true, "", false},
		{"local, paced (ping -f to the guest)", netbench.PingTo("ping-local", benchGuest), n, false, "", false},
		{"local, HTTP GET / (per frame)", netbench.HTTPGets("http-local", local, "/", "Bearer "+token), n / 10, false, "", false},
		{"local, HTTP GET /health (per request)", netbench.HTTPGets("http-health", local, "/health", ""), n / 20, false, "", true},
		{"dropped, paced by ping lan->wan", wl("drop-pinged"), n / 5, true, "ping", false},
		{"dropped, 1 per 500 us (open loop)", wl("drop-paced"), n / 5, false, "", false},
		{"dropped, bursts of 64", wl("drop-burst"), n, false, "", false},
		{"dropped, bursts of 256 (a ring)", wl("drop-ring"), n, false, "", false},
	}
}

// contender is one guest: how to boot it on the wires and probe it.
type contender struct {
	name   string
	bridge bool // has a wan port
	// boot starts the guest under icount ("": plain TCG), attaches the
	// wires and returns its probe, its API token ("": none) and stop.
	boot func(t *testing.T, icount string, w *netbench.Wires) (netbench.Probe, string, func())
}

// figure is one measured run of one case.
type figure struct {
	value    float64 // instructions per frame (per request for perReq)
	r        netbench.Result
	periodic float64 // the idle rate of the same boot times the run's guest time, per frame
}

// idleFigure is a guest left alone: its busy share of guest time.
type idleFigure struct {
	busy      float64 // fraction
	span      time.Duration
	probeCost time.Duration
}

type benchKey struct{ mode, who, wl string }

type benchResults struct {
	figures  map[benchKey][]figure
	idle     map[benchKey]idleFigure // wl ""
	tcp      map[string][]float64
	tcpLoad  map[string]string
	allocOut string
	allocErr error
	took     time.Duration
}

func TestBenchSideBySide(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("needs root: network namespaces and tap devices")
	}
	started := time.Now()
	all := map[string]contender{
		"fosbury":  {"fosbury", true, bootFosbury(need(t, benchOurs, "ours"), "fosbury")},
		"baseline": {"baseline", false, bootFosbury(need(t, benchBaseline, "baseline"), "baseline")},
		"linux":    {"linux", true, bootLinux(t)},
	}
	var who []contender
	for _, n := range strings.Split(*benchWho, ",") {
		c, ok := all[strings.TrimSpace(n)]
		if !ok {
			t.Fatalf("-bench.contenders: no contender %q", n)
		}
		who = append(who, c)
	}
	res := benchResults{figures: map[benchKey][]figure{}, idle: map[benchKey]idleFigure{},
		tcp: map[string][]float64{}, tcpLoad: map[string]string{}}
	modes := strings.Split(*benchICount, ";")
	for _, mode := range modes {
		for _, c := range who {
			start := time.Now()
			measureContender(t, c, mode, &res)
			t.Logf("%s under -icount %s took %v", c.name, mode, time.Since(start).Round(time.Second))
		}
	}
	if *benchTCPRuns > 0 {
		for _, c := range who {
			if c.bridge {
				tcpContender(t, c, &res)
			}
		}
	}
	res.allocOut, res.allocErr = allocTests()
	res.took = time.Since(started)

	var sb strings.Builder
	res.table(&sb, modes, who)
	fmt.Print(sb.String())
	if *benchOut != "" {
		if err := os.WriteFile(*benchOut, []byte(sb.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if res.allocErr != nil {
		t.Errorf("allocation tests: %v\n%s", res.allocErr, res.allocOut)
	}
}

// newWires makes the two hosts for one boot, named after the contender.
func newWires(t *testing.T, who string) *netbench.Wires {
	t.Helper()
	o := benchWires
	o.Prefix = netName(who[:2])
	w, err := netbench.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// measureContender boots c once under icount mode and measures its idle
// share and every case it can serve.
func measureContender(t *testing.T, c contender, mode string, res *benchResults) {
	w := newWires(t, c.name)
	defer w.Close()
	probe, token, stop := c.boot(t, mode, w)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	id := measureIdle(t, ctx, c.name, probe)
	res.idle[benchKey{mode, c.name, ""}] = id
	t.Logf("%s, %s: idle %.3f%% busy over %v of guest time (probe %v)", c.name, mode, 100*id.busy, id.span, id.probeCost)
	pacers := map[string]float64{}
	for _, bc := range benchCases(token) {
		if bc.bridge && !c.bridge {
			continue
		}
		// ARP, bridge learning and any state before measuring.
		to := benchGuest
		if bc.bridge {
			to = w.WAN.Addr.Addr()
		}
		if got, err := w.LAN.Ping(ctx, to, 3); err != nil || got == 0 {
			t.Fatalf("%s, %s: warm-up ping to %v: %d answered, %v", c.name, bc.wl.Name, to, got, err)
		}
		var vals []float64
		for i := 0; i < *benchRuns; i++ {
			r, err := netbench.Measure(ctx, probe, w, bc.wl, bc.frames)
			if err != nil {
				t.Fatalf("%s, %s: %v", c.name, bc.wl.Name, err)
			}
			checkWhere(t, c, bc, r)
			f := figure{value: r.PerFrame, r: r, periodic: id.busy * float64(r.C.Guest-r.B.Guest) / float64(r.Frames)}
			switch {
			case bc.perReq:
				f.value = float64(r.Busy) / float64(r.Traffic.Sent)
			case bc.pacer != "":
				f.value = r.Net(pacers[bc.pacer])
			}
			t.Logf("%s, %s: %v; figure %.0f, periodic work %.0f per frame", c.name, mode, r, f.value, f.periodic)
			res.figures[benchKey{mode, c.name, bc.wl.Name}] = append(res.figures[benchKey{mode, c.name, bc.wl.Name}], f)
			vals = append(vals, r.PerFrame)
		}
		pacers[bc.wl.Name] = median(vals)
	}
}

// measureIdle probes twice back to back (one probe's cost), leaves the
// guest alone for -bench.idle of wall time and probes again.
func measureIdle(t *testing.T, ctx context.Context, who string, probe netbench.Probe) idleFigure {
	var s [3]netbench.Sample
	for i := range s {
		if i == 2 {
			time.Sleep(*benchIdle)
		}
		var err error
		if s[i], err = probe(ctx); err != nil {
			t.Fatalf("%s: idle: %v", who, err)
		}
	}
	cost := s[0].Busy(s[1])
	span := s[2].Guest - s[1].Guest
	if span <= 0 {
		t.Fatalf("%s: idle: the guest clock did not move (%v to %v)", who, s[1].Guest, s[2].Guest)
	}
	return idleFigure{busy: max(0, float64(s[1].Busy(s[2])-cost)) / float64(span), span: span, probeCost: cost}
}

// checkWhere fails a run whose frames did not go where the rules send
// them: dropped frames must not leave on wan, forwarded ones must.
func checkWhere(t *testing.T, c contender, bc benchCase, r netbench.Result) {
	t.Helper()
	wanOut := r.C.TX[1] - r.B.TX[1]
	allowed := r.Frames / 10
	if bc.pacer != "" && bc.bridge { // the pacing echo requests cross to the wan host
		allowed += r.Traffic.Sent
	}
	switch {
	case strings.HasPrefix(bc.wl.Name, "drop-") && c.bridge && wanOut > allowed:
		t.Errorf("%s, %s: %d frames left on wan of %d received: the rules should drop LLDP-type frames", c.name, bc.wl.Name, wanOut, r.Frames)
	case bc.bridge && !strings.HasPrefix(bc.wl.Name, "drop-") && wanOut < r.Frames/3:
		t.Errorf("%s, %s: only %d frames left on wan of %d received: the bridge should forward them", c.name, bc.wl.Name, wanOut, r.Frames)
	}
}

// bootFosbury boots an appliance-like firmware (fosbury, or the baseline,
// which serves the same /status) on the wires.
func bootFosbury(elf, who string) func(*testing.T, string, *netbench.Wires) (netbench.Probe, string, func()) {
	return func(t *testing.T, icount string, w *netbench.Wires) (netbench.Probe, string, func()) {
		t.Helper()
		args := w.QEMUArgs()
		if icount != "" {
			args = append(args, "-icount", icount)
		}
		run, err := Boot(elf, 60*time.Minute, args...)
		if err != nil {
			t.Fatal(err)
		}
		if _, wall, err := run.WaitLine("fosbury: ready"); err != nil {
			run.Stop()
			t.Fatalf("%s: %v\n%s", who, err, run.Output())
		} else {
			t.Logf("%s ready after %v wall time (-icount %q)", who, wall.Round(time.Millisecond), icount)
		}
		token := consoleToken(run)
		if err := w.Attach(); err != nil {
			run.Stop()
			t.Fatal(err)
		}
		probe := func(ctx context.Context) (netbench.Sample, error) {
			body, err := httpGet(w.LAN.Host, netip.AddrPortFrom(benchGuest, 80), "/status", token)
			if err != nil {
				return netbench.Sample{}, fmt.Errorf("%s: /status: %v", who, err)
			}
			var st mgmt.Status
			if err := json.Unmarshal(body, &st); err != nil {
				return netbench.Sample{}, fmt.Errorf("%s: /status: %v", who, err)
			}
			return statusSample(st)
		}
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
			_, err := probe(context.Background())
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				run.Stop()
				t.Fatalf("%s: /status unreachable from the lan host: %v\n%s", who, err, run.Output())
			}
		}
		return probe, token, run.Stop
	}
}

// statusSample is the one place the benchmark reads the shape of /status:
// the CPU's clock and idle time (board/idle), each port's driver counters.
func statusSample(st mgmt.Status) (netbench.Sample, error) {
	s := netbench.Sample{Guest: time.Duration(st.CPU.UptimeNS), Idle: time.Duration(st.CPU.IdleNS)}
	if s.Guest == 0 || len(st.Ports) == 0 {
		return s, fmt.Errorf("/status has no CPU time or no ports (an idle governor that reports it is needed)")
	}
	for i, p := range st.Ports {
		if i >= len(s.RX) {
			break
		}
		s.RX[i] = p.Driver.RX.Frames
		s.TX[i] = p.Driver.TX.RefFrames + p.Driver.TX.BuiltFrames
		s.RXDropped[i] = p.Driver.RX.RefillFail
		s.IRQ += p.Driver.Interrupts
	}
	return s, nil
}

// bootLinux boots the Linux reference on the wires and gives its bridge
// the guests' management address and an HTTP server (busybox httpd), so
// that the local rows have the same target.
func bootLinux(t *testing.T) func(*testing.T, string, *netbench.Wires) (netbench.Probe, string, func()) {
	var b *linuxref.Bundle
	return func(t *testing.T, icount string, w *netbench.Wires) (netbench.Probe, string, func()) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		if b == nil {
			bb, err := linuxref.Build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b = &bb
		}
		g, err := linuxref.Boot(*b, linuxref.BootOptions{ICount: icount, Args: w.QEMUArgs(), Timeout: 60 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Ready(ctx); err != nil {
			g.Close()
			t.Fatal(err)
		}
		t.Logf("Linux %s ready (-icount %q)", g.Version, icount)
		if err := w.Attach(); err != nil {
			g.Close()
			t.Fatal(err)
		}
		for _, cmd := range []string{
			"ip addr add " + netip.PrefixFrom(benchGuest, 24).String() + " dev br0",
			"mkdir -p /www && echo linuxref >/www/index.html && echo ok >/www/health && httpd -p 80 -h /www",
		} {
			if _, err := g.Run(ctx, cmd); err != nil {
				g.Close()
				t.Fatal(err)
			}
		}
		return g.Probe, "", g.Close
	}
}

// tcpContender measures iperf3 TCP through c's bridge under plain TCG.
func tcpContender(t *testing.T, c contender, res *benchResults) {
	w := newWires(t, c.name)
	defer w.Close()
	_, _, stop := c.boot(t, "", w)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if got, err := w.LAN.Ping(ctx, w.WAN.Addr.Addr(), 3); err != nil || got == 0 {
		t.Fatalf("%s: warm-up ping: %d answered, %v", c.name, got, err)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	res.tcpLoad[c.name] = strings.Join(strings.Fields(string(load))[:3], " ")
	for i := 0; i < *benchTCPRuns; i++ {
		bps, err := netbench.TCPThroughput(ctx, w, *benchTCPTime)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: iperf3 TCP run %d: %.1f Mbit/s", c.name, i+1, bps/1e6)
		res.tcp[c.name] = append(res.tcp[c.name], bps)
	}
}

// allocTests runs the host tests that prove the per-frame path allocates
// nothing, so that the table can say so.
func allocTests() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-run", "Alloc", "./datapath", "./enet", "./filter")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (r *benchResults) stats(mode, who, wl string) (med, lo, hi float64, fs []figure) {
	fs = r.figures[benchKey{mode, who, wl}]
	if len(fs) == 0 {
		return 0, 0, 0, nil
	}
	v := make([]float64, len(fs))
	for i, f := range fs {
		v[i] = f.value
	}
	slices.Sort(v)
	return median(v), v[0], v[len(v)-1], fs
}

func medianOf(fs []figure, f func(figure) float64) float64 {
	v := make([]float64, len(fs))
	for i, x := range fs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return median(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// table prints, per icount setting, every row for every contender (median
// and range over the runs), the ratios, the per-run details, then TCP and
// the goals.
func (r *benchResults) table(w io.Writer, modes []string, who []contender) {
	names := func() []string {
		var n []string
		for _, c := range who {
			n = append(n, c.name)
		}
		return n
	}()
	has := func(n string) bool { return slices.Contains(names, n) }
	fmt.Fprintf(w, "\nfosbury side by side (make bench-qemu): QEMU mcimx6ul-evk, the same two Linux hosts on taps (lan: ENET1, wan: ENET2)\n")
	fmt.Fprintf(w, "contenders: %s\n", strings.Join(names, ", "))
	fmt.Fprintf(w, "  fosbury: %s; baseline: tamago soc/nxp/enet copy driver, lan port only, board/idle governor (so its busy time is the\n"+
		"  driver's and the stack's, not tamago's spinning idle); linux: Debian Linux 6.1 bridge, nftables rules like fosbury.rules\n",
		filepath.Base(*benchOurs))
	fmt.Fprintf(w, "figure: whole-system guest instructions per frame received = (guest time - idle time - one probe) / frames,\n"+
		"  median [min-max] of %d runs; paced drops: per dropped frame, the echo frames charged at the same boot's ping figure\n", *benchRuns)
	for _, mode := range modes {
		fmt.Fprintf(w, "\n-icount %s\n", mode)
		fmt.Fprintf(w, "%-40s", "idle: busy share of guest time")
		for _, n := range names {
			id := r.idle[benchKey{mode, n, ""}]
			fmt.Fprintf(w, " %24s", fmt.Sprintf("%s %.3f%%", n, 100*id.busy))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%-40s", "")
		for _, n := range names {
			fmt.Fprintf(w, " %24s", n)
		}
		fmt.Fprintf(w, " %8s %8s\n", "f/linux", "f/base")
		for _, bc := range benchCases("") {
			fmt.Fprintf(w, "%-40s", bc.row)
			meds := map[string]float64{}
			for _, n := range names {
				med, lo, hi, fs := r.stats(mode, n, bc.wl.Name)
				if fs == nil {
					fmt.Fprintf(w, " %24s", "n/a")
					continue
				}
				meds[n] = med
				fmt.Fprintf(w, " %24s", fmt.Sprintf("%.0f [%.0f-%.0f]", med, lo, hi))
			}
			fmt.Fprintf(w, " %8s %8s\n", ratio(meds["fosbury"], meds["linux"]), ratio(meds["fosbury"], meds["baseline"]))
		}
		fmt.Fprintf(w, "details (medians): frames per run, interrupts per frame, periodic work per frame (idle share x the run's guest time)\n")
		for _, bc := range benchCases("") {
			fmt.Fprintf(w, "  %-38s", bc.wl.Name)
			for _, n := range names {
				_, _, _, fs := r.stats(mode, n, bc.wl.Name)
				if fs == nil {
					fmt.Fprintf(w, " %30s", "")
					continue
				}
				fmt.Fprintf(w, " %30s", fmt.Sprintf("%s %.0f, %.2f irq, %.0f", n[:3], medianOf(fs, func(f figure) float64 { return float64(f.r.Frames) }),
					medianOf(fs, func(f figure) float64 { return f.r.IRQPerFrame }), medianOf(fs, func(f figure) float64 { return f.periodic })))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "  probe cost (instructions):")
		for _, n := range names {
			fmt.Fprintf(w, " %s %v", n, r.idle[benchKey{mode, n, ""}].probeCost)
		}
		fmt.Fprintln(w)
	}
	tcp := map[string]float64{}
	for _, n := range names {
		v := slices.Clone(r.tcp[n])
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		tcp[n] = median(v)
		fmt.Fprintf(w, "\niperf3 TCP lan->wan through %s's bridge, TCG without icount, %d runs of %v: %.0f / %.0f / %.0f Mbit/s min/median/max (load average %s)",
			n, len(v), *benchTCPTime, v[0]/1e6, median(v)/1e6, v[len(v)-1]/1e6, r.tcpLoad[n])
	}
	if len(tcp) > 0 {
		fmt.Fprintf(w, "\nTCP ratio fosbury/linux (medians): %s\n", ratio(tcp["fosbury"], tcp["linux"]))
	}

	def := modes[0]
	fig := func(who, wl string) float64 { m, _, _, _ := r.stats(def, who, wl); return m }
	fmt.Fprintf(w, "\ngoals (figures under -icount %s; a goal is a benchmark figure, not an assertion):\n", def)
	goal := func(ok bool, format string, args ...any) {
		mark := "MISSED"
		if ok {
			mark = "met   "
		}
		fmt.Fprintf(w, "  %s %s\n", mark, fmt.Sprintf(format, args...))
	}
	if has("fosbury") {
		for _, mode := range modes {
			id := r.idle[benchKey{mode, "fosbury", ""}]
			goal(id.busy <= 0.01, "idle appliance <= 1%% busy: %.3f%% (-icount %s)", 100*id.busy, mode)
		}
		for _, g := range []struct {
			what, wl string
			bound    float64
		}{
			{"dropped, bursts of 256 (a ring)", "drop-ring", 400}, {"dropped, bursts of 64", "drop-burst", 400},
			{"forwarded, bursts of 256 (a ring)", "fwd-ring", 800}, {"forwarded, bursts of 64", "fwd-burst", 800},
			{"dropped, paced (ping lan->wan)", "drop-pinged", 2500}, {"forwarded, paced (ping -f)", "ping", 2900},
		} {
			f := fig("fosbury", g.wl)
			goal(f > 0 && f <= g.bound, "%s <= %.0f instructions per frame: %.0f", g.what, g.bound, f)
			if strings.Contains(g.what, "bursts") && has("linux") {
				l := fig("linux", g.wl)
				goal(f > 0 && l >= 3*f, "%s at least 3x fewer than Linux: %.0f vs %.0f (%sx)", g.what, f, l, ratio(l, f))
			}
		}
		if has("baseline") {
			for _, wl := range []string{"drop-ring", "drop-burst"} {
				f, b := fig("fosbury", wl), fig("baseline", wl)
				goal(f > 0 && b >= 3*f, "%s: at least 3x fewer than the copy baseline per dropped frame: %.0f vs %.0f (%sx)", wl, f, b, ratio(b, f))
			}
		}
		if tcp["linux"] > 0 {
			goal(tcp["fosbury"] >= 3*tcp["linux"], "TCP through the bridge >= 3x Linux's: %.0f vs %.0f Mbit/s (%sx)",
				tcp["fosbury"]/1e6, tcp["linux"]/1e6, ratio(tcp["fosbury"], tcp["linux"]))
		}
	}
	goal(r.allocErr == nil, "0 allocations per frame (go test -run Alloc ./datapath ./enet ./filter): %s",
		strings.ReplaceAll(r.allocOut, "\n", "; "))
	fmt.Fprintf(w, "\nthe whole run took %v\n\n", r.took.Round(time.Second))
}
