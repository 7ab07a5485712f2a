// Formatting, on the reader's side only: a record as a line of GET /log,
// and as an RFC 5424 syslog message with structured data.

package eventlog

import (
	"net/netip"
	"strconv"

	"github.com/fosbury-net/fosbury/filter"
)

// Syslog constants. The facility is local0 (RFC 5424 6.2.1, code 16).
// The structured data IDs carry 32473, the private enterprise number
// reserved for documentation (RFC 5612), until the project has its own.
const (
	facility  = 16
	appName   = "fosbury"
	sdRule    = "rule@32473"
	sdFlow    = "flow@32473"
	rfc3339us = "2006-01-02T15:04:05.000000Z07:00"
)

// appendTime writes the wall time of mono if the wall clock is set, else
// the uptime ("+12.345678s") and reports which.
func (l *Log) appendTime(b []byte, mono int64) ([]byte, bool) {
	if t, ok := l.o.Wall(mono); ok {
		return t.AppendFormat(b, rfc3339us), true
	}
	b = append(b, '+')
	b = strconv.AppendFloat(b, float64(mono)/1e9, 'f', 6, 64)
	return append(b, 's'), false
}

// AppendText appends r as one line of GET /log, with its newline:
// "TIME SEVERITY KIND: MESSAGE".
func (l *Log) AppendText(b []byte, r *Record) []byte {
	b, _ = l.appendTime(b, r.Mono)
	b = append(b, ' ')
	b = append(b, r.Sev.String()...)
	b = append(b, ' ')
	b = append(b, r.Kind.String()...)
	b = append(b, ": "...)
	b = l.appendMessage(b, r)
	return append(b, '\n')
}

// AppendSyslog appends r as an RFC 5424 message (6: HEADER SP
// STRUCTURED-DATA [SP MSG]); the meta SD-ID carries sequenceId and
// sysUpTime (7.3). Without a wall clock the TIMESTAMP is the NILVALUE
// (6.2.3) and sysUpTime alone dates the line.
func (l *Log) AppendSyslog(b []byte, r *Record) []byte {
	b = append(b, '<')
	b = strconv.AppendUint(b, uint64(facility*8+int(r.Sev)), 10)
	b = append(b, ">1 "...)
	if t, ok := l.o.Wall(r.Mono); ok {
		b = t.AppendFormat(b, rfc3339us)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = append(b, l.o.Hostname...)
	b = append(b, " "+appName+" - "...)
	b = append(b, r.Kind.String()...)
	b = append(b, ` [meta sequenceId="`...)
	b = strconv.AppendUint(b, (r.Seq-1)%(1<<31-1)+1, 10) // 1..2147483647 (7.3.1)
	b = append(b, `" sysUpTime="`...)
	b = strconv.AppendInt(b, r.Mono/1e7, 10) // hundredths of a second (7.3.2)
	b = append(b, `"]`...)
	if r.Kind == KindRule {
		b = l.appendHitSD(b, &r.Hit)
	}
	b = append(b, ' ')
	return l.appendMessage(b, r)
}

func (l *Log) portName(p uint8) string {
	if int(p) < len(l.o.Ports) {
		return l.o.Ports[p]
	}
	return strconv.Itoa(int(p))
}

func (l *Log) appendHitSD(b []byte, h *Hit) []byte {
	b = append(b, "["+sdRule...)
	b = sdParam(b, "action", h.Action.String())
	b = sdParam(b, "port", l.portName(h.Port))
	if h.Rule >= 0 {
		b = sdInt(b, "rule", int64(h.Rule))
		if h.Line > 0 {
			b = sdInt(b, "line", int64(h.Line))
		}
	} else {
		b = append(b, ` rule="default"`...)
	}
	if h.Label != "" {
		b = sdParam(b, "label", h.Label)
	}
	if h.Reason != filter.ReasonNone && h.Reason != filter.ReasonRule {
		b = sdParam(b, "reason", h.Reason.String())
	}
	if h.State {
		b = append(b, ` state="1"`...)
	}
	b = append(b, "]["+sdFlow...)
	t := &h.Tuple
	if t.Family == 0 {
		b = append(b, ` ethertype="0x`...)
		b = strconv.AppendUint(b, uint64(t.EtherType), 16)
		b = append(b, '"')
	} else {
		b = sdParam(b, "proto", filter.ProtoName(t.Proto))
		b = append(b, ` src="`...)
		b = t.Src().AppendTo(b)
		b = append(b, `" dst="`...)
		b = t.Dst().AppendTo(b)
		b = append(b, '"')
		if t.HasPorts {
			b = sdInt(b, "sport", int64(t.SrcPort))
			b = sdInt(b, "dport", int64(t.DstPort))
		}
		if t.HasICMP {
			b = sdInt(b, "type", int64(t.ICMPType))
			b = sdInt(b, "code", int64(t.ICMPCode))
		}
	}
	if t.VLAN != 0 {
		b = sdInt(b, "vlan", int64(t.VLAN))
	}
	b = sdInt(b, "len", int64(h.Len))
	return append(b, ']')
}

// sdInt appends ` name="v"`.
func sdInt(b []byte, name string, v int64) []byte {
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, `="`...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '"')
}

