//go:build linux

package linuxref

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/hw-tests/netbench"
)

// portNames are the guest's interfaces in netbench.Sample's port order.
var portNames = [2]string{"lan", "wan"}

// parseSnap reads what the init's snap function prints, in the kernel's
// own formats: from /proc/timer_list the lines "now at N nsecs" and
// ".idle_sleeptime : N nsecs" (one per CPU; this machine has one), from
// /proc/net/dev the lines of lan and wan, from /proc/interrupts those of
// the two MACs and of the timer (i.MX GPT, "i.MX Timer Tick"). The guest is ours but its output is still checked: a
// missing or mangled field is an error, never a zero.
func parseSnap(lines []string) (netbench.Sample, error) {
	var s netbench.Sample
	var haveNow, haveIdle bool
	var havePort [2]bool
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case strings.HasPrefix(l, "now at "):
			ns, err := nsecs(f[2:])
			if err != nil || haveNow {
				return s, fmt.Errorf("linuxref: bad or repeated clock line %q", l)
			}
			s.Guest, haveNow = ns, true
		case f[0] == ".idle_sleeptime":
			// "  .idle_sleeptime : 123 nsecs" (the name padded to 15)
			ns, err := nsecs(f[1:])
			if err != nil {
				return s, fmt.Errorf("linuxref: bad idle line %q", l)
			}
			if haveIdle {
				return s, fmt.Errorf("linuxref: more than one CPU's idle time (%q): per-frame cost is defined for one CPU", l)
			}
			s.Idle, haveIdle = ns, true
		case strings.HasSuffix(l, ".ethernet") || strings.HasSuffix(l, "Timer Tick"):
			// "201:   17   GPC 120 Level   2188000.ethernet": one CPU column.
			if !strings.HasSuffix(f[0], ":") || len(f) < 3 {
				return s, fmt.Errorf("linuxref: bad interrupt line %q", l)
			}
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return s, fmt.Errorf("linuxref: bad interrupt line %q", l)
			}
			if strings.HasSuffix(l, "Timer Tick") {
				s.TimerIRQ += n
			} else {
				s.IRQ += n
			}
		default:
			name, counters, ok := strings.Cut(l, ":")
			i := slices.Index(portNames[:], strings.TrimSpace(name))
			if !ok || i < 0 {
				return s, fmt.Errorf("linuxref: unexpected line %q", l)
			}
			c := strings.Fields(counters)
			if len(c) != 16 || havePort[i] {
				return s, fmt.Errorf("linuxref: bad or repeated /proc/net/dev line %q", l)
			}
			var v [16]uint64
			for j := range c {
				var err error
				if v[j], err = strconv.ParseUint(c[j], 10, 64); err != nil {
					return s, fmt.Errorf("linuxref: bad /proc/net/dev line %q", l)
				}
			}
			// receive: bytes packets errs drop fifo ...; transmit from 8.
			s.RX[i], s.RXDropped[i], s.TX[i] = v[1], v[3]+v[4], v[9]
			havePort[i] = true
		}
	}
	if !haveNow || !haveIdle || !havePort[0] || !havePort[1] {
		return s, fmt.Errorf("linuxref: incomplete sample (clock %v, idle %v, lan %v, wan %v)", haveNow, haveIdle, havePort[0], havePort[1])
	}
	if s.Idle > s.Guest {
		return s, fmt.Errorf("linuxref: idle time %v exceeds the clock %v", s.Idle, s.Guest)
	}
	return s, nil
}

// nsecs reads ": N nsecs" or "N nsecs".
func nsecs(f []string) (time.Duration, error) {
	if len(f) == 3 && f[0] == ":" {
		f = f[1:]
	}
	if len(f) != 2 || f[1] != "nsecs" {
		return 0, fmt.Errorf("want N nsecs, got %q", f)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want N nsecs, got %q", f)
	}
	return time.Duration(n), nil
}
