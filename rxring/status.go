// status.go owns the decoding of a completed RX descriptor's status into a
// frame length or exactly one error class. Everything it reads came from
// the device and is checked before use.
package rxring

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
	case st&stL == 0:
		return 0, Fragment
	case st&stTR != 0:
		return 0, Truncated
	case st&stOV != 0:
		return 0, Overrun
	case st&stLG != 0:
		return 0, LengthErr
	case st&stNO != 0:
		return 0, NonOctet
	case st&stCR != 0:
		return 0, CRC
	case ext&(extME|extPE|extCE) != 0:
		return 0, MACErr
	case length > bufSize || length-trim < minFrame:
		return 0, BadLength
	}
	return length - trim, OK
}
