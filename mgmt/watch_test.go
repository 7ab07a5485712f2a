package mgmt

import (
	"strings"
	"testing"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/eventlog"
	"github.com/fosbury-net/fosbury/rxring"
)

func TestWatchDiff(t *testing.T) {
	lg := eventlog.New(eventlog.Options{Now: func() int64 { return 0 }, Rate: 1000, Burst: 1000})
	a, b := sampleStatus(), sampleStatus()
	diff(&a, &b, lg)
	if st := lg.Stats(); st.Lines != 0 {
		t.Fatalf("%d lines for no change", st.Lines)
	}
	b.Ports[1].Link = enet.Link{}
	b.Ports[0].Driver.RX.Errors[rxring.CRC] = 3
	b.Ports[0].Driver.BusError = 1
	b.Pool.Exhausted = 2
	b.Filter.Generation = 4
	b.Filter.ReloadErrors = 1
	diff(&a, &b, lg)
	recs, _ := lg.Since(0, nil)
	var got []string
	for i := range recs {
		got = append(got, recs[i].Sev.String()+" "+recs[i].Kind.String()+": "+recs[i].Text)
	}
	want := []string{
		"err error: lan: rx crc errors +3 (3 in all)",
		"err error: lan: MAC bus_error +1 (1 in all)",
		"warning link: wan: link down",
		"err error: page pool exhausted +2 (2 in all)",
		"notice filter: rules installed: generation 4, 2 rules",
		"err filter: rule sets refused +1 (1 in all)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
