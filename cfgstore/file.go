// file.go owns card images on the host: FileDevice, a Device over an
// image file, and CreateImage, which lays a card out (for imgtool and the
// QEMU tests).
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

// ImageSize is a card image's size: QEMU takes only power-of-two SD images
// and makes one larger than 2 GiB a high-capacity (SDHC) card, the kind
// the firmware supports. The file is sparse: what it holds is at its start.
const ImageSize = 4 << 30

// IMXOffset is where the i.MX boot ROM looks for the firmware on SD/MMC
// (IMX6ULRM 8.7.1, the IVT offset table: 1 KiB).
const IMXOffset = 1024

// CreateImage writes a card image to path: the partition table (MBR), imx
// at IMXOffset, and each configuration written to the store in turn (the
// last in force). It builds path.tmp and renames it over path only when
// complete, so a failure leaves any previous image as it was.
func CreateImage(path string, imx []byte, configs ...Config) error {
	l := DefaultLayout
	if room := l.Start*BlockSize - IMXOffset; int64(len(imx)) > room {
		return fmt.Errorf("firmware image is %d bytes: the store begins %d bytes after its start", len(imx), room)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = f.Truncate(ImageSize)
	if err == nil {
		_, err = f.WriteAt(MBR(l), 0)
	}
	if err == nil {
		_, err = f.WriteAt(imx, IMXOffset)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dev, err := OpenFile(tmp, false)
	if err != nil {
		return err
	}
	defer dev.Close()
	st, err := Open(dev, l, Validate)
	if err != nil {
		return err
	}
	for _, c := range configs {
		if _, err := st.Write(c); err != nil {
			return err
		}
	}
	return os.Rename(tmp, path)
}
