module github.com/fosbury-net/fosbury

go 1.26.5

require (
	github.com/beevik/ntp v1.5.0
	github.com/google/gopacket v1.1.19
	github.com/usbarmory/tamago v1.26.6
	golang.org/x/sys v0.43.0
	gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237
)

require (
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/net v0.52.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
