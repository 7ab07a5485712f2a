// Package filter is the packet filter of the fosbury appliance: a rule
// language, a compiled matcher that decides each Ethernet frame in one pass
// without allocating, connection tracking, atomic reload and counters.
// It is plain Go (standard library only) and runs the same on the host and
// on a 32-bit single-core Cortex-A7.
//
// # Use
//
//	e := filter.NewEngine(filter.Options{Self: myAddrs})
//	if err := e.Load("fosbury.rules", src); err != nil { ... } // file:line:col: message
//	...
//	v := e.Decide(frame, filter.Meta{Port: 0, Dir: filter.In, Now: nanotime()})
//	switch v.Action {
//	case filter.Pass:   // forward or deliver locally (by destination MAC)
//	case filter.Reject: n, err := filter.BuildReply(frame, v, txbuf) // send txbuf[:n] if err == nil
//	}
//	...
//	err := e.Reload(newSrc) // bad file: old rules stay, error returned
//	s := e.Snapshot()       // counters, without stopping Decide
//
// Decide reads the frame (the DMA buffer) and never writes or keeps it. It
// must be called from one goroutine; Reload and Snapshot may be called from
// others.
//
// # Rule language
//
// One statement per line; # starts a comment; a backslash joins lines;
// lists in { } may span lines and commas are optional.
//
//	set default drop|pass|reject [log]   policy when no rule matches (drop if absent)
//	set fragments follow|drop            later fragments share their first's verdict, or drop all
//	set self { 192.0.2.1, 2001:db8::1 }  the appliance's own addresses ("self")
//	table <name> { 10.0.0.0/8, 192.0.2.7, 2001:db8::/32 }
//
//	ACTION [log] [in|out] [on PORT] [vlan V] [ether type T] [ether src|dst MAC]
//	       [inet|inet6] [proto P] [from ADDR [port PORTS]] [to ADDR [port PORTS]]
//	       [icmp-type T [code C] | icmp6-type T [code C]] [flags F/M|any]
//	       [keep state] [mgmt] [limit N/s|m|h [burst B] [per-source]] [label "text"]
//
// Clauses may come in any order, each at most once.
//
//	ACTION  pass, drop (or block), reject (TCP RST, else ICMP/ICMPv6
//	        unreachable; replies are rate-limited by Options.RejectRate)
//	PORT    lan, wan (Options.PortNames), or 0-3
//	V       100 (outer tag), 100.200 (QinQ outer.inner), *.200, * (any tag),
//	        none, or a { list }; ids 1-4094
//	T       ipv4, ipv6, arp, lldp, or a number >= 0x0600; a { list }; the
//	        type after the VLAN tags
//	MAC     02:00:00:00:00:01, or a { list }
//	P       tcp, udp, icmp, icmp6, gre, esp, sctp, ... or 0-255; a { list }
//	        (not ah: AH headers are walked)
//	ADDR    any, self, an address, a CIDR prefix, <table>, a { list } of
//	        these; ! in front negates, within the list's address families
//	PORTS   22, ssh, 1024-65535, ! 53, or a { list }
//	F/M     TCP flags (F S R P A U E W) that must be set, out of mask M
//
// Numbers are decimal, or hex after 0x (port 0x50 is 80). A leading zero
// (010, octal in C and Go) and Go-only forms (8_0, 0b1010000, 0o120) are
// refused, for ports, VLAN ids, protocols, ICMP types and codes and limits
// alike.
//
// Rules are checked in order and the first that matches decides. A rule
// with any IP clause (inet, proto, from, to, ...) matches only IP packets;
// one without matches every frame. Tagged frames are never exempt: a rule
// without vlan matches tagged and untagged frames alike.
//
// Up to two VLAN tags (0x8100, 0x88a8, 0x9100) are stripped and ether type
// is the type after them, so ether type vlan (or any tag type) is refused;
// vlan * matches any tagged frame. A tag with VLAN id 0 carries only a
// priority (802.1Q's null VLAN id): the frame counts as untagged (vlan none
// matches it, and it shares states with untagged frames), though the tag
// counts towards the two. AH headers are walked in IPv4 as in IPv6 (RFC
// 4302; at least 12 octets, a multiple of 8 in IPv6, at most 8 headers),
// so proto tcp matches TCP behind AH and proto ah is refused.
//
// Addresses fix a rule's address family, as in pf. A negated address,
// list, table or self matches only addresses of the families it has
// entries of: to ! 10.0.0.0/8 matches IPv4 packets to other addresses and
// no IPv6 packet; ! { 10.0.0.0/8, 2001:db8::/32 } applies in both, each
// against its own entries. A negated set with no entries (an empty table)
// excludes nothing. inet and inet6 narrow a rule further.
//
// A rule that can never match is refused at load time with its position:
// for example from an IPv6 address to an IPv4 one, icmp-type with an IPv6
// address, ether type ipv6 with an IPv4 address, or a negation that
// excludes all its families (from ! { 0.0.0.0/0, ::/0 }). self fixes no
// family in that check (Options.Self may add either); an empty table is a
// placeholder.
//
// keep state (pass rules only) creates a state for the flow; frames of
// either direction that belong to it then pass before any rule is checked.
// As in pf, a stateful rule creates TCP state only from an initial SYN
// (implied flags S/SA, unless flags is given). TCP states follow the
// handshake and teardown and check sequence and acknowledgment numbers
// against the windows seen (loosely, with window scaling); UDP and other
// protocols by address and port; ICMP echo by identifier. States (and
// followed fragments) belong to the VLAN they were made in. ICMP errors
// quoting a tracked flow pass with it. mgmt marks a rule's states as
// management traffic, as is any state to or from self: those may use a
// reserved share of the table (Options.MgmtReserve), so a table full of
// other flows never locks the administrator out.
//
// limit passes at most N frames per unit (burst B, default N) and drops
// the rest (reason rate-limit); per-source keeps one bucket per source
// address in a fixed-size table.
//
// # Decisions and counters
//
// A Verdict carries the action, the index of the deciding rule (-1 for the
// default policy), whether to log, whether a state decided, the drop
// reason, and for Reject the reply to build. Per rule the engine counts
// packets and bytes; per action and per drop reason (malformed,
// fragment-policy, fragment-orphan, state-table-full, rate-limit,
// source-route, bad-state, default-policy, rule) it counts frames.
//
// Checksums are not verified: the end hosts do that. A segment with a bad
// checksum can advance a TCP state, as in pf.
//
// # Reload
//
// Load and Reload parse and compile the whole file first; only a file
// without errors replaces the program, in one atomic pointer store.
// States made under the old rules are checked again against the new rules,
// on their next frame or when the sweep that runs two slots per frame
// reaches them, whichever comes first: the packet that created the state is matched
// anew and the state survives only if the first matching rule still passes
// it with keep state. Later fragments of a datagram whose first fragment
// passed under the old rules are dropped (fragment-orphan). Rule counters
// and rate-limit buckets start afresh with each program; engine counters
// continue.
package filter
