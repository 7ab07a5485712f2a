// store.go owns the two-slot logic over a block device: which slot is
// current at boot, and the write that replaces it.
package cfgstore

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
)

// Device is a block medium addressed in BlockSize blocks. Buffers are
// whole blocks; an implementation splits transfers as its hardware needs.
type Device interface {
	ReadBlocks(lba int64, p []byte) error
	WriteBlocks(lba int64, p []byte) error
	// Blocks is the capacity.
	Blocks() int64
	// ReadOnly reports a write-protected medium.
	ReadOnly() bool
}

// ErrReadOnly is returned by Write on a write-protected medium.
var ErrReadOnly = errors.New("medium is read-only")

// Layout places the two slots: slot A at Start, slot B right after it.
type Layout struct {
	Start      int64 // first block of slot A
	SlotBlocks int64 // blocks per slot, header included
}

// DefaultLayout is the card layout (see the package doc): slots of 1 MiB
// from 32 MiB on.
var DefaultLayout = Layout{Start: 65536, SlotBlocks: 2048}

// End is the first block past slot B.
func (l Layout) End() int64 { return l.Start + 2*l.SlotBlocks }

func (l Layout) slotLBA(i int) int64 { return l.Start + int64(i)*l.SlotBlocks }

// maxPayload is a slot's room after its header.
func (l Layout) maxPayload() int { return int((l.SlotBlocks - 1) * BlockSize) }

func (l Layout) check() error {
	if l.Start < 1 || l.SlotBlocks < 2 || l.SlotBlocks > 1<<16 {
		return fmt.Errorf("bad store layout %+v", l)
	}
	return nil
}

// Slot is what Open or Write found in one slot.
type Slot struct {
	Index int    // 0 (A) or 1 (B)
	Seq   uint64 // sequence number, when the header was readable
	Bytes int    // payload length, likewise
	Err   error  // nil: valid
}

// Name is the slot's letter.
func (s Slot) Name() string { return string(rune('A' + s.Index)) }

// Valid reports a slot that holds a configuration.
func (s Slot) Valid() bool { return s.Err == nil }

// Blank reports a slot never written (its header block is zero).
func (s Slot) Blank() bool { return s.Err == errBlank }

func (s Slot) String() string {
	switch {
	case s.Valid():
		return fmt.Sprintf("slot %s: sequence %d, %d bytes", s.Name(), s.Seq, s.Bytes)
	case s.Blank():
		return fmt.Sprintf("slot %s: blank", s.Name())
	default:
		return fmt.Sprintf("slot %s: %v", s.Name(), s.Err)
	}
}

// Store is an opened configuration store. Its methods are safe for
// concurrent use; none is meant for the per-frame path.
type Store struct {
	dev    Device
	layout Layout
	check  func(Config) error

	mu       sync.Mutex
	slots    [2]Slot
	cur      int // index of the current slot, -1 for none
	cfg      Config
	writeErr error // why writes are refused, nil if they are not
}

// Open reads both slots of dev. check (nil: none) must accept a slot's
// configuration for the slot to be valid; Write applies it too. Open fails
// only when the layout does not fit the device; a slot it cannot read is
// reported in Slots.
func Open(dev Device, l Layout, check func(Config) error) (*Store, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	if n := dev.Blocks(); n < l.End() {
		return nil, fmt.Errorf("medium has %d blocks, the store needs %d", n, l.End())
	}
	if check == nil {
		check = func(Config) error { return nil }
	}
	s := &Store{dev: dev, layout: l, check: check, cur: -1}
	if dev.ReadOnly() {
		s.writeErr = ErrReadOnly
	} else {
		mbr := make([]byte, BlockSize)
		if err := dev.ReadBlocks(0, mbr); err != nil {
			s.writeErr = fmt.Errorf("reading the partition table: %w", err)
		} else {
			s.writeErr = checkMBR(mbr, l)
		}
	}
	for i := range s.slots {
		c, sl := s.load(i)
		s.slots[i] = sl
		if sl.Valid() && (s.cur < 0 || sl.Seq > s.slots[s.cur].Seq) {
			s.cur, s.cfg = i, c
		}
	}
	return s, nil
}

