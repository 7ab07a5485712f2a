// TCP connection tracking: per-peer sequence state, a loose window check
// in the manner of Guido van Rooij's "Real Stateful TCP Packet Filtering in
// IP Filter" (as used by pf), and the connection state that picks timeouts.

package filter

const (
	peerNone     uint8 = iota
	peerSynSent        // SYN sent, not yet acknowledged
	peerOpen           // its SYN was acknowledged
	peerFinSent        // FIN sent, not yet acknowledged
	peerFinAcked       // FIN acknowledged: this side is done
)

// maxAckWindow is how far behind the newest data an ACK may lag and still
// be plausible (pf uses 65535 + 1500).
const maxAckWindow = 65535 + 1500

// seqSlack loosens the upper edge of the window: zero-window probes and
// window updates in flight must not be dropped.
const seqSlack = 65535

type tcpPeer struct {
	end    uint32 // highest seq+len sent
	limit  uint32 // highest seq the other side allowed (its ack+window)
	maxWin uint32 // largest window advertised, scaled
	scale  uint8
	state  uint8
	// limitSet: the other side acked at least once, so limit is meaningful.
	limitSet bool
}

type tcpState struct {
	peer  [2]tcpPeer // 0: originator, 1: responder
	reset bool
	loose bool // picked up mid-stream (not from a SYN): no window checks
}

func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }
func seqMax(a, b uint32) uint32 {
	if seqLT(a, b) {
		return b
	}
	return a
}

func segEnd(p *pkt) uint32 {
	end := p.seq + uint32(p.payload)
	if p.tcpFlags&flagSYN != 0 {
		end++
	}
	if p.tcpFlags&flagFIN != 0 {
		end++
	}
	return end
}

// init starts tracking from the packet that created the state.
func (t *tcpState) init(p *pkt) {
	*t = tcpState{}
	o := &t.peer[0]
	o.end = segEnd(p)
	o.maxWin = uint32(p.win)
	if p.tcpFlags&flagSYN != 0 && p.tcpFlags&flagACK == 0 {
		o.state = peerSynSent
		o.scale = p.wscale // kept as "offered" until the SYN-ACK answers
		if o.maxWin == 0 {
			o.maxWin = 1
		}
		return
	}
	t.loose = true
	o.state = peerOpen
	t.peer[1].state = peerOpen
}

// update checks a segment against the state (dir 0: from the originator)
// and advances it. It returns false for a segment the state does not
// allow; the state is then unchanged.
func (t *tcpState) update(p *pkt, dir int) bool {
	src, dst := &t.peer[dir], &t.peer[1-dir]
	fl := p.tcpFlags
	end := segEnd(p)
	if t.loose {
		t.advanceFlags(p, src, dst, end)
		return true
	}
	if fl&flagSYN != 0 {
		if dir == 0 {
			// A retransmitted SYN must repeat the first one.
			return fl&flagACK == 0 && src.state == peerSynSent && end == src.end
		}
		// SYN-ACK: must acknowledge the originator's SYN.
		if fl&flagACK == 0 || p.ack != dst.end || dst.state != peerSynSent && dst.state != peerOpen {
			return false
		}
		if src.state == peerNone {
			src.end = end
			src.maxWin = uint32(p.win)
			if src.maxWin == 0 {
				src.maxWin = 1
			}
			src.state = peerSynSent
			// Window scaling applies only when both SYNs offered it
			// (RFC 7323 2.2).
			if p.wscale != noWindScale && dst.scale != noWindScale {
				src.scale = p.wscale
			} else {
				src.scale, dst.scale = 0, 0
			}
		} else if end != src.end {
			return false
		}
		t.ack(p, src, dst)
		return true
	}
	if src.state == peerNone {
		// The responder has not answered the SYN yet: only a RST that
		// acknowledges it ("connection refused") is plausible.
		if fl&flagRST != 0 && fl&flagACK != 0 && p.ack == dst.end {
			t.reset = true
			return true
		}
		return false
	}
	// Sequence: not past what dst allowed (plus slack), not more than a
	// window behind what src already sent (retransmissions).
	if src.limitSet && !seqLEQ(end, src.limit+seqSlack) {
		return false
	}
	if !seqLEQ(src.end-dst.maxWin-seqSlack, p.seq) {
		return false
	}
	if fl&flagACK != 0 {
		// An ACK may not acknowledge data never sent, nor lag absurdly:
		// dst's data in flight is bounded by the window src (its
		// receiver) advertised, not by dst's own window.
		if !seqLEQ(p.ack, dst.end) || !seqLEQ(dst.end-maxAckWindow-src.maxWin, p.ack) {
			return false
		}
	}
	if fl&flagRST != 0 {
		t.reset = true
		return true
	}
	src.end = seqMax(src.end, end)
	t.ack(p, src, dst)
	t.advanceFlags(p, src, dst, end)
	return true
}

// ack records what src's ACK tells about dst: how far dst may send, and
// whether dst's SYN or FIN is now acknowledged.
func (t *tcpState) ack(p *pkt, src, dst *tcpPeer) {
	win := uint32(p.win)
	if p.tcpFlags&flagSYN == 0 && src.scale != noWindScale {
		win <<= src.scale
	}
	if win > src.maxWin {
		src.maxWin = win
	}
	if p.tcpFlags&flagACK == 0 {
		return
	}
	edge := p.ack + win
	if !dst.limitSet || seqLT(dst.limit, edge) {
		dst.limit, dst.limitSet = edge, true
	}
	if seqLEQ(dst.end, p.ack) {
		switch dst.state {
		case peerSynSent:
			dst.state = peerOpen
		case peerFinSent:
			dst.state = peerFinAcked
		}
	}
}

func (t *tcpState) advanceFlags(p *pkt, src, dst *tcpPeer, end uint32) {
	if p.tcpFlags&flagRST != 0 {
		t.reset = true
		return
	}
	if p.tcpFlags&flagFIN != 0 && src.state < peerFinSent {
		src.state = peerFinSent
		if t.loose {
			src.end = end
		}
	}
	if t.loose && p.tcpFlags&flagACK != 0 && dst.state == peerFinSent {
		dst.state = peerFinAcked
	}
}

// closed reports a connection that a new SYN may replace.
func (t *tcpState) closed() bool {
	return t.reset || t.peer[0].state == peerFinAcked && t.peer[1].state == peerFinAcked
}

func (t *tcpState) established() bool {
	return t.peer[0].state >= peerOpen && t.peer[1].state >= peerOpen
}

func (t *tcpState) timeout(to *Timeouts) int64 {
	switch {
	case t.closed():
		return int64(to.TCPClosed)
	case t.peer[0].state >= peerFinSent || t.peer[1].state >= peerFinSent:
		return int64(to.TCPClosing)
	case t.established():
		return int64(to.TCPEstablished)
	}
	return int64(to.TCPOpening)
}
