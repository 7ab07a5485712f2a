// State handling in Decide: look a frame up, advance its state, create
// states for keep-state rules, re-check states made under older rules, and
// pass ICMP errors that belong to a state.

package filter

func (e *Engine) isMgmt(pr *Program, r *crule, p *pkt) bool {
	return r.mgmt || pr.self.contains(p.family, p.dst) || pr.self.contains(p.family, p.src)
}

// stateful decides p by its state, if it has one. ok is false when the
// rules must judge p.
func (e *Engine) stateful(pr *Program, p *pkt, frame []byte, now int64) (v Verdict, ok bool) {
	k, ok := keyOf(p)
	if !ok {
		if p.hasICMP && isICMPError(p.family, p.icmpType) {
			return e.relatedError(pr, p, frame, now)
		}
		return v, false
	}
	i, dir := e.ct.lookup(&k, now)
	if i == nilIdx {
		return v, false
	}
	en := &e.ct.e[i]
	// A state belongs to the port and direction its flow was opened on:
	// the originator's packets keep coming that way and the responder's
	// another (on another port, or the other direction of the same one),
	// so a host on the far side that copies the originator's addresses (or
	// a near-side host the responder's) cannot ride it.
	if originSide := p.port == en.origin.port && p.dir == en.origin.dir; originSide != (dir == 0) {
		return v, false
	}
	if en.gen != pr.gen && !e.recheck(pr, i) {
		return v, false
	}
	to := &e.opts.Timeouts
	var timeout int64
	switch {
	case p.proto == protoTCP:
		if p.tcpFlags&(flagSYN|flagACK) == flagSYN && en.tcp.closed() {
			e.ct.remove(i) // the 4-tuple is reused, from either end: a new connection
			return v, false
		}
		if !en.tcp.update(p, dir) {
			return dropped(ReasonBadState, en.rule), true
		}
		en.assured = en.tcp.established()
		timeout = en.tcp.timeout(to)
	case p.hasICMP:
		if isEchoRequest(p.family, p.icmpType) != (dir == 0) {
			return v, false // a request the wrong way: not this state's
		}
		timeout = int64(to.ICMP)
		en.assured = en.assured || dir == 1
	default:
		if dir == 1 {
			en.replied, en.assured = true, true
		}
		timeout = int64(to.Other)
		if p.proto == protoUDP {
			timeout = int64(to.UDPSingle)
			if en.replied {
				timeout = int64(to.UDPMultiple)
			}
		}
	}
	e.ct.touch(i, now+timeout)
	return Verdict{Action: Pass, Rule: en.rule, State: true}, true
}

// sweep visits n slots of the state array, round-robin, removing expired
// states and re-checking states made under an older program. Every state
// is visited within StateLimit/n frames, so a reload's effect and expiry
// do not depend on a state being used again.
func (e *Engine) sweep(pr *Program, now int64, n int) {
	t := e.ct
	if t.n == 0 {
		return
	}
	for ; n > 0; n-- {
		i := t.cursor
		if t.cursor++; int(t.cursor) == len(t.e) {
			t.cursor = 0
		}
		en := &t.e[i]
		switch {
		case !en.used:
		case en.expires <= now:
			t.remove(i)
		case en.gen != pr.gen:
			e.recheck(pr, i)
		}
	}
}

// recheck runs a state's creating packet through program pr. If the first
// rule it matches still passes it with keep state, the state now belongs
// to that rule; otherwise the state is removed.
func (e *Engine) recheck(pr *Program, i int32) bool {
	en := &e.ct.e[i]
	j := pr.match(&en.origin)
	if j < 0 || pr.rules[j].action != Pass || !pr.rules[j].keepState {
		e.ct.remove(i)
		e.stats.statesPurged.Add(1)
		return false
	}
	en.rule, en.gen = int32(j), pr.gen
	if m := e.isMgmt(pr, &pr.rules[j], &en.origin); m != en.mgmt {
		if m {
			e.ct.nNon--
		} else {
			e.ct.nNon++
		}
		en.mgmt = m
		e.ct.publish()
	}
	return true
}

