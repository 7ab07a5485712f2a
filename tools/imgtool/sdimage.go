// sdimage.go owns the card image: what `make sdimage` writes and `make
// qemu` attaches, laid out as cfgstore's package doc says.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fosbury-net/fosbury/cfgstore"
)

// cardSize is the image's size: QEMU takes only power-of-two SD images
// and makes one larger than 2 GiB a high-capacity (SDHC) card, which is
// what the firmware supports. The file is sparse: about 10 MiB on disk.
const cardSize = 4 << 30

// imxOffset is where the i.MX boot ROM looks for the image on SD/MMC
// (IMX6ULRM 8.7.1, the IVT offset table: 1 KiB).
const imxOffset = 1024

// readConfigDir reads the store's files from dir; absent ones stay empty,
// other files are not the store's business (the defaults directory holds
// Go sources too).
func readConfigDir(dir string) (cfgstore.Config, error) {
	var c cfgstore.Config
	for _, name := range cfgstore.Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return c, err
		}
		*c.File(name) = b
	}
	return c, cfgstore.Validate(c)
}

// writeCard writes the image to out.tmp and renames it over out only when
// complete, so a failed run leaves any previous image as it was.
func writeCard(out, imxPath, dir string) error {
	c, err := readConfigDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	imx, err := os.ReadFile(imxPath)
	if err != nil {
		return err
	}
	if room := cfgstore.DefaultLayout.Start*cfgstore.BlockSize - imxOffset; int64(len(imx)) > room {
		return fmt.Errorf("%s is %d bytes: the store begins %d bytes after it", imxPath, len(imx), room)
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = f.Truncate(cardSize)
	if err == nil {
		_, err = f.WriteAt(cfgstore.MBR(cfgstore.DefaultLayout), 0)
	}
	if err == nil {
		_, err = f.WriteAt(imx, imxOffset)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dev, err := cfgstore.OpenFile(tmp, false)
	if err != nil {
		return err
	}
	defer dev.Close()
	st, err := cfgstore.Open(dev, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		return err
	}
	if _, err := st.Write(c); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// showCard prints each slot and the names and sizes of the files in force.
func showCard(w io.Writer, img string) error {
	dev, err := cfgstore.OpenFile(img, true)
	if err != nil {
		return err
	}
	defer dev.Close()
	st, err := cfgstore.Open(dev, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		return err
	}
	for _, sl := range st.Slots() {
		fmt.Fprintln(w, sl)
	}
	c, sl, ok := st.Current()
	if !ok {
		fmt.Fprintln(w, "no valid slot: the firmware boots on its compiled-in defaults")
		return nil
	}
	fmt.Fprintf(w, "in force: slot %s\n", sl.Name())
	for _, name := range cfgstore.Files {
		if b := *c.File(name); len(b) > 0 {
			fmt.Fprintf(w, "  %s: %d bytes\n", name, len(b))
		}
	}
	return nil
}
