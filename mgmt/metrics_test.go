// /metrics: the Prometheus project's own parser reads it; every field of
// Status moves a sample under a conventional name; a scrape allocates
// nothing of its own.

package mgmt

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/enet"
	"github.com/fosbury-net/fosbury/filter"
	"github.com/fosbury-net/fosbury/health"
	"github.com/fosbury-net/fosbury/internal/promtest"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	dto "github.com/prometheus/client_model/go"
)

func parseMetrics(t *testing.T, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := promtest.Parse(b)
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, b)
	}
	return fams
}

// sampleStatus has two ports and two rules, every field set.
func sampleStatus() Status {
	st := Status{Version: "v1.2", UptimeSeconds: 12.5}
	for _, name := range []string{"lan", "wan"} {
		st.Ports = append(st.Ports, PortStatus{Name: name, MAC: "52:54:00:12:34:56", Link: enet.Link{Up: true, Speed: 100, FullDuplex: true}})
	}
	st.Filter.Rules = []filter.RuleCounters{{Line: 3, Text: "pass", Packets: 1, Bytes: 2}, {Line: 7, Text: "drop", Label: `a "b"\`, Packets: 3}}
	st.CPU.UptimeNS, st.CPU.IdleNS = 10e9, 4e9
	at := time.Unix(1800000000, 0)
	st.Clock.LastSync = &at
	st.Clock.Server = netip.MustParseAddrPort("10.0.2.2:123")
	r1, r2, r3 := at.Add(time.Hour), at.Add(2*time.Hour), at.Add(3*time.Hour)
	st.Ports[0].DHCP = &dhcp.Status{State: "bound", Address: netip.MustParsePrefix("10.0.2.15/24"), Server: netip.MustParseAddr("10.0.2.2"),
		Router: netip.MustParseAddr("10.0.2.2"), NTP: []netip.Addr{netip.MustParseAddr("10.0.2.3")}, Renew: &r1, Rebind: &r2, Expires: &r3}
	st.Watchdog.Sources = []health.SourceStatus{{Name: "poll", AnsweredAgo: 0.5, Fresh: true}, {Name: "mgmt", AnsweredAgo: 1}}
	return st
}

func TestMetricsParseFamiliesTypesLabels(t *testing.T) {
	st := sampleStatus()
	fams := parseMetrics(t, appendMetrics(nil, &st))
	allowed := map[string]bool{"port": true, "class": true, "verdict": true, "reason": true, "rule": true, "line": true,
		"label": true, "proto": true, "version": true, "goversion": true, "mac": true, "mode": true, "result": true,
		"cause": true, "src_srsr": true, "wdog1_wrsr": true, "source": true, "server": true, "state": true, "address": true,
		"router": true}
	for name, f := range fams {
		if !strings.HasPrefix(name, "fosbury_") || f.GetHelp() == "" {
			t.Errorf("%s: no fosbury_ prefix or no HELP", name)
		}
		isCounter := f.GetType() == dto.MetricType_COUNTER
		if isCounter != strings.HasSuffix(name, "_total") {
			t.Errorf("%s: type %v, but counters and only counters end in _total", name, f.GetType())
		}
		if !isCounter && f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: type %v", name, f.GetType())
		}
		// One label set per family, from the shared vocabulary.
		var set string
		for i, m := range f.Metric {
			var names []string
			for _, l := range m.Label {
				if !allowed[l.GetName()] {
					t.Errorf("%s: label %q", name, l.GetName())
				}
				names = append(names, l.GetName())
			}
			sort.Strings(names)
			if s := strings.Join(names, ","); i == 0 {
				set = s
			} else if s != set {
				t.Errorf("%s: label sets %q and %q", name, set, s)
			}
		}
	}
	for name, labels := range map[string]string{
		"fosbury_rx_frames_total": "port", "fosbury_rx_errors_total": "class,port", "fosbury_mac_errors_total": "class,port",
		"fosbury_rx_verdicts_total": "port,verdict", "fosbury_tx_refused_total": "port,reason",
		"fosbury_filter_rule_packets_total": "label,line,rule", "fosbury_filter_verdicts_total": "verdict",
		"fosbury_filter_drops_total": "reason", "fosbury_conntrack_states": "proto", "fosbury_log_dropped_total": "reason",
		"fosbury_uptime_seconds": "", "fosbury_poll_busy_seconds_total": "", "fosbury_build_info": "goversion,version",
		"fosbury_cpu_seconds_total": "mode", "fosbury_auth_requests_total": "result", "fosbury_watchdog_source_fresh": "source",
	} {
		f := fams[name]
		if f == nil || len(f.Metric) == 0 {
			t.Errorf("family %s missing", name)
			continue
		}
		var names []string
		for _, l := range f.Metric[0].Label {
			names = append(names, l.GetName())
		}
		sort.Strings(names)
		if got := strings.Join(names, ","); got != labels {
			t.Errorf("%s: labels %q, want %q", name, got, labels)
		}
	}
	if n := len(fams["fosbury_rx_frames_total"].Metric); n != 2 {
		t.Errorf("%d ports in fosbury_rx_frames_total", n)
	}
	r := fams["fosbury_filter_rule_packets_total"].Metric[1]
	if v := labelOf(r, "label"); v != `a "b"\` || labelOf(r, "rule") != "1" || labelOf(r, "line") != "7" || r.Counter.GetValue() != 3 {
		t.Errorf("rule 1: %v", r)
	}
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

var samples = promtest.Samples

// leaf is one field of Status reached by reflection, with its path.
type leaf struct {
	path string
	v    reflect.Value
}

// textual are values of a type with its own text form, perturbed whole.
var textual = map[reflect.Type]func(reflect.Value){
	reflect.TypeOf(time.Time{}):  func(v reflect.Value) { v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour))) },
	reflect.TypeOf(netip.Addr{}): func(v reflect.Value) { v.Set(reflect.ValueOf(v.Interface().(netip.Addr).Next())) },
	reflect.TypeOf(netip.Prefix{}): func(v reflect.Value) {
		p := v.Interface().(netip.Prefix)
		v.Set(reflect.ValueOf(netip.PrefixFrom(p.Addr().Next(), p.Bits())))
	},
	reflect.TypeOf(netip.AddrPort{}): func(v reflect.Value) {
		ap := v.Interface().(netip.AddrPort)
		v.Set(reflect.ValueOf(netip.AddrPortFrom(ap.Addr(), ap.Port()+1)))
	},
}

func leaves(v reflect.Value, path string, out *[]leaf) {
	if _, ok := textual[v.Type()]; ok {
		*out = append(*out, leaf{path, v})
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			leaves(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			p := path + "." + f.Name
			if f.Anonymous {
				p = path
			}
			leaves(v.Field(i), p, out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			leaves(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		*out = append(*out, leaf{path, v})
	}
}

// notRendered are fields /metrics leaves to /status, each with the reason.
var notRendered = map[string]string{
	".Ports[0].Driver.RX.Errors[0]": "class OK is never counted",
	".Ports[1].Driver.RX.Errors[0]": "class OK is never counted",
	".Filter.Reasons[0]":            "reason none is never counted",
	".Filter.Rules[0].Text":         "the rule's text: metrics name rules by number, line and label",
	".Filter.Rules[1].Text":         "the rule's text: metrics name rules by number, line and label",
	".Clock.LastError":              "an error's text, for /status",
}

// Every field of Status, perturbed on its own, changes some sample: a
// counter added to a layer's Stats cannot silently miss /metrics. Each
// unsigned counter must land in a counter family (ending in _total),
// bytes in a _bytes family, nanoseconds in _seconds.
func TestEveryStatusFieldIsInMetrics(t *testing.T) {
	base := sampleStatus()
	var ls []leaf
	leaves(reflect.ValueOf(&base).Elem(), "", &ls)
	before := samples(parseMetrics(t, appendMetrics(nil, &base)))
	checked := 0
	for i, l := range ls {
		if _, ok := notRendered[l.path]; ok {
			continue
		}
		st := sampleStatus()
		var mine []leaf
		leaves(reflect.ValueOf(&st).Elem(), "", &mine)
		f := mine[i].v
		if perturb, ok := textual[f.Type()]; ok {
			perturb(f)
		} else {
			switch f.Kind() {
			case reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
				f.SetUint(f.Uint() + 7)
			case reflect.Int, reflect.Int32, reflect.Int64:
				f.SetInt(f.Int() + 7)
			case reflect.Float64:
				f.SetFloat(f.Float() + 7)
			case reflect.Bool:
				f.SetBool(!f.Bool())
			case reflect.String:
				f.SetString(f.String() + "x")
			default:
				t.Fatalf("%s: kind %v not handled", l.path, f.Kind())
			}
		}
		after := samples(parseMetrics(t, appendMetrics(nil, &st)))
		var changed []string
		for k, v := range after {
			if w, ok := before[k]; !ok || w != v {
				changed = append(changed, k)
			}
		}
		if len(changed) == 0 {
			t.Errorf("%s: no sample of /metrics changed", l.path)
			continue
		}
		checked++
		fam := changed[0][:strings.IndexByte(changed[0], '{')]
		field := l.path[strings.LastIndexByte(l.path, '.')+1:]
		switch {
		case f.Kind() == reflect.Uint64 && !strings.HasSuffix(fam, "_total"):
			t.Errorf("%s (a uint64 counter) is in %s, not a _total counter", l.path, fam)
		case strings.HasSuffix(field, "Bytes") && !strings.Contains(fam, "_bytes"):
			t.Errorf("%s is in %s, which does not say _bytes", l.path, fam)
		case strings.HasSuffix(field, "NS") && !strings.Contains(fam, "_seconds"):
			t.Errorf("%s is in %s, which does not say _seconds", l.path, fam)
		}
	}
	if checked < 150 {
		t.Fatalf("only %d fields checked", checked)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t0 := time.Unix(1000, 0)
	h := Handler(Options{Version: "v", Started: t0, Now: func() time.Time { return t0.Add(3 * time.Second) },
		Collect: func(s *Status) {
			s.Ports = append(s.Ports, PortStatus{Name: "lan"})
			s.Ports[0].Driver.RX.Frames = 42
		}})
	for range 2 { // the second scrape reuses the first one's storage
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != metricsContentType {
			t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		s := samples(parseMetrics(t, rec.Body.Bytes()))
		if s["fosbury_rx_frames_total{port=lan}"] != 42 || s["fosbury_uptime_seconds{}"] != 3 {
			t.Fatalf("samples %v", s)
		}
	}
}

func TestRenderAllocatesNothing(t *testing.T) {
	st := sampleStatus()
	buf := appendMetrics(nil, &st)
	if n := testing.AllocsPerRun(20, func() { buf = appendMetrics(buf[:0], &st) }); n != 0 {
		t.Fatalf("%v allocations per render", n)
	}
}