// createState makes the state for p passed by rule i. It returns false if
// the table has no room.
func (e *Engine) createState(pr *Program, r *crule, i int, p *pkt, now int64) bool {
	k, ok := keyOf(p)
	if !ok {
		return true // nothing to track (e.g. ICMP that is not an echo)
	}
	if j, _ := e.ct.lookup(&k, now); j != nilIdx {
		return true // a state exists that this packet did not fit
	}
	idx := e.ct.insert(&k, e.isMgmt(pr, r, p), now)
	if idx == nilIdx {
		return false
	}
	en := &e.ct.e[idx]
	en.rule, en.gen, en.origin = int32(i), pr.gen, *p
	to := &e.opts.Timeouts
	timeout := int64(to.Other)
	switch {
	case p.proto == protoTCP:
		en.tcp.init(p)
		timeout = en.tcp.timeout(to)
	case p.hasICMP:
		timeout = int64(to.ICMP)
	case p.proto == protoUDP:
		timeout = int64(to.UDPSingle)
	}
	e.ct.touch(idx, now+timeout)
	e.stats.statesCreated.Add(1)
	return true
}

// ICMP error types that quote a packet (RFC 792; RFC 4443 3).
func isICMPError(family, typ uint8) bool {
	if family == 4 {
		return typ == 3 || typ == 11 || typ == 12
	}
	return typ >= 1 && typ <= 4
}

// relatedError passes an ICMP error whose quoted packet belongs to a state
// and was sent by the error's addressee.
func (e *Engine) relatedError(pr *Program, p *pkt, frame []byte, now int64) (Verdict, bool) {
	var in pkt
	in.family, in.vlan = p.family, p.vlan
	if !decodeQuoted(frame[p.l4off+8:p.l3end], &in) || in.src != p.dst {
		return Verdict{}, false
	}
	k, ok := keyOf(&in)
	if !ok {
		return Verdict{}, false
	}
	i, _ := e.ct.lookup(&k, now)
	if i == nilIdx {
		return Verdict{}, false
	}
	en := &e.ct.e[i]
	if en.gen != pr.gen && !e.recheck(pr, i) {
		return Verdict{}, false
	}
	e.stats.related.Add(1)
	return Verdict{Action: Pass, Rule: en.rule, State: true}, true
}

// decodeQuoted reads the IP header and the first 8 transport bytes that
// an ICMP error quotes. Lengths inside the quote are not trusted.
func decodeQuoted(b []byte, p *pkt) bool {
	var l4 []byte
	switch p.family {
	case 4:
		if len(b) < 20 || b[0]>>4 != 4 {
			return false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl+8 {
			return false
		}
		p.proto = b[9]
		p.src = addr{lo: uint64(be32(b, 12))}
		p.dst = addr{lo: uint64(be32(b, 16))}
		l4 = b[ihl : ihl+8]
	case 6:
		if len(b) < 48 || b[0]>>4 != 6 {
			return false
		}
		p.proto = b[6]
		p.src = addr{hi: be64(b, 8), lo: be64(b, 16)}
		p.dst = addr{hi: be64(b, 24), lo: be64(b, 32)}
		l4 = b[40:48]
	default:
		return false
	}
	switch p.proto {
	case protoTCP, protoUDP, 132:
		p.hasPorts = true
		p.sport, p.dport = be16(l4, 0), be16(l4, 2)
	case protoICMP, protoICMP6:
		if (p.proto == protoICMP) != (p.family == 4) {
			return true
		}
		p.hasICMP = true
		p.icmpType = l4[0]
		if isEcho(p.family, p.icmpType) {
			p.icmpID = be16(l4, 4)
		}
	}
	return true
}
