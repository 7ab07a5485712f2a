// stream.go owns what long responses share (/pattern, /log?follow=1,
// /capture): a write deadline that moves with progress, so the server's
// WriteTimeout bounds only a stalled client, never a long transfer.

package mgmt

import (
	"net/http"
	"time"
)

// writeStall is how long a streaming client may take to accept a write.
const writeStall = 10 * time.Second

// stallWriter extends the connection's write deadline before a write once
// the previous extension is half used, and flushes on request.
type stallWriter struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	next time.Time // when to extend again
}

func newStallWriter(w http.ResponseWriter) *stallWriter {
	return &stallWriter{w: w, rc: http.NewResponseController(w)}
}

func (s *stallWriter) Write(b []byte) (int, error) {
	if now := time.Now(); !now.Before(s.next) {
		s.rc.SetWriteDeadline(now.Add(writeStall))
		s.next = now.Add(writeStall / 2)
	}
	return s.w.Write(b)
}

// Flush sends what is buffered to the client.
func (s *stallWriter) Flush() error {
	if now := time.Now(); !now.Before(s.next) {
		s.rc.SetWriteDeadline(now.Add(writeStall))
		s.next = now.Add(writeStall / 2)
	}
	return s.rc.Flush()
}
