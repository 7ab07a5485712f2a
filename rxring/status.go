// status.go owns the decoding of a completed RX descriptor's status into a
// frame length or exactly one error class. Everything it reads came from
// the device and is checked before use.
package rxring

import (
	"encoding/json"

	"github.com/fosbury-net/fosbury/bd"
)

// Class is why a descriptor did not yield a good frame.
type Class uint8

// Error classes, in the order classify tests them.
const (
	OK         Class = iota
	Fragment         // buffer without L: a frame longer than one buffer
	Truncated        // TR
	Overrun          // OV
	LengthErr        // LG
	NonOctet         // NO
	CRC              // CR
	MACErr           // ME, PE or CE in the enhanced status
	BadLength        // data length shorter than a header or longer than the buffer
	NumClasses       // number of classes: Stats.Errors is indexed by Class
)

var classNames = [NumClasses]string{"ok", "fragment", "truncated", "overrun",
	"length", "non-octet", "crc", "mac", "bad-length"}

// ErrorCounts counts descriptors by error class (OK is never counted).
type ErrorCounts [NumClasses]uint64

// MarshalJSON writes the counts as an object keyed by class name.
func (e ErrorCounts) MarshalJSON() ([]byte, error) {
	m := make(map[string]uint64, NumClasses-1)
	for c := OK + 1; c < NumClasses; c++ {
		m[c.String()] = e[c]
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote; unknown names are ignored.
func (e *ErrorCounts) UnmarshalJSON(b []byte) error {
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for c := OK + 1; c < NumClasses; c++ {
		e[c] = m[c.String()]
	}
	return nil
}

func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "unknown"
}

// minFrame is the shortest frame handed to the callback: an Ethernet header.
const minFrame = 14

// classify decodes the status word, the enhanced status and the data length
// of a descriptor the device returned. trim is the bytes the length counts
// that are not frame (FCS, SHIFT16 padding). It returns the number of frame
// bytes or the error class. TR and OV come first: when set the
// other error bits are not meaningful (IMX6ULRM 22.6.14).
func classify(st uint16, ext uint32, length, bufSize, trim int) (int, Class) {
	switch {
	case st&bd.L == 0:
		return 0, Fragment
	case st&bd.RxTR != 0:
		return 0, Truncated
	case st&bd.RxOV != 0:
		return 0, Overrun
	case st&bd.RxLG != 0:
		return 0, LengthErr
	case st&bd.RxNO != 0:
		return 0, NonOctet
	case st&bd.RxCR != 0:
		return 0, CRC
	case ext&(bd.ExtRxME|bd.ExtRxPE|bd.ExtRxCE) != 0:
		return 0, MACErr
	case length > bufSize || length-trim < minFrame:
		return 0, BadLength
	}
	return length - trim, OK
}
