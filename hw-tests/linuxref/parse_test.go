//go:build linux

package linuxref

import (
	"strings"
	"testing"
	"time"
)

// snapOutput is what the guest's snap printed once (Linux 6.1.192).
const snapOutput = `now at 17243493712680 nsecs
  .idle_sleeptime : 17239948021010 nsecs
   wan:       0       7    0    2    1     0          0         0       54       1    0    0    0     0       0          0
   lan:12345678901  100003    0    0    0     0          0         0     5400  100001    0    0    0     0       0          0
201:          1       GPC 120 Level     20b4000.ethernet
202:          0       GPC 121 Level     20b4000.ethernet
203:      98765       GPC 118 Level     2188000.ethernet
204:          0       GPC 119 Level     2188000.ethernet
 25:      24471       GPC  55 Level     i.MX Timer Tick`

func TestParseSnap(t *testing.T) {
	s, err := parseSnap(strings.Split(snapOutput, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Guest != 17243493712680*time.Nanosecond || s.Idle != 17239948021010*time.Nanosecond {
		t.Errorf("clock %d idle %d", s.Guest, s.Idle)
	}
	if s.RX != [2]uint64{100003, 7} || s.TX != [2]uint64{100001, 1} || s.RXDropped != [2]uint64{0, 3} {
		t.Errorf("rx %v tx %v dropped %v", s.RX, s.TX, s.RXDropped)
	}
	if s.IRQ != 98766 || s.TimerIRQ != 24471 {
		t.Errorf("irq %d timer %d", s.IRQ, s.TimerIRQ)
	}
}

func TestParseSnapRejects(t *testing.T) {
	lines := strings.Split(snapOutput, "\n")
	cases := map[string][]string{
		"no clock":        lines[1:],
		"no idle":         append([]string{lines[0]}, lines[2:]...),
		"no wan":          append(append([]string{}, lines[:2]...), lines[3:]...),
		"two CPUs":        append([]string{lines[1]}, lines...),
		"short counters":  {lines[0], lines[1], "   wan: 1 2 3", lines[3]},
		"bad number":      {lines[0], lines[1], lines[2], strings.Replace(lines[3], "100003", "1x0003", 1)},
		"stray line":      append([]string{"Segmentation fault"}, lines...),
		"idle over clock": {"now at 5 nsecs", "  .idle_sleeptime : 6 nsecs", lines[2], lines[3]},
		"bad irq":         append([]string{"x:  y  GPC 120 Level 20b4000.ethernet"}, lines...),
	}
	for name, c := range cases {
		if _, err := parseSnap(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseSnap(f *testing.F) {
	f.Add(snapOutput)
	f.Add("now at 1 nsecs\n.idle_sleeptime : 0 nsecs\nlan: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nwan: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseSnap(strings.Split(text, "\n"))
		if err == nil && (s.Idle > s.Guest || s.Guest < 0) {
			t.Fatalf("accepted an impossible sample %+v", s)
		}
	})
}
