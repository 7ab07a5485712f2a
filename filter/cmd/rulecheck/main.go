// Command rulecheck parses and compiles fosbury rules files the way the
// appliance will, so an admin can check a file before loading it:
//
//	go run ./filter/cmd/rulecheck fosbury.rules [more.rules ...]
//
// It prints each error as file:line:column: message, or a one-line summary
// per good file, and exits 1 if any file has errors.
//
// With -pcap it also runs a capture through the rules, frame by frame in
// capture order (connection state builds up as on the appliance, with the
// capture's timestamps as the clock), and prints each frame's verdict,
// the rule that decided it and the drop reason:
//
//	go run ./filter/cmd/rulecheck -rules fosbury.rules -pcap capture.pcap [-port lan] [-self 10.0.2.15,fd00::15]
//
// pcap and pcapng files are read (github.com/gopacket/gopacket/pcapgo). A
// pcapng file's interfaces named like the rules' ports (lan, wan) set each
// frame's port; otherwise every frame arrives on -port.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/filter"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// cli parses the command line and returns the exit status.
func cli(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rulecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rules := fs.String("rules", "", "rules file to run a capture through (with -pcap)")
	capture := fs.String("pcap", "", "pcap or pcapng capture: print each frame's verdict")
	port := fs.String("port", "lan", "port the frames arrived on (pcapng interface names override)")
	self := fs.String("self", "", "the appliance's addresses, comma separated (for `to self`)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rulecheck FILE.rules ...\n       rulecheck -rules FILE.rules -pcap CAPTURE.pcap [-port lan] [-self ADDR,...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *capture == "" {
		if fs.NArg() == 0 || *rules != "" {
			fs.Usage()
			return 2
		}
		return run(fs.Args(), stdout, stderr)
	}
	if *rules == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	var selfs []netip.Prefix
	for _, a := range strings.Split(*self, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err != nil {
			fmt.Fprintf(stderr, "rulecheck: -self: %v\n", err)
			return 2
		}
		selfs = append(selfs, netip.PrefixFrom(ip, ip.BitLen()))
	}
	if err := replay(*rules, *capture, *port, selfs, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// run checks every file and returns the exit status.
func run(files []string, stdout, stderr io.Writer) int {
	status := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		rs, err := filter.Parse(name, src)
		if err == nil {
			_, err = filter.Compile(rs, filter.Options{})
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		state := 0
		for _, r := range rs.Rules {
			if r.KeepState {
				state++
			}
		}
		fmt.Fprintf(stdout, "%s: ok: %d rules (%d stateful), %d tables, default %v\n",
			name, len(rs.Rules), state, len(rs.Tables), rs.Default)
	}
	return status
}

// ports are the port names the engine knows with default Options: lan and
// wan, and the port numbers.
var ports = map[string]uint8{"lan": 0, "wan": 1, "0": 0, "1": 1, "2": 2, "3": 3}

// frameSource yields a capture's frames with their time and interface.
type frameSource interface {
	next() (data []byte, ts time.Time, ifname string, err error)
}

type pcapSource struct{ r *pcapgo.Reader }

func (s pcapSource) next() ([]byte, time.Time, string, error) {
	data, ci, err := s.r.ReadPacketData()
	return data, ci.Timestamp, "", err
}

type ngSource struct{ r *pcapgo.NgReader }

func (s ngSource) next() ([]byte, time.Time, string, error) {
	data, ci, err := s.r.ReadPacketData()
	if err != nil {
		return nil, time.Time{}, "", err
	}
	name := ""
	if ifc, err := s.r.Interface(ci.InterfaceIndex); err == nil {
		name = ifc.Name
	}
	return data, ci.Timestamp, name, nil
}

// openCapture reads a pcap or pcapng file by its magic number.
func openCapture(r io.Reader) (frameSource, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("not a capture: %v", err)
	}
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) { // pcapng section header block
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		return ngSource{ng}, nil
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, err
	}
	return pcapSource{pr}, nil
}

// replay runs every frame of the capture through the rules and prints one
// line per frame: number, time since the first frame, port, length,
// verdict, deciding rule (line and text) and reason.
func replay(rulesFile, captureFile, port string, self []netip.Prefix, out io.Writer) error {
	src, err := os.ReadFile(rulesFile)
	if err != nil {
		return err
	}
	e := filter.NewEngine(filter.Options{Self: self})
	if err := e.Load(rulesFile, src); err != nil {
		return err
	}
	def, ok := ports[port]
	if !ok {
		return fmt.Errorf("rulecheck: -port %q: not a port the rules know", port)
	}
	f, err := os.Open(captureFile)
	if err != nil {
		return err
	}
	defer f.Close()
	frames, err := openCapture(f)
	if err != nil {
		return fmt.Errorf("%s: %v", captureFile, err)
	}
	rules := e.Program().Ruleset().Rules
	w := bufio.NewWriter(out)
	defer w.Flush()
	var t0 time.Time
	counts := map[filter.Action]int{}
	for n := 1; ; n++ {
		data, ts, ifname, err := frames.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: frame %d: %v", captureFile, n, err)
		}
		if n == 1 {
			t0 = ts
		}
		name, p := port, def
		if q, ok := ports[ifname]; ok {
			name, p = ifname, q
		}
		v := e.Decide(data, filter.Meta{Port: p, Dir: filter.In, Now: ts.UnixNano()})
		counts[v.Action]++
		fmt.Fprintf(w, "%d %.6f %s %d bytes: %v", n, ts.Sub(t0).Seconds(), name, len(data), v.Action)
		if v.Rule >= 0 && int(v.Rule) < len(rules) {
			r := rules[v.Rule]
			fmt.Fprintf(w, " rule %d (line %d: %s)", v.Rule+1, r.Pos.Line, strings.TrimSpace(r.Text))
		}
		if v.State {
			fmt.Fprint(w, " state")
		}
		if v.Action != filter.Pass {
			fmt.Fprintf(w, " reason %v", v.Reason)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s: %d passed, %d dropped, %d rejected\n", captureFile, counts[filter.Pass], counts[filter.Drop], counts[filter.Reject])
	return nil
}
