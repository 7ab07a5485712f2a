// slot.go owns the slot format: the header block and the payload archive,
// encoded and decoded without touching a device.
package cfgstore

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// BlockSize is the medium's block: SD and eMMC transfer 512 bytes.
const BlockSize = 512

const (
	magic   = "FOSBCONF"
	version = 1
	// hdrUsed is the header's meaningful bytes; the rest of its block is zero.
	hdrUsed = 60
)

// Config is what a slot holds: the appliance's configuration files. The
// store keeps their bytes; Check (Validate for the appliance) says what
// they must contain.
type Config struct {
	Addresses   []byte // fosbury.conf: management-plane addresses (netstack.ParseConfig)
	Rules       []byte // fosbury.rules: filter rules (filter.Parse)
	Credentials []byte // fosbury.auth: API credentials
	Options     []byte // fosbury.options: other options
}

// Files names Config's fields as the archive (and a CONFIG directory) does.
var Files = [...]string{"fosbury.conf", "fosbury.rules", "fosbury.auth", "fosbury.options"}

func (c *Config) fields() [len(Files)]*[]byte {
	return [...]*[]byte{&c.Addresses, &c.Rules, &c.Credentials, &c.Options}
}

// File returns the field for an archive name, or nil.
func (c *Config) File(name string) *[]byte {
	for i, n := range Files {
		if n == name {
			return c.fields()[i]
		}
	}
	return nil
}

// Equal reports whether both hold the same files.
func (c Config) Equal(o Config) bool {
	a, b := c.fields(), o.fields()
	for i := range a {
		if !bytes.Equal(*a[i], *b[i]) {
			return false
		}
	}
	return true
}

// SlotError says why a slot is not valid.
type SlotError struct {
	Msg string
}

func (e *SlotError) Error() string { return e.Msg }

func slotErr(format string, a ...any) error { return &SlotError{fmt.Sprintf(format, a...)} }

// errBlank marks a header block of zeros: a slot never written.
var errBlank = &SlotError{"blank"}

// header is a decoded header block.
type header struct {
	length int
	seq    uint64
	sum    [sha256.Size]byte
}

func (h header) encode() []byte {
	b := make([]byte, BlockSize)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], version)
	binary.LittleEndian.PutUint32(b[12:], uint32(h.length))
	binary.LittleEndian.PutUint64(b[16:], h.seq)
	copy(b[24:56], h.sum[:])
	binary.LittleEndian.PutUint32(b[56:], crc32.ChecksumIEEE(b[:56]))
	return b
}

// decodeHeader checks a header block; maxLen is the slot's payload room.
func decodeHeader(b []byte, maxLen int) (header, error) {
	var h header
	if len(b) != BlockSize {
		return h, slotErr("header is %d bytes, want %d", len(b), BlockSize)
	}
	if allZero(b) {
		return h, errBlank
	}
	if got, want := binary.LittleEndian.Uint32(b[56:]), crc32.ChecksumIEEE(b[:56]); got != want {
		return h, slotErr("header CRC %#08x, want %#08x", got, want)
	}
	if string(b[:8]) != magic {
		return h, slotErr("bad magic %q", b[:8])
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != version {
		return h, slotErr("format version %d, this firmware reads %d", v, version)
	}
	if !allZero(b[hdrUsed:]) {
		return h, slotErr("non-zero bytes after the header")
	}
	n := binary.LittleEndian.Uint32(b[12:])
	if int64(n) > int64(maxLen) {
		return h, slotErr("payload length %d exceeds the slot's %d", n, maxLen)
	}
	h.length = int(n)
	h.seq = binary.LittleEndian.Uint64(b[16:])
	if h.seq == 0 {
		return h, slotErr("sequence number 0")
	}
	copy(h.sum[:], b[24:56])
	return h, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// maxFile bounds one file: configuration is text, a rules file the largest.
const maxFile = 256 << 10

// encodePayload writes the non-empty files as a ustar archive. Times,
// owners and modes are fixed so the same Config gives the same bytes.
func encodePayload(c Config) ([]byte, error) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for i, f := range c.fields() {
		if len(*f) == 0 {
			continue
		}
		if len(*f) > maxFile {
			return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", Files[i], len(*f), maxFile)
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: Files[i], Size: int64(len(*f)), Mode: 0o644,
			ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
		if err := w.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := w.Write(*f); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodePayload reads an archive encodePayload wrote. Anything else — an
// unknown or repeated name, another entry type, an oversized file — is an
// error: the SHA-256 already matched, so this is a writer's bug or a
// deliberate forgery, and neither is a configuration.
func decodePayload(p []byte) (Config, error) {
	var c Config
	r := tar.NewReader(bytes.NewReader(p))
	seen := 0
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Config{}, slotErr("archive: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			return Config{}, slotErr("archive: %q is not a regular file", h.Name)
		}
		f := c.File(h.Name)
		if f == nil {
			return Config{}, slotErr("archive: unknown file %q", h.Name)
		}
		if *f != nil {
			return Config{}, slotErr("archive: %q twice", h.Name)
		}
		if h.Size <= 0 || h.Size > maxFile {
			return Config{}, slotErr("archive: %q is %d bytes", h.Name, h.Size)
		}
		*f = make([]byte, h.Size)
		if _, err := io.ReadFull(r, *f); err != nil {
			return Config{}, slotErr("archive: %q: %v", h.Name, err)
		}
		seen++
	}
	if seen == 0 {
		return Config{}, slotErr("archive holds no file")
	}
	return c, nil
}

// encodeSlot returns the blocks of a slot holding c as sequence seq.
func encodeSlot(c Config, seq uint64, maxLen int) ([]byte, error) {
	p, err := encodePayload(c)
	if err != nil {
		return nil, err
	}
	if len(p) > maxLen {
		return nil, fmt.Errorf("configuration is %d bytes encoded, the slot holds %d", len(p), maxLen)
	}
	h := header{length: len(p), seq: seq, sum: sha256.Sum256(p)}
	b := make([]byte, BlockSize+roundUp(len(p)))
	copy(b, h.encode())
	copy(b[BlockSize:], p)
	return b, nil
}

// decodeSlot checks a slot's header and payload: b is the header block
// and at least the payload's blocks.
func decodeSlot(b []byte, maxLen int) (Config, header, error) {
	if len(b) < BlockSize {
		return Config{}, header{}, slotErr("slot is %d bytes", len(b))
	}
	h, err := decodeHeader(b[:BlockSize], maxLen)
	if err != nil {
		return Config{}, h, err
	}
	if len(b)-BlockSize < h.length {
		return Config{}, h, slotErr("payload length %d, %d bytes read", h.length, len(b)-BlockSize)
	}
	p := b[BlockSize : BlockSize+h.length]
	if sha256.Sum256(p) != h.sum {
		return Config{}, h, slotErr("payload SHA-256 mismatch (sequence %d, %d bytes)", h.seq, h.length)
	}
	c, err := decodePayload(p)
	return c, h, err
}

func roundUp(n int) int { return (n + BlockSize - 1) / BlockSize * BlockSize }
