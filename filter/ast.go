// The parsed form of a rules file (what Parse returns and Compile reads).
// Plain data: no behaviour beyond small String helpers.

package filter

import (
	"net/netip"
	"strings"
)

// Action is what a rule does with a frame it matches.
type Action uint8

const (
	// Drop is the zero value so a forgotten verdict is fail-closed.
	Drop Action = iota
	Pass
	Reject
)

func (a Action) String() string {
	switch a {
	case Pass:
		return "pass"
	case Reject:
		return "reject"
	}
	return "drop"
}

// Dir is the direction of a frame relative to the appliance port it
// crosses.
type Dir uint8

const (
	DirAny Dir = iota // rules only: either direction
	In
	Out
)

func (d Dir) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return "any"
}

// FragPolicy says what happens to IP fragments.
type FragPolicy uint8

const (
	// FragFollow matches a first fragment against the rules and lets later
	// fragments of the same datagram share its verdict; a later fragment
	// whose first was not seen (or was dropped) is dropped.
	FragFollow FragPolicy = iota
	// FragDrop drops every fragment, first included.
	FragDrop
)

// Ruleset is a parsed rules file.
type Ruleset struct {
	Name       string
	Default    Action // policy when no rule matches; Drop unless "set default"
	DefaultLog bool
	DefaultPos Pos // position of "set default", zero if absent
	Fragments  FragPolicy
	Self       []netip.Prefix // "set self { ... }": the appliance's own addresses
	Tables     map[string]*Table
	Rules      []*Rule
}

// Table is a named set of addresses: table <name> { ... }.
type Table struct {
	Name     string
	Pos      Pos
	Prefixes []netip.Prefix
}

// PortRange is an inclusive range of TCP/UDP ports.
type PortRange struct{ Lo, Hi uint16 }

// AddrSpec is the address part of "from" or "to".
type AddrSpec struct {
	Pos      Pos
	Not      bool
	Any      bool
	Self     bool
	Prefixes []netip.Prefix
	Tables   []string // table names, without < >
	TablePos []Pos
}

// PortSpec is "port ..." after an address.
type PortSpec struct {
	Pos    Pos
	Not    bool
	Ranges []PortRange
}

// VLANSpec matches 802.1Q / QinQ tags. Outer is the first tag in the frame;
// -1 means any. Untagged matches only frames without a tag.
type VLANSpec struct {
	Untagged bool
	Outer    int
	Inner    int // -1: any (including no inner tag)
}

// Limit is a token bucket: Rate tokens per second, up to Burst.
type Limit struct {
	Pos       Pos
	Rate      uint32 // tokens per Per seconds
	Per       uint32
	Burst     uint32
	PerSource bool
}

// Rule is one line of the rule list.
type Rule struct {
	Pos    Pos
	Text   string // the source line, for logs
	Action Action
	Log    bool

	Dir     Dir
	On      string // port name or number, "" for any
	OnPos   Pos
	VLANs   []VLANSpec
	EthType []uint16
	MACSrc  [][6]byte // any of these
	MACDst  [][6]byte
	Family  uint8 // 0 any, 4 inet, 6 inet6
	Protos  []uint8
	From    *AddrSpec
	To      *AddrSpec
	SrcPort *PortSpec
	DstPort *PortSpec

	ICMPType int // -1 any
	ICMPCode int // -1 any
	ICMPPos  Pos
	ICMPv6   bool // the type was given with icmp6-type

	FlagsSet  bool
	Flags     uint8 // TCP flags that must be set ...
	FlagsMask uint8 // ... out of these

	KeepState bool
	Mgmt      bool
	Limit     *Limit
	Label     string

	clauses map[string]Pos // where each clause starts, for later checks
}

// String writes the spec as a rule would: 10.0.0.1, ! { 10.0.0.0/8, <t> }.
func (as *AddrSpec) String() string {
	var items []string
	if as.Any {
		items = append(items, "any")
	}
	for _, pfx := range as.Prefixes {
		items = append(items, showPrefix(pfx))
	}
	for _, t := range as.Tables {
		items = append(items, "<"+t+">")
	}
	if as.Self {
		items = append(items, "self")
	}
	s := "{ " + strings.Join(items, ", ") + " }"
	if len(items) == 1 {
		s = items[0]
	}
	if as.Not {
		s = "! " + s
	}
	return s
}

// showPrefix writes a single address without its /32 or /128.
func showPrefix(pfx netip.Prefix) string {
	if pfx.IsSingleIP() {
		return pfx.Addr().String()
	}
	return pfx.String()
}
