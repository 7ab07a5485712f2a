// The capture file formats, written by hand: libpcap's 24-byte file
// header and 16-byte record header (nanosecond magic), and pcapng's
// section, interface and enhanced packet blocks (draft-ietf-opsawg-pcapng
// 4.1, 4.2, 4.3). gopacket's pcapgo writes the same bytes but brings
// gopacket/layers into the firmware: measured, about 1 MiB more text and
// 3.2 MiB more zeroed data (its per-EtherType tables) for 40 bytes of
// headers. Everything is little-endian; records are built in one scratch
// buffer, so writing a frame allocates nothing.

package capture

import (
	"encoding/binary"
	"io"
	"strconv"
	"time"

	"github.com/fosbury-net/fosbury/filter"
)

const (
	pcapMagicNanos = 0xa1b23c4d
	linkEthernet   = 1 // LINKTYPE_ETHERNET

	ngSHB      = 0x0a0d0d0a
	ngIDB      = 0x00000001
	ngEPB      = 0x00000006
	ngBOM      = 0x1a2b3c4d
	ngOptEnd   = 0
	ngComment  = 1
	ngIfName   = 2
	ngTSResol  = 9
	ngEPBFlags = 2
	ngUserAppl = 4
	ngInbound  = 1 // epb_flags bits 0-1: inbound
)

var le = binary.LittleEndian

type fileWriter struct {
	w       io.Writer
	format  Format
	snap    int
	names   []string
	ports   uint8
	ifIndex [maxPorts]uint32 // pcapng interface of each port
	wall    func(int64) (time.Time, bool)
	offset  int64 // Unix ns minus monotonic ns, read once per batch (clock)
	scratch []byte
}

// clock reads the wall clock's offset from the poll loop's monotonic one:
// once per batch of frames, not per frame.
func (fw *fileWriter) clock() {
	t, _ := fw.wall(0)
	fw.offset = t.UnixNano()
}

func newFileWriter(w io.Writer, f Format, snap int, names []string, ports uint8, wall func(int64) (time.Time, bool)) *fileWriter {
	return &fileWriter{w: w, format: f, snap: snap, names: names, ports: ports, wall: wall, scratch: make([]byte, 0, 256)}
}

// header writes the file header (pcap) or the section and one interface
// per captured port (pcapng).
func (fw *fileWriter) header() error {
	b := fw.scratch[:0]
	if fw.format == PCAP {
		b = le.AppendUint32(b, pcapMagicNanos)
		b = le.AppendUint16(b, 2)
		b = le.AppendUint16(b, 4)
		b = le.AppendUint32(b, 0) // thiszone: UTC
		b = le.AppendUint32(b, 0) // sigfigs
		b = le.AppendUint32(b, uint32(fw.snap))
		b = le.AppendUint32(b, linkEthernet)
		_, err := fw.w.Write(b)
		return err
	}
	start := len(b)
	b = le.AppendUint32(b, ngSHB)
	b = le.AppendUint32(b, 0) // length, patched below
	b = le.AppendUint32(b, ngBOM)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0)) // section length unknown
	b = ngOption(b, ngUserAppl, []byte("fosbury"))
	b = ngEnd(b, start)
	n := uint32(0)
	for p := 0; p < maxPorts; p++ {
		if fw.ports&(1<<p) == 0 {
			continue
		}
		name := strconv.Itoa(p)
		if p < len(fw.names) {
			name = fw.names[p]
		}
		fw.ifIndex[p] = n
		n++
		start := len(b)
		b = le.AppendUint32(b, ngIDB)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint16(b, linkEthernet)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint32(b, uint32(fw.snap))
		b = ngOption(b, ngIfName, []byte(name))
		b = ngOption(b, ngTSResol, []byte{9}) // 10^-9 s
		b = ngEnd(b, start)
	}
	fw.scratch = b[:0]
	_, err := fw.w.Write(b)
	return err
}

// frame writes one record: its header, the frame's bytes from the page
// (the one copy), and for pcapng the padding, flags and verdict comment.
func (fw *fileWriter) frame(r *record, data []byte) error {
	ns := uint64(r.mono + fw.offset)
	b := fw.scratch[:0]
	if fw.format == PCAP {
		b = le.AppendUint32(b, uint32(ns/1e9))
		b = le.AppendUint32(b, uint32(ns%1e9))
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint32(b, uint32(r.origLen))
		if _, err := fw.w.Write(b); err != nil {
			return err
		}
		_, err := fw.w.Write(data)
		return err
	}
	pad := (4 - len(data)%4) % 4
	b = le.AppendUint32(b, ngEPB)
	b = le.AppendUint32(b, 0) // patched below, once the options are known
	b = le.AppendUint32(b, fw.ifIndex[r.port%maxPorts])
	b = le.AppendUint32(b, uint32(ns>>32))
	b = le.AppendUint32(b, uint32(ns))
	b = le.AppendUint32(b, uint32(len(data)))
	b = le.AppendUint32(b, uint32(r.origLen))
	head := len(b)
	// The options go after the data: build them now to know the length.
	b = le.AppendUint16(b, ngEPBFlags)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, ngInbound)
	b = appendComment(b, r.v)
	b = le.AppendUint32(b, ngOptEnd)
	total := len(b) + len(data) + pad + 4
	b = le.AppendUint32(b, uint32(total))
	le.PutUint32(b[4:], uint32(total))
	fw.scratch = b[:0]
	if _, err := fw.w.Write(b[:head]); err != nil {
		return err
	}
	if _, err := fw.w.Write(data); err != nil {
		return err
	}
	if _, err := fw.w.Write(zeros[:pad]); err != nil {
		return err
	}
	_, err := fw.w.Write(b[head:])
	return err
}

var zeros [4]byte

// appendComment appends opt_comment with the verdict, as
// filter.Verdict.String would say it, without allocating.
func appendComment(b []byte, v filter.Verdict) []byte {
	at := len(b)
	b = le.AppendUint32(b, 0) // code and length, patched
	b = append(b, v.Action.String()...)
	if v.Rule >= 0 {
		b = append(b, " rule "...)
		b = strconv.AppendInt(b, int64(v.Rule), 10)
	}
	if v.State {
		b = append(b, " state"...)
	}
	if v.Reason != filter.ReasonNone && v.Reason != filter.ReasonRule {
		b = append(b, ' ')
		b = append(b, v.Reason.String()...)
	}
	n := len(b) - at - 4
	le.PutUint16(b[at:], ngComment)
	le.PutUint16(b[at+2:], uint16(n))
	return append(b, zeros[:(4-n%4)%4]...)
}

func ngOption(b []byte, code uint16, v []byte) []byte {
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, zeros[:(4-len(v)%4)%4]...)
}

// ngEnd closes the block that starts at start: end of options, trailing
// length, and the length patched into the block's second word.
func ngEnd(b []byte, start int) []byte {
	b = le.AppendUint32(b, ngOptEnd)
	total := len(b) - start + 4
	b = le.AppendUint32(b, uint32(total))
	le.PutUint32(b[start+4:], uint32(total))
	return b
}
