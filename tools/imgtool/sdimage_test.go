// The card image: partition table, .imx at 1 KiB, the configuration in
// slot A; a bad configuration writes nothing.
package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fosbury-net/fosbury/cfgstore"
	"github.com/fosbury-net/fosbury/mgmt/auth"
)

func TestSDImage(t *testing.T) {
	dir := t.TempDir()
	imx := bytes.Repeat([]byte{0xd1, 0, 0x20, 0x40}, 1000)
	os.WriteFile(filepath.Join(dir, "f.imx"), imx, 0o644)
	conf := "port lan address 10.9.0.1/24\nhttp 80\n"
	os.WriteFile(filepath.Join(dir, "fosbury.conf"), []byte(conf), 0o644)
	os.WriteFile(filepath.Join(dir, "fosbury.rules"), []byte("set default drop\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not ours"), 0o644)
	out := filepath.Join(dir, "card.img")
	if err := writeCard(out, filepath.Join(dir, "f.imx"), dir); err != nil {
		t.Fatal(err)
	}
	img := head(t, out)
	if st, _ := os.Stat(out); st.Size() != cfgstore.ImageSize || !bytes.Equal(img[cfgstore.IMXOffset:cfgstore.IMXOffset+len(imx)], imx) ||
		!bytes.Equal(img[:cfgstore.BlockSize], cfgstore.MBR(cfgstore.DefaultLayout)) {
		t.Fatal("image size, partition table or .imx wrong")
	}
	var show strings.Builder
	if err := showCard(&show, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(show.String(), "slot A: sequence 1") || !strings.Contains(show.String(), "slot B: blank") {
		t.Fatalf("sdshow:\n%s", show.String())
	}
	dev, _ := cfgstore.OpenFile(out, true)
	defer dev.Close()
	st, _ := cfgstore.Open(dev, cfgstore.DefaultLayout, nil)
	c, _, ok := st.Current()
	if !ok || string(c.Addresses) != conf || c.Credentials != nil {
		t.Fatalf("stored configuration %q (ok %v)", c.Addresses, ok)
	}

	// A rules file that does not compile: an error, and the old image stays.
	os.WriteFile(filepath.Join(dir, "fosbury.rules"), []byte("pass bogus\n"), 0o644)
	err := writeCard(out, filepath.Join(dir, "f.imx"), dir)
	if err == nil || !strings.Contains(err.Error(), "fosbury.rules") {
		t.Fatalf("bad rules: %v", err)
	}
	if !bytes.Equal(head(t, out), img) {
		t.Fatal("a failed sdimage changed the existing image")
	}
	if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary image left behind")
	}
}

// head reads what the image holds before the end of the store (the rest of
// the 4 GiB is sparse zeros).
func head(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, cfgstore.DefaultLayout.End()*cfgstore.BlockSize)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

// imgtool token: the printed token is what the written fosbury.auth
// accepts, and the card written from that directory holds it.
func TestToken(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fosbury.conf"), []byte("port lan address 10.9.0.1/24\nhttp 80\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "fosbury.rules"), []byte("set default drop\n"), 0o644)
	var out strings.Builder
	if err := writeToken(&out, dir); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out.String())
	c, err := readConfigDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := auth.Parse(c.Credentials)
	if err != nil || f != auth.FileFor(tok) || bytes.Contains(c.Credentials, []byte(tok)) {
		t.Fatalf("fosbury.auth %q for token %q: %v", c.Credentials, tok, err)
	}
}
