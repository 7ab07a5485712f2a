// Command imgtool turns the firmware ELF into the images a board boots:
//
//	imgtool bin ELF OUT        raw binary of the loadable segments, from the lowest
//	                           physical address (what mkimage -T imximage wraps)
//	imgtool imx-entry ELF IMX  set the i.MX Image Vector Table entry to the ELF's
//	                           e_entry (mkimage's -e wrote the load address there)
//	imgtool sdimage OUT IMX DIR  a card image: partition table, the .imx at 1 KiB and
//	                           the configuration files of DIR in the store (cfgstore)
//	imgtool sdshow IMG         what each store slot of a card image holds
//	imgtool token DIR          a new API token: prints it, writes DIR/fosbury.auth
//	                           (its SHA-256) for sdimage
//
// It runs on the host; it touches only the files it is given.
package main

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

const usage = `usage: imgtool bin ELF OUT | imgtool imx-entry ELF IMX |
       imgtool sdimage OUT IMX DIR | imgtool sdshow IMG | imgtool token DIR`

func main() {
	args := map[string]int{"bin": 2, "imx-entry": 2, "sdimage": 3, "sdshow": 1, "token": 1}
	if len(os.Args) < 2 || args[os.Args[1]] != len(os.Args)-2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	a := os.Args[2:]
	switch os.Args[1] {
	case "bin":
		err = writeBin(a[0], a[1])
	case "imx-entry":
		err = patchIVTEntry(a[0], a[1])
	case "sdimage":
		err = writeCard(a[0], a[1], a[2])
	case "sdshow":
		err = showCard(os.Stdout, a[0])
	case "token":
		err = writeToken(os.Stdout, a[0])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imgtool:", err)
		os.Exit(1)
	}
}

// maxImage bounds the flattened image: a gap between segments larger than
// this is a linker-script mistake, not something to pad with zeros.
const maxImage = 64 << 20

func writeBin(elfPath, out string) error {
	f, err := elf.Open(elfPath)
	if err != nil {
		return err
	}
	defer f.Close()
	var lo, hi uint64 = ^uint64(0), 0
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		lo = min(lo, p.Paddr)
		hi = max(hi, p.Paddr+p.Filesz)
	}
	if hi == 0 {
		return errors.New("no loadable segments")
	}
	if hi-lo > maxImage {
		return fmt.Errorf("segments span %d bytes (> %d)", hi-lo, maxImage)
	}
	img := make([]byte, hi-lo)
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		if _, err := io.ReadFull(p.Open(), img[p.Paddr-lo:p.Paddr-lo+p.Filesz]); err != nil {
			return fmt.Errorf("segment at %#x: %w", p.Paddr, err)
		}
	}
	return os.WriteFile(out, img, 0o644)
}

// IVT layout (IMX6ULRM 8.7.1.1): header (tag 0xD1, length 0x0020 big
// endian, version 0x40 or 0x41) then the entry address, little endian.
func patchIVTEntry(elfPath, imxPath string) error {
	f, err := elf.Open(elfPath)
	if err != nil {
		return err
	}
	entry := f.Entry
	f.Close()
	if entry > 0xffffffff {
		return fmt.Errorf("entry %#x is not 32-bit", entry)
	}
	img, err := os.ReadFile(imxPath)
	if err != nil {
		return err
	}
	if len(img) < 8 || img[0] != 0xd1 || binary.BigEndian.Uint16(img[1:3]) != 0x20 || img[3]&0xf0 != 0x40 {
		return fmt.Errorf("%s: no IVT header at offset 0", imxPath)
	}
	binary.LittleEndian.PutUint32(img[4:8], uint32(entry))
	return os.WriteFile(imxPath, img, 0o644)
}
