// file.go owns FileDevice: a card image on the host as a Device, for
// imgtool and the QEMU tests.
package cfgstore

import (
	"fmt"
	"os"
)

// FileDevice is a card image file.
type FileDevice struct {
	f        *os.File
	blocks   int64
	readOnly bool
}

// OpenFile opens a card image; readOnly opens it for reading only.
func OpenFile(path string, readOnly bool) (*FileDevice, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &FileDevice{f: f, blocks: st.Size() / BlockSize, readOnly: readOnly}, nil
}

func (d *FileDevice) Close() error   { return d.f.Close() }
func (d *FileDevice) Blocks() int64  { return d.blocks }
func (d *FileDevice) ReadOnly() bool { return d.readOnly }

func (d *FileDevice) ReadBlocks(lba int64, p []byte) error {
	if len(p)%BlockSize != 0 {
		return fmt.Errorf("read of %d bytes is not whole blocks", len(p))
	}
	_, err := d.f.ReadAt(p, lba*BlockSize)
	return err
}

func (d *FileDevice) WriteBlocks(lba int64, p []byte) error {
	if len(p)%BlockSize != 0 {
		return fmt.Errorf("write of %d bytes is not whole blocks", len(p))
	}
	if d.readOnly {
		return ErrReadOnly
	}
	if _, err := d.f.WriteAt(p, lba*BlockSize); err != nil {
		return err
	}
	return d.f.Sync()
}
