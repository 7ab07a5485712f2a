// Package rfc5424 parses syslog messages in the RFC 5424 format, strictly:
// the tests' collector uses it to check what the appliance sends. It is
// host-side test support, not part of the firmware.
package rfc5424

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Message is one parsed syslog message.
type Message struct {
	Facility, Severity int
	Timestamp          time.Time // zero for the NILVALUE
	Hostname, AppName  string
	ProcID, MsgID      string
	SD                 map[string]map[string]string // SD-ID -> PARAM-NAME -> value
	SDOrder            []string                     // SD-IDs in message order
	Msg                string
}

// Parse reads one message (RFC 5424 6).
func Parse(b []byte) (*Message, error) {
	s := string(b)
	m := &Message{SD: map[string]map[string]string{}}
	if !strings.HasPrefix(s, "<") {
		return nil, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return nil, errors.New("bad PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri > 191 || (len(s[1:end]) > 1 && s[1] == '0') {
		return nil, fmt.Errorf("bad PRI %q", s[1:end])
	}
	m.Facility, m.Severity = pri/8, pri%8
	s = s[end+1:]
	if !strings.HasPrefix(s, "1 ") {
		return nil, errors.New("VERSION is not 1")
	}
	s = s[2:]
	var fields [5]string
	for i := range fields {
		j := strings.IndexByte(s, ' ')
		if j <= 0 {
			return nil, fmt.Errorf("header field %d missing", i)
		}
		fields[i], s = s[:j], s[j+1:]
		for _, c := range []byte(fields[i]) {
			if c < 33 || c > 126 {
				return nil, fmt.Errorf("header field %d has byte %#x", i, c)
			}
		}
	}
	if fields[0] != "-" {
		if m.Timestamp, err = time.Parse(time.RFC3339Nano, fields[0]); err != nil {
			return nil, fmt.Errorf("TIMESTAMP: %v", err)
		}
	}
	m.Hostname, m.AppName, m.ProcID, m.MsgID = fields[1], fields[2], fields[3], fields[4]
	for i, max := range []int{255, 48, 128, 32} {
		if len(fields[i+1]) > max {
			return nil, fmt.Errorf("header field %d longer than %d", i+1, max)
		}
	}
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	} else {
		for strings.HasPrefix(s, "[") {
			var err error
			if s, err = m.element(s[1:]); err != nil {
				return nil, err
			}
		}
		if len(m.SDOrder) == 0 {
			return nil, errors.New("no STRUCTURED-DATA")
		}
	}
	if s != "" {
		if s[0] != ' ' {
			return nil, errors.New("no SP before MSG")
		}
		m.Msg = s[1:]
	}
	return m, nil
}

// element parses one SD-ELEMENT after its '['.
func (m *Message) element(s string) (string, error) {
	j := strings.IndexAny(s, " ]")
	if j <= 0 {
		return "", errors.New("bad SD-ID")
	}
	id := s[:j]
	if _, dup := m.SD[id]; dup {
		return "", fmt.Errorf("SD-ID %s twice", id)
	}
	params := map[string]string{}
	m.SD[id], m.SDOrder = params, append(m.SDOrder, id)
	s = s[j:]
	for strings.HasPrefix(s, " ") {
		s = s[1:]
		eq := strings.Index(s, `="`)
		if eq <= 0 {
			return "", fmt.Errorf("SD-PARAM in %s without a value", id)
		}
		name := s[:eq]
		s = s[eq+2:]
		var v strings.Builder
		for {
			if s == "" {
				return "", fmt.Errorf("unterminated value of %s", name)
			}
			c := s[0]
			s = s[1:]
			if c == '\\' && s != "" && (s[0] == '"' || s[0] == '\\' || s[0] == ']') {
				v.WriteByte(s[0])
				s = s[1:]
				continue
			}
			if c == '"' {
				break
			}
			if c == ']' {
				return "", fmt.Errorf("unescaped ] in the value of %s", name)
			}
			v.WriteByte(c)
		}
		params[name] = v.String()
	}
	if !strings.HasPrefix(s, "]") {
		return "", fmt.Errorf("SD-ELEMENT %s not closed", id)
	}
	return s[1:], nil
}
