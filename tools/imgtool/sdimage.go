// sdimage.go owns the card image: what `make sdimage` writes and `make
// qemu` attaches, laid out as cfgstore's package doc says.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/mgmt/auth"
)

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

// writeCard writes the image of imxPath and the configuration in dir.
func writeCard(out, imxPath, dir string) error {
	c, err := readConfigDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	imx, err := os.ReadFile(imxPath)
	if err != nil {
		return err
	}
	return cfgstore.CreateImage(out, imx, c)
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

// writeToken makes an API token for a card written from dir: the token
// goes to w (the only copy), its hash to dir/fosbury.auth.
func writeToken(w io.Writer, dir string) error {
	tok, f := auth.NewToken()
	if err := os.WriteFile(filepath.Join(dir, auth.FileName), f.Marshal(), 0o600); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s\n", tok)
	return err
}
