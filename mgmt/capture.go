// capture.go serves GET /capture: the query selects ports, count,
// duration, a match expression in the rule language, verdicts, snap
// length and format; the response is the capture file, streamed as the
// frames come. Bad input gets 400 (a match expression's error with its
// position), a second capture while one runs 409.

package mgmt

import (
	"bufio"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fosbury-net/fosbury/capture"
)

// Defaults of a capture when the query does not say.
const (
	captureCount   = 1000
	captureSeconds = 60
)

// captureConfig reads the query; the error is the 400's text.
func captureConfig(o Options, r *http.Request) (capture.Config, error) {
	q := r.URL.Query()
	cfg := capture.Config{Count: captureCount, Duration: captureSeconds * time.Second}
	for key := range q {
		switch key {
		case "port", "count", "seconds", "match", "verdict", "snap", "format":
		default:
			return cfg, errors.New("unknown parameter " + strconv.Quote(key) + "; known: port, count, seconds, match, verdict, snap, format")
		}
	}
	if s := q.Get("port"); s != "" {
		for _, name := range strings.Split(s, ",") {
			i := indexOf(o.Ports, name)
			if i < 0 {
				return cfg, errors.New("unknown port " + strconv.Quote(name) + "; ports are " + strings.Join(o.Ports, ", "))
			}
			cfg.Ports |= 1 << i
		}
	}
	num := func(key string, lo, hi int, dst *int) error {
		s := q.Get(key)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return errors.New(key + " must be " + strconv.Itoa(lo) + ".." + strconv.Itoa(hi))
		}
		*dst = n
		return nil
	}
	secs := captureSeconds
	if err := errors.Join(num("count", 1, capture.MaxCount, &cfg.Count),
		num("seconds", 1, int(capture.MaxDuration/time.Second), &secs),
		num("snap", capture.MinSnap, capture.DefaultSnap, &cfg.Snap)); err != nil {
		return cfg, err
	}
	cfg.Duration = time.Duration(secs) * time.Second
	switch q.Get("verdict") {
	case "", "any":
	case "drop":
		cfg.Verdicts = capture.Dropped
	case "pass":
		cfg.Verdicts = capture.Passed
	default:
		return cfg, errors.New("verdict must be any, drop or pass")
	}
	switch q.Get("format") {
	case "", "pcap":
	case "pcapng":
		cfg.Format = capture.PCAPNG
	default:
		return cfg, errors.New("format must be pcap or pcapng")
	}
	if expr := q.Get("match"); expr != "" {
		m, err := o.Filter.CompileMatch(expr)
		if err != nil {
			return cfg, err
		}
		cfg.Match = m
	}
	return cfg, nil
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name && i < 8 {
			return i
		}
	}
	return -1
}

// captureBuffer gathers capture records before they reach the connection.
const captureBuffer = 16 << 10

// lostTrailer tells a client how many selected frames the capture lost.
const lostTrailer = "Fosbury-Capture-Lost"

func captureHandler(o Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg, err := captureConfig(o, r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s, err := o.Capture.Start(cfg)
		if errors.Is(err, capture.ErrBusy) {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h := w.Header()
		h.Set("Trailer", lostTrailer)
		if cfg.Format == capture.PCAPNG {
			h.Set("Content-Type", "application/x-pcapng")
			h.Set("Content-Disposition", `attachment; filename="fosbury.pcapng"`)
		} else {
			h.Set("Content-Type", "application/vnd.tcpdump.pcap")
			h.Set("Content-Disposition", `attachment; filename="fosbury.pcap"`)
		}
		// Records are small (a header and a frame): they gather in one
		// buffer, so the connection sees a write per 16 KiB, not two per
		// frame.
		sw := newStallWriter(w)
		bw := bufio.NewWriterSize(sw, captureBuffer)
		res, _ := s.Stream(r.Context(), bw, func() error {
			if err := bw.Flush(); err != nil {
				return err
			}
			return sw.Flush()
		})
		h.Set(lostTrailer, strconv.FormatUint(res.Lost, 10))
	}
}