// sdParam appends ` name="value"` with the escapes of RFC 5424 6.3.3.
func sdParam(b []byte, name, value string) []byte {
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, `="`...)
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '"', '\\', ']':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendMessage is the human part of a line.
func (l *Log) appendMessage(b []byte, r *Record) []byte {
	if r.Kind != KindRule {
		return appendPrintable(b, r.Text)
	}
	h := &r.Hit
	t := &h.Tuple
	b = append(b, h.Action.String()...)
	b = append(b, ' ')
	switch t.Family {
	case 0:
		b = append(b, "ethertype 0x"...)
		b = strconv.AppendUint(b, uint64(t.EtherType), 16)
	default:
		b = append(b, filter.ProtoName(t.Proto)...)
		b = append(b, ' ')
		b = appendEndpoint(b, t.Src(), t.SrcPort, t.HasPorts)
		b = append(b, " -> "...)
		b = appendEndpoint(b, t.Dst(), t.DstPort, t.HasPorts)
		if t.HasICMP {
			b = append(b, " type "...)
			b = strconv.AppendUint(b, uint64(t.ICMPType), 10)
			b = append(b, " code "...)
			b = strconv.AppendUint(b, uint64(t.ICMPCode), 10)
		}
	}
	if t.VLAN != 0 {
		b = append(b, " vlan "...)
		b = strconv.AppendUint(b, uint64(t.VLAN), 10)
	}
	b = append(b, " on "...)
	b = append(b, l.portName(h.Port)...)
	b = append(b, " len "...)
	b = strconv.AppendUint(b, uint64(h.Len), 10)
	if h.Rule < 0 {
		b = append(b, " (default policy"...)
	} else {
		b = append(b, " (rule "...)
		b = strconv.AppendInt(b, int64(h.Rule), 10)
		if h.Line > 0 {
			b = append(b, ", line "...)
			b = strconv.AppendInt(b, int64(h.Line), 10)
		}
	}
	if h.Reason != filter.ReasonNone && h.Reason != filter.ReasonRule && h.Reason != filter.ReasonDefault {
		b = append(b, ", "...)
		b = append(b, h.Reason.String()...)
	}
	if h.State {
		b = append(b, ", state"...)
	}
	if h.Label != "" {
		b = append(b, `, "`...)
		b = appendPrintable(b, h.Label)
		b = append(b, '"')
	}
	return append(b, ')')
}

func appendEndpoint(b []byte, a netip.Addr, port uint16, hasPort bool) []byte {
	if !hasPort {
		return a.AppendTo(b)
	}
	if a.Is6() {
		b = append(b, '[')
		b = a.AppendTo(b)
		b = append(b, ']')
	} else {
		b = a.AppendTo(b)
	}
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(port), 10)
}

// appendPrintable keeps a line one line: control bytes become '?'.
func appendPrintable(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = '?'
		}
		b = append(b, c)
	}
	return b
}

func dropText(n, rateLimited, overflow uint64) string {
	return strconv.FormatUint(n, 10) + " lines dropped since the last report (" +
		strconv.FormatUint(rateLimited, 10) + " by the rate limit, " +
		strconv.FormatUint(overflow, 10) + " with the reader behind, in all)"
}
