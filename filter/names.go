// Names the rule language accepts for numbers: IP protocols, TCP/UDP
// services, ICMP and ICMPv6 types, EtherTypes, TCP flag letters.

package filter

var protoNames = map[string]uint8{
	"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
	"icmp6": 58, "ipv6-icmp": 58, "ospf": 89, "vrrp": 112, "sctp": 132,
}

const (
	protoICMP  = 1
	protoTCP   = 6
	protoUDP   = 17
	protoAH    = 51
	protoICMP6 = 58
)

var serviceNames = map[string]uint16{
	"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "dns": 53,
	"bootps": 67, "bootpc": 68, "tftp": 69, "http": 80, "ntp": 123,
	"snmp": 161, "https": 443, "syslog": 514, "dhcpv6-client": 546,
	"dhcpv6-server": 547,
}

var icmpTypeNames = map[string]uint8{
	"echo-reply": 0, "unreach": 3, "redirect": 5, "echo-request": 8,
	"router-advert": 9, "router-solicit": 10, "timex": 11, "paramprob": 12,
}

var icmp6TypeNames = map[string]uint8{
	"unreach": 1, "toobig": 2, "timex": 3, "paramprob": 4,
	"echo-request": 128, "echo-reply": 129, "router-solicit": 133,
	"router-advert": 134, "neighbor-solicit": 135, "neighbor-advert": 136,
}

var etherTypeNames = map[string]uint16{
	"ipv4": 0x0800, "arp": 0x0806, "ipv6": 0x86dd, "lldp": 0x88cc,
	"vlan": tpid8021Q, "qinq": tpid8021AD,
}

// TCP flag bits in header order (RFC 9293 3.1, with ECE/CWR from RFC 3168).
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20
	flagECE = 0x40
	flagCWR = 0x80
)

const flagLetters = "FSRPAUEW" // bit i has letter flagLetters[i]
