//go:build hwtest

// The configuration store on QEMU's card (the EVK's uSDHC2: -drive
// if=sd,index=1): the appliance boots on the card's newest valid slot, on
// the older slot when the newest is corrupt, on its defaults when the card
// is blank or missing, and says which on the console; the storetest
// firmware's writes persist in the image across QEMU runs. (A read-only
// card is tested on the host only: QEMU 7.2 refuses a read-only drive as
// an SD card.)
package hwtests

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fosbury-net/fosbury/cfgstore"
)

var storetest = flag.String("storetest", "", "configuration store test firmware ELF")

// storeConfig is the compiled-in configuration with the wan port's address
// replaced, so the console's "net: wan:" line shows which one is in force.
func storeConfig(t *testing.T, wan string) cfgstore.Config {
	t.Helper()
	dir := "../firmware/internal/defaults"
	conf, err := os.ReadFile(filepath.Join(dir, "fosbury.conf"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join(dir, "fosbury.rules"))
	if err != nil {
		t.Fatal(err)
	}
	const def = "port wan address 192.168.77.1/24"
	if !strings.Contains(string(conf), def) {
		t.Fatalf("the default fosbury.conf no longer has %q", def)
	}
	return cfgstore.Config{
		Addresses: []byte(strings.Replace(string(conf), def, "port wan address "+wan, 1)),
		Rules:     rules,
	}
}

// newCard writes a card image holding configs, in that order.
func newCard(t *testing.T, configs ...cfgstore.Config) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "card.img")
	if err := cfgstore.CreateImage(img, nil, configs...); err != nil {
		t.Fatal(err)
	}
	return img
}

// openCard reads the store of a card image (Open reads both slots: the
// image is closed again at once).
func openCard(t *testing.T, img string) *cfgstore.Store {
	t.Helper()
	dev, err := cfgstore.OpenFile(img, true)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	st, err := cfgstore.Open(dev, cfgstore.DefaultLayout, cfgstore.Validate)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func cardDrive(img string, opts ...string) []string {
	return []string{"-drive", strings.Join(append([]string{"if=sd,index=1,format=raw,file=" + img}, opts...), ",")}
}

// bootConsole boots the appliance until it has printed its wan addresses
// (after the configuration and the ports are up) and returns the console.
func bootConsole(t *testing.T, extra ...string) string {
	t.Helper()
	r, err := Boot(need(t, firmware, "firmware"), 3*time.Minute, append([]string{"-nic", "none"}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if _, _, err := r.WaitLine("net: wan: ["); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, r.Output())
	}
	out := r.Output()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "config: ") {
			t.Log(strings.TrimSpace(l))
		}
	}
	return out
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("console lacks %q", l)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", out)
	}
}

func TestStoreLoadedFromCard(t *testing.T) {
	img := newCard(t, storeConfig(t, "192.168.78.1/24"))
	out := bootConsole(t, cardDrive(img)...)
	wantLines(t, out,
		"config: microSD (uSDHC2) slot A: sequence 1,",
		"config: microSD (uSDHC2) slot B: blank",
		"config: loaded from microSD (uSDHC2) slot A, sequence 1",
		"net: wan: [192.168.78.1/24]")
}

// A byte of the newest slot's payload corrupted on the card: that slot is
// refused by its SHA-256 and the older slot's configuration boots.
func TestStoreCorruptNewestSlotFallsBack(t *testing.T) {
	img := newCard(t, storeConfig(t, "192.168.78.1/24"), storeConfig(t, "192.168.79.1/24"))
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := cfgstore.DefaultLayout
	off := (l.Start+l.SlotBlocks+1)*cfgstore.BlockSize + 100 // slot B, payload byte 100
	b := []byte{0}
	f.ReadAt(b, off)
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := bootConsole(t, cardDrive(img)...)
	wantLines(t, out,
		"config: microSD (uSDHC2) slot B: payload SHA-256 mismatch (sequence 2,",
		"config: loaded from microSD (uSDHC2) slot A, sequence 1",
		"net: wan: [192.168.78.1/24]")
}

func TestStoreBlankCardGivesDefaults(t *testing.T) {
	out := bootConsole(t, cardDrive(newCard(t))...)
	wantLines(t, out,
		"config: microSD (uSDHC2) slot A: blank",
		"config: microSD (uSDHC2) holds no valid configuration: using the compiled-in defaults",
		"net: wan: [192.168.77.1/24]")
}

func TestStoreNoCardGivesDefaults(t *testing.T) {
	out := bootConsole(t)
	wantLines(t, out,
		"config: microSD (uSDHC2): no card detected on uSDHC2: using the compiled-in defaults",
		"net: wan: [192.168.77.1/24]")
}

// storetest writes through the uSDHC on a blank card, three times, then
// once more in a second QEMU run; the host reads each result from the
// image, and the appliance boots the last one.
func TestStoreWritesPersistAcrossRuns(t *testing.T) {
	elf := need(t, storetest, "storetest")
	img := newCard(t)
	run := func(writes string) {
		t.Helper()
		r, err := Boot(elf, 2*time.Minute, append(cardDrive(img), "-nic", "none", "-append", "storetest writes="+writes)...)
		if err != nil {
			t.Fatal(err)
		}
		code, err := r.Wait()
		t.Logf("console:\n%s", r.Output())
		if err != nil || code != 0 {
			t.Fatalf("storetest exit %d (%v)", code, err)
		}
	}
	slots := func() ([2]cfgstore.Slot, cfgstore.Config) {
		t.Helper()
		st := openCard(t, img)
		c, _, _ := st.Current()
		return st.Slots(), c
	}
	run("3")
	s, c := slots()
	if s[0].Seq != 3 || s[1].Seq != 2 || !s[0].Valid() || !s[1].Valid() || string(c.Options) != "generation 3\n" {
		t.Fatalf("after three writes: %v, options %q", s, c.Options)
	}
	run("1")
	s, c = slots()
	if s[1].Seq != 4 || !s[1].Valid() || string(c.Options) != "generation 4\n" {
		t.Fatalf("after the second run: %v, options %q", s, c.Options)
	}
	wantLines(t, bootConsole(t, cardDrive(img)...), "config: loaded from microSD (uSDHC2) slot B, sequence 4")
}