// load reads and checks slot i.
func (s *Store) load(i int) (Config, Slot) {
	sl := Slot{Index: i}
	lba := s.layout.slotLBA(i)
	hb := make([]byte, BlockSize)
	if err := s.dev.ReadBlocks(lba, hb); err != nil {
		sl.Err = fmt.Errorf("read: %w", err)
		return Config{}, sl
	}
	h, err := decodeHeader(hb, s.layout.maxPayload())
	sl.Seq, sl.Bytes = h.seq, h.length
	if err != nil {
		sl.Err = err
		return Config{}, sl
	}
	b := make([]byte, BlockSize+roundUp(h.length))
	copy(b, hb)
	if h.length > 0 {
		if err := s.dev.ReadBlocks(lba+1, b[BlockSize:]); err != nil {
			sl.Err = fmt.Errorf("read: %w", err)
			return Config{}, sl
		}
	}
	c, _, err := decodeSlot(b, s.layout.maxPayload())
	if err == nil {
		if cerr := s.check(c); cerr != nil {
			err = slotErr("configuration rejected: %v", cerr)
		}
	}
	sl.Err = err
	return c, sl
}

// Current returns the configuration in force and its slot; ok is false
// when no slot is valid (the caller falls back to its defaults).
func (s *Store) Current() (c Config, sl Slot, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur < 0 {
		return Config{}, Slot{Index: -1}, false
	}
	return s.cfg.clone(), s.slots[s.cur], true
}

// Slots returns what each slot holds, as of Open or the last Write.
func (s *Store) Slots() [2]Slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots
}

// WriteErr says why Write would be refused (read-only medium, a foreign
// partition over the store), or nil.
func (s *Store) WriteErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeErr
}

// Write makes c the configuration in force: it checks c, writes it to the
// slot that is not current with the next sequence number, and returns
// once that slot has been read back and decoded. On any error the
// previous configuration stays current, on the medium and here.
func (s *Store) Write(c Config) (Slot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writeErr != nil {
		return Slot{Index: -1}, s.writeErr
	}
	if err := s.check(c); err != nil {
		return Slot{Index: -1}, fmt.Errorf("configuration rejected: %w", err)
	}
	target, seq := 0, uint64(1)
	if s.cur >= 0 {
		target, seq = 1-s.cur, s.slots[s.cur].Seq+1
	}
	b, err := encodeSlot(c, seq, s.layout.maxPayload())
	if err != nil {
		return Slot{Index: -1}, err
	}
	sl, err := s.writeSlot(target, b)
	s.slots[target] = sl
	if err != nil {
		return sl, err
	}
	s.cur, s.cfg = target, c.clone()
	return sl, nil
}

// writeSlot puts b in slot i — payload, then header — and verifies it.
func (s *Store) writeSlot(i int, b []byte) (Slot, error) {
	lba := s.layout.slotLBA(i)
	fail := func(what string, err error) (Slot, error) {
		err = fmt.Errorf("slot %s: %s: %w", Slot{Index: i}.Name(), what, err)
		return Slot{Index: i, Err: err}, err
	}
	if len(b) > BlockSize {
		if err := s.dev.WriteBlocks(lba+1, b[BlockSize:]); err != nil {
			return fail("writing the payload", err)
		}
	}
	if err := s.dev.WriteBlocks(lba, b[:BlockSize]); err != nil {
		return fail("writing the header", err)
	}
	back := make([]byte, len(b))
	if err := s.dev.ReadBlocks(lba, back); err != nil {
		return fail("reading back", err)
	}
	if !bytes.Equal(back, b) {
		return fail("verify", errors.New("the medium returned other bytes than were written"))
	}
	_, h, err := decodeSlot(back, s.layout.maxPayload())
	if err != nil {
		return fail("verify", err)
	}
	return Slot{Index: i, Seq: h.seq, Bytes: h.length}, nil
}

func (c Config) clone() Config {
	var d Config
	src, dst := c.fields(), d.fields()
	for i := range src {
		if *src[i] != nil {
			*dst[i] = bytes.Clone(*src[i])
		}
	}
	return d
}
