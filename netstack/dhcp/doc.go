// Package dhcp is the appliance's DHCPv4 client (RFC 2131; options RFC
// 2132) for a management port: the message format (message.go), the
// client state machine with lease, renewal at T1, rebinding at T2 and
// expiry (machine.go), and its driver on the gVisor stack (client.go).
//
// The message format is written here rather than taken from a library:
// github.com/insomniacslk/dhcp/dhcpv4 does not build for GOOS=tamago
// (github.com/u-root/uio/rand and its own interfaces package have only
// per-OS files, so defaultContextReader and BindToInterface are
// undefined), and github.com/gopacket/gopacket/layers builds but brings
// every protocol layer, +1.8 MB of code and +3.2 MB of tables filled at
// boot, for one 300-byte message. FuzzParse covers the parser.
package dhcp
