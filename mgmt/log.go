// log.go serves GET /log: the event log's recent lines as text, and with
// ?follow=1 the new ones as they come, until the client goes away.

package mgmt

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/fosbury-net/fosbury/eventlog"
)

// maxFollowers bounds the /log?follow=1 streams at once: each holds a
// goroutine and a buffer.
const maxFollowers = 4

func logHandler(lg *eventlog.Log) http.HandlerFunc {
	var followers atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lines := -1
		if s := q.Get("lines"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				http.Error(w, "lines must be a number >= 0", http.StatusBadRequest)
				return
			}
			lines = n
		}
		follow := q.Get("follow") == "1"
		if follow {
			if followers.Add(1) > maxFollowers {
				followers.Add(-1)
				http.Error(w, "too many /log followers", http.StatusServiceUnavailable)
				return
			}
			defer followers.Add(-1)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		sw := newStallWriter(w)
		recs, changed := lg.Since(0, nil)
		var seq uint64 // the newest line written (or skipped)
		if len(recs) > 0 {
			seq = recs[len(recs)-1].Seq
		}
		if lines >= 0 && len(recs) > lines {
			recs = recs[len(recs)-lines:]
		}
		var out []byte
		for {
			out = out[:0]
			for i := range recs {
				out = lg.AppendText(out, &recs[i])
				seq = recs[i].Seq
			}
			if len(out) > 0 {
				if _, err := sw.Write(out); err != nil {
					return
				}
			}
			if !follow {
				return
			}
			if sw.Flush() != nil {
				return
			}
			select {
			case <-changed:
			case <-r.Context().Done():
				return
			}
			recs, changed = lg.Since(seq, recs)
		}
	}
}
