// memdev.go owns MemDevice, the store's host medium for tests: bytes in
// memory that can lose power after a chosen number of written bytes.
package cfgstore

import (
	"errors"
	"fmt"
)

// ErrPowerCut is what a MemDevice returns once its power is cut.
var ErrPowerCut = errors.New("power cut")

// MemDevice is a Device in memory. With CutAfter >= 0 it stops after that
// many bytes have been written through it: the block being written then
// holds the new bytes before the cut and garbage after (a card may leave
// anything in a block it was programming), later blocks keep their old
// contents, and every access fails until Restore.
type MemDevice struct {
	Data      []byte
	Protected bool  // ReadOnly
	CutAfter  int64 // bytes to write before the cut; < 0: never
	Written   int64 // bytes written so far
	dead      bool
}

// NewMemDevice returns a blank device of n blocks.
func NewMemDevice(blocks int64) *MemDevice {
	return &MemDevice{Data: make([]byte, blocks*BlockSize), CutAfter: -1}
}

// Restore powers the device back on, as a reboot does, with no cut armed.
func (d *MemDevice) Restore() { d.dead, d.CutAfter = false, -1 }

func (d *MemDevice) Blocks() int64  { return int64(len(d.Data)) / BlockSize }
func (d *MemDevice) ReadOnly() bool { return d.Protected }

func (d *MemDevice) span(lba int64, p []byte) ([]byte, error) {
	if d.dead {
		return nil, ErrPowerCut
	}
	if len(p)%BlockSize != 0 || lba < 0 || lba+int64(len(p)/BlockSize) > d.Blocks() {
		return nil, fmt.Errorf("bad transfer: %d bytes at block %d of %d", len(p), lba, d.Blocks())
	}
	return d.Data[lba*BlockSize:][:len(p)], nil
}

func (d *MemDevice) ReadBlocks(lba int64, p []byte) error {
	s, err := d.span(lba, p)
	if err == nil {
		copy(p, s)
	}
	return err
}

func (d *MemDevice) WriteBlocks(lba int64, p []byte) error {
	s, err := d.span(lba, p)
	if err != nil {
		return err
	}
	if d.Protected {
		return ErrReadOnly
	}
	if d.CutAfter < 0 || d.Written+int64(len(p)) <= d.CutAfter {
		copy(s, p)
		d.Written += int64(len(p))
		return nil
	}
	n := d.CutAfter - d.Written
	copy(s[:n], p[:n])
	for i := n; i < (n/BlockSize+1)*BlockSize && i < int64(len(s)); i++ {
		s[i] = byte(i*131) ^ 0x5a
	}
	d.Written, d.dead = d.CutAfter, true
	return ErrPowerCut
}
