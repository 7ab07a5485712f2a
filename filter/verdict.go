// The values that cross the hot-path boundary: Meta in, Verdict out, and
// the drop reasons the counters are kept by.

package filter

import "strconv"

// Meta is what the caller knows about a frame besides its bytes.
type Meta struct {
	Port uint8 // input port: 0, 1, ... (rule names lan/wan map here)
	Dir  Dir   // In or Out; anything but Out counts as In
	Now  int64 // monotonic time in ns, from the caller (never time.Now)
}

// Reason says why a frame was dropped (or ReasonNone for a pass).
type Reason uint8

const (
	ReasonNone        Reason = iota
	ReasonRule               // a drop or reject rule matched
	ReasonDefault            // no rule matched and the default policy drops
	ReasonMalformed          // headers truncated or inconsistent
	ReasonFragPolicy         // "set fragments drop"
	ReasonFragOrphan         // a later fragment whose first was not passed
	ReasonStateFull          // keep state, but the state table is full
	ReasonRateLimit          // a rule's limit was exceeded
	ReasonBadState           // belongs to a state but fails its checks (TCP window, ...)
	ReasonSourceRoute        // IPv4 source route option or IPv6 type 0 routing header
	NumReasons
)

var reasonNames = [NumReasons]string{
	"none", "rule", "default-policy", "malformed", "fragment-policy",
	"fragment-orphan", "state-table-full", "rate-limit", "bad-state", "source-route",
}

func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Reply is the answer a Reject verdict asks the caller to send.
type Reply uint8

const (
	ReplyNone         Reply = iota // drop silently (not IP, or rate-limited)
	ReplyTCPReset                  // TCP RST (RFC 9293 3.10.7.1)
	ReplyICMPUnreach               // ICMP destination unreachable (RFC 792)
	ReplyICMP6Unreach              // ICMPv6 destination unreachable (RFC 4443 3.1)
)

func (r Reply) String() string {
	return [...]string{"none", "tcp-reset", "icmp-unreach", "icmp6-unreach"}[r&3]
}

// Verdict is the decision for one frame: a small value, no pointers.
type Verdict struct {
	Action Action
	Reason Reason // why a frame is not passed
	Reply  Reply  // for Reject: what to send back (BuildReply)
	Log    bool   // the deciding rule (or default policy) has "log"
	State  bool   // decided by an existing state (or a fragment's first)
	Rule   int32  // index into Ruleset.Rules; -1 if no rule decided
}

// String describes v for logs, e.g. "pass rule 3 state" or
// "drop default-policy". It allocates: not for the per-frame path unless
// the verdict is logged.
func (v Verdict) String() string {
	s := v.Action.String()
	if v.Rule >= 0 {
		s += " rule " + strconv.Itoa(int(v.Rule))
	}
	if v.State {
		s += " state"
	}
	if v.Reason != ReasonNone && v.Reason != ReasonRule {
		s += " " + v.Reason.String()
	}
	if v.Reply != ReplyNone {
		s += " reply " + v.Reply.String()
	}
	return s
}
