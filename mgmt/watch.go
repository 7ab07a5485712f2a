// watch.go turns changes of the counters into log lines: link changes,
// rules installed or refused, and error counters that moved. It reads
// the same Status as /status once per period, so no layer needs a hook
// on its own path, and a burst of errors costs one line per counter per
// period.

package mgmt

import (
	"strconv"
	"time"

	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/rxring"
)

// errorCounter is one counter whose movement is an error worth a line.
type errorCounter struct {
	name string
	get  func(*Status, int) uint64 // port index, -1 for the global ones
}

// portErrors are every port's error counters (rx errors by class are
// added at init).
var portErrors = []errorCounter{
	{"rx refill failed (no free page)", func(s *Status, i int) uint64 { return s.Ports[i].Driver.RX.RefillFail }},
	{"tx errors", func(s *Status, i int) uint64 { return s.Ports[i].Driver.TX.TxErrors }},
	{"tx refused (no free page)", func(s *Status, i int) uint64 { return s.Ports[i].Driver.TX.NoPage }},
	{"MAC restart failures", func(s *Status, i int) uint64 { return s.Ports[i].Driver.RestartFailures }},
	{"MDIO timeouts", func(s *Status, i int) uint64 { return s.Ports[i].Driver.MDIOTimeouts }},
}

var globalErrors = []errorCounter{
	{"page pool exhausted", func(s *Status, _ int) uint64 { return s.Pool.Exhausted }},
	{"page pool bad unref", func(s *Status, _ int) uint64 { return s.Pool.BadUnref }},
	{"forwards refused by a TX ring", func(s *Status, _ int) uint64 { return s.Datapath.ForwardErrors }},
	{"reject replies not sent", func(s *Status, _ int) uint64 { return s.Datapath.RejectErrors }},
}

func init() {
	for c := rxring.OK + 1; c < rxring.NumClasses; c++ {
		portErrors = append(portErrors, errorCounter{"rx " + c.String() + " errors",
			func(s *Status, i int) uint64 { return s.Ports[i].Driver.RX.Errors[c] }})
	}
	for _, e := range macErrors {
		portErrors = append(portErrors, errorCounter{"MAC " + e.class,
			func(s *Status, i int) uint64 { return e.get(&s.Ports[i].Driver) }})
	}
}

// Watch compares the Status collect fills every period with the previous
// one and logs what changed, until stop is closed.
func Watch(stop <-chan struct{}, every time.Duration, collect func(*Status), lg *eventlog.Log) {
	var prev, cur Status
	collect(&prev)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ports, rules := cur.Ports[:0], cur.Filter.Rules[:0]
		cur = Status{Ports: ports}
		cur.Filter.Rules = rules
		collect(&cur)
		diff(&prev, &cur, lg)
		prev, cur = cur, prev
	}
}

// diff logs what moved from a to b.
func diff(a, b *Status, lg *eventlog.Log) {
	for i := range b.Ports {
		if i >= len(a.Ports) {
			break
		}
		if pa, pb := &a.Ports[i], &b.Ports[i]; pa.Link != pb.Link {
			sev := eventlog.Notice
			if !pb.Link.Up {
				sev = eventlog.Warning
			}
			lg.Event(sev, eventlog.KindLink, pb.Name+": link "+pb.Link.String())
		}
		for _, e := range portErrors {
			if va, vb := e.get(a, i), e.get(b, i); vb > va {
				lg.Event(eventlog.Error, eventlog.KindError, b.Ports[i].Name+": "+moved(e.name, va, vb))
			}
		}
	}
	for _, e := range globalErrors {
		if va, vb := e.get(a, -1), e.get(b, -1); vb > va {
			lg.Event(eventlog.Error, eventlog.KindError, moved(e.name, va, vb))
		}
	}
	fa, fb := &a.Filter, &b.Filter
	if fb.Generation != fa.Generation {
		lg.Event(eventlog.Notice, eventlog.KindFilter, "rules installed: generation "+strconv.FormatUint(uint64(fb.Generation), 10)+
			", "+strconv.Itoa(len(fb.Rules))+" rules")
	}
	if fb.ReloadErrors > fa.ReloadErrors {
		lg.Event(eventlog.Error, eventlog.KindFilter, moved("rule sets refused", fa.ReloadErrors, fb.ReloadErrors))
	}
}

func moved(name string, a, b uint64) string {
	return name + " +" + strconv.FormatUint(b-a, 10) + " (" + strconv.FormatUint(b, 10) + " in all)"
}
