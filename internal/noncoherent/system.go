// system.go owns the cacheable DMA region: RAM, the CPU view, per-line cache
// state, the CPU-side cache maintenance and barrier operations (the
// pagepool.Memory contract), and the seeded background events (tick).
package noncoherent

import (
	"bytes"
	"fmt"
)

// LineSize is the Cortex-A7 data cache line size in bytes.
const LineSize = 64

// Config sets the size of the modelled region and how hostile the model is.
// Probabilities are per mille, drawn after every CPU-side operation.
type Config struct {
	Seed       uint64
	RegionSize int     // bytes of cacheable DMA memory, a multiple of 4096
	BusBase    uintptr // device address of byte 0 (default 0x88000000)

	EvictPermille  int // evict one line (write back if dirty)
	FillPermille   int // speculatively fill one line
	DrainPermille  int // drain one store-buffer entry
	DevicePermille int // let each device process one descriptor
	StalePermille  int // a load not ordered by DmaRMB returns the old value
	StoreBuffer    int // store-buffer entries per descriptor region (default 8)

	// DirtyPermille of the lines start present and dirty with garbage, at
	// New: the CPU used those pages before the rings did (an earlier ring,
	// a released TX reservation), so a buffer not cleaned before the
	// device first owns it may be overwritten by an eviction.
	DirtyPermille int
	// TxErrPermille of the transmitted frames complete with a TX error
	// written back into the enhanced status (TXE and one cause).
	TxErrPermille int
}

// DefaultConfig is hostile enough that every missing operation shows in a
// few thousand frames, and cheap enough for millions.
func DefaultConfig(seed uint64, regionSize int) Config {
	return Config{
		Seed: seed, RegionSize: regionSize,
		EvictPermille: 150, FillPermille: 300, DrainPermille: 400,
		DevicePermille: 120, StalePermille: 500, StoreBuffer: 8,
		DirtyPermille: 100, TxErrPermille: 20,
	}
}

// Counters counts every operation the CPU asked for and every model event.
type Counters struct {
	CleanOps, InvalidateOps     uint64 // range calls
	CleanLines, InvalidateLines uint64 // lines maintained
	DmaRMB, DmaWMB, WMB         uint64 // barriers
	DescLoads, DescStores       uint64
	Doorbells                   uint64
	Evictions, Writebacks       uint64
	SpecFills, StaleFills       uint64
	StaleDescLoads              uint64
	DMAWriteBytes, DMAReadBytes uint64
}

// Barriers is the total number of barriers issued.
func (c Counters) Barriers() uint64 { return c.DmaRMB + c.DmaWMB + c.WMB }

// Lines is the total number of cache lines maintained.
func (c Counters) Lines() uint64 { return c.CleanLines + c.InvalidateLines }

const (
	present = 1 << iota
	dirty
)

// System is one modelled SoC memory system. Not safe for concurrent use.
type System struct {
	cfg    Config
	ram    []byte // what the device sees
	cpu    []byte // what CPU loads return (see package doc)
	shadow []byte // cpu as last observed by the model
	prev   []byte // RAM before the latest DMA write not yet ordered by DmaRMB
	state  []uint8
	dmaGen []uint64 // rmbs+1 at the last DMA write to the line, 0 if observed

	rmbs   uint64 // DmaRMB count: orders loads
	epoch  uint64 // store-barrier epoch
	rng    rng
	recent [256]int32
	rpos   int
	inTick bool

	descs []*DescRegion
	devs  []*ENET

	C      Counters
	errs   []string
	nerrs  int
	onFail func(string)
}

// New builds a model with all of RAM zero and the cache empty but for the
// DirtyPermille lines.
func New(cfg Config) (*System, error) {
	if cfg.RegionSize <= 0 || cfg.RegionSize%4096 != 0 {
		return nil, fmt.Errorf("noncoherent: region size %d is not a positive multiple of 4096", cfg.RegionSize)
	}
	if cfg.BusBase == 0 {
		cfg.BusBase = 0x88000000
	}
	if cfg.StoreBuffer <= 0 {
		cfg.StoreBuffer = 8
	}
	n := cfg.RegionSize
	s := &System{
		cfg: cfg, ram: make([]byte, n), cpu: make([]byte, n),
		shadow: make([]byte, n), prev: make([]byte, n),
		state: make([]uint8, n/LineSize), dmaGen: make([]uint64, n/LineSize),
		rng: newRNG(cfg.Seed), rmbs: 1,
	}
	for i := range s.recent {
		s.recent[i] = int32(s.rng.intn(len(s.state)))
	}
	for l := range s.state {
		if !s.rng.permille(cfg.DirtyPermille) {
			continue
		}
		o := l * LineSize
		for i := o; i < o+LineSize; i++ {
			s.cpu[i] = byte(s.rng.next())
		}
		copy(s.shadow[o:o+LineSize], s.cpu[o:o+LineSize])
		s.state[l] = present | dirty
	}
	return s, nil
}

// SetConfig changes the event probabilities (not the region) mid-run.
func (s *System) SetConfig(c Config) {
	c.Seed, c.RegionSize, c.BusBase = s.cfg.Seed, s.cfg.RegionSize, s.cfg.BusBase
	if c.StoreBuffer <= 0 {
		c.StoreBuffer = s.cfg.StoreBuffer
	}
	s.cfg = c
}

// Config returns the active configuration.
func (s *System) Config() Config { return s.cfg }

// Bytes is the CPU view of the cacheable region (pagepool.Memory).
func (s *System) Bytes() []byte { return s.cpu }

// BusAddr is the device address of Bytes()[0] (pagepool.Memory).
func (s *System) BusAddr() uintptr { return s.cfg.BusBase }

// RAM is the device's view, for tests that check what reached memory.
func (s *System) RAM() []byte { return s.ram }

// Errors returns the protocol violations seen so far (first 32 messages) and
// their total number.
func (s *System) Errors() ([]string, int) { return s.errs, s.nerrs }

// OnError registers a hook called at each violation (tests stop early).
func (s *System) OnError(fn func(string)) { s.onFail = fn }

func (s *System) fail(format string, a ...any) {
	s.nerrs++
	if len(s.errs) < 32 {
		msg := fmt.Sprintf(format, a...)
		s.errs = append(s.errs, msg)
		if s.onFail != nil {
			s.onFail(msg)
		}
	}
}

func (s *System) touch(l int) {
	s.recent[s.rpos] = int32(l)
	s.rpos = (s.rpos + 1) % len(s.recent)
}

// observe detects CPU stores made through the view since the model last
// looked at line l: such a line is present and dirty (write-allocate).
func (s *System) observe(l int) {
	a, b := l*LineSize, (l+1)*LineSize
	if !bytes.Equal(s.cpu[a:b], s.shadow[a:b]) {
		copy(s.shadow[a:b], s.cpu[a:b])
		s.state[l] |= present | dirty
	}
}

func (s *System) lines(off, n int) (int, int) {
	if off < 0 || n <= 0 || off+n > len(s.ram) {
		s.fail("cache op out of region: off %d len %d", off, n)
		return 0, 0
	}
	return off / LineSize, (off+n-1)/LineSize + 1
}

// CPUStored tells the model that the CPU stored to [off, off+n): the lines
// become present and dirty even where the bytes did not change
// (pagepool.StoreTracker).
func (s *System) CPUStored(off, n int) {
	a, b := s.lines(off, n)
	for l := a; l < b; l++ {
		s.observe(l)
		s.state[l] |= present | dirty
	}
}

// Clean writes dirty lines covering [off, off+n) back to RAM (DCCMVAC).
func (s *System) Clean(off, n int) {
	s.C.CleanOps++
	a, b := s.lines(off, n)
	for l := a; l < b; l++ {
		s.C.CleanLines++
		s.observe(l)
		if s.state[l]&dirty != 0 {
			o := l * LineSize
			copy(s.ram[o:o+LineSize], s.cpu[o:o+LineSize])
			s.state[l] &^= dirty
		}
		s.touch(l)
	}
	s.tick()
}

// Invalidate discards the lines covering [off, off+n) (DCIMVAC). A dirty
// line loses its data: reported. A line the device wrote since the last
// DmaRMB may be refetched early, i.e. with the RAM from before that write.
func (s *System) Invalidate(off, n int) {
	s.C.InvalidateOps++
	a, b := s.lines(off, n)
	for l := a; l < b; l++ {
		s.C.InvalidateLines++
		s.observe(l)
		o := l * LineSize
		if s.state[l]&dirty != 0 {
			s.fail("invalidate of dirty line at offset %#x: CPU data lost", o)
		}
		if s.dmaGen[l] == s.rmbs && s.rng.permille(s.cfg.StalePermille) {
			// The load that follows was performed before the ownership
			// check: it saw RAM as it was before the device's write.
			copy(s.cpu[o:o+LineSize], s.prev[o:o+LineSize])
			s.state[l] = present
			s.C.StaleFills++
		} else {
			copy(s.cpu[o:o+LineSize], s.ram[o:o+LineSize])
			s.state[l] = 0
			s.dmaGen[l] = 0
		}
		copy(s.shadow[o:o+LineSize], s.cpu[o:o+LineSize])
		s.touch(l)
	}
	s.tick()
}

// DmaRMB is DMB OSH: orders earlier loads (and stores) before later ones.
func (s *System) DmaRMB() {
	s.C.DmaRMB++
	s.rmbs++
	s.epoch++
	s.tick()
}

// DmaWMB is DMB OSHST: stores before it become visible before stores after.
func (s *System) DmaWMB() {
	s.C.DmaWMB++
	s.epoch++
	s.tick()
}

// WMB is DSB ST: waits until every buffered store is visible.
func (s *System) WMB() {
	s.C.WMB++
	for _, d := range s.descs {
		d.drainAll()
	}
	s.epoch++
	s.tick()
}

// dmaWrite is a device write to RAM at region offset off.
func (s *System) dmaWrite(off int, p []byte) {
	s.C.DMAWriteBytes += uint64(len(p))
	for len(p) > 0 {
		l := off / LineSize
		o := l * LineSize
		n := min(LineSize-(off-o), len(p))
		s.observe(l)
		if s.dmaGen[l] != s.rmbs {
			copy(s.prev[o:o+LineSize], s.ram[o:o+LineSize])
			s.dmaGen[l] = s.rmbs
		}
		copy(s.ram[off:off+n], p[:n])
		if s.state[l]&present == 0 {
			copy(s.cpu[off:off+n], p[:n])
			copy(s.shadow[off:off+n], p[:n])
		}
		s.touch(l)
		off += n
		p = p[n:]
	}
}

// dmaRead is a device read of RAM: dirty cache lines are not seen.
func (s *System) dmaRead(off int, p []byte) {
	s.C.DMAReadBytes += uint64(len(p))
	for l := off / LineSize; l <= (off+len(p)-1)/LineSize; l++ {
		s.observe(l)
	}
	copy(p, s.ram[off:off+len(p)])
}

func (s *System) pickLine() int {
	if s.rng.intn(4) != 0 {
		return int(s.recent[s.rng.intn(len(s.recent))])
	}
	return s.rng.intn(len(s.state))
}

func (s *System) evict(l int) {
	s.observe(l)
	if s.state[l]&present == 0 {
		return
	}
	o := l * LineSize
	s.C.Evictions++
	if s.state[l]&dirty != 0 {
		copy(s.ram[o:o+LineSize], s.cpu[o:o+LineSize])
		s.C.Writebacks++
	}
	copy(s.cpu[o:o+LineSize], s.ram[o:o+LineSize])
	copy(s.shadow[o:o+LineSize], s.ram[o:o+LineSize])
	s.state[l] = 0
}

func (s *System) fill(l int) {
	s.observe(l)
	if s.state[l]&present == 0 {
		s.state[l] = present // absent lines already show RAM
		s.C.SpecFills++
	}
}

// tick runs the seeded background events after a CPU-side operation.
func (s *System) tick() {
	if s.inTick {
		return
	}
	s.inTick = true
	if s.rng.permille(s.cfg.EvictPermille) {
		s.evict(s.pickLine())
	}
	if s.rng.permille(s.cfg.FillPermille) {
		l := s.pickLine()
		s.fill(l)
		if l+1 < len(s.state) {
			s.fill(l + 1) // the prefetcher streams ahead
		}
	}
	for _, d := range s.descs {
		if len(d.sb) > 0 && s.rng.permille(s.cfg.DrainPermille) {
			d.drainOne()
		}
	}
	for _, e := range s.devs {
		if s.rng.permille(s.cfg.DevicePermille) {
			e.Step(1)
		}
	}
	s.inTick = false
}

// Churn runs n background events as if the CPU were busy elsewhere.
func (s *System) Churn(n int) {
	for range n {
		s.tick()
	}
}

// Quiesce drains every store buffer and lets every device finish its work:
// the end of a test, when the CPU waits for the hardware.
func (s *System) Quiesce() {
	for _, d := range s.descs {
		d.drainAll()
	}
	for _, e := range s.devs {
		for e.Step(64) > 0 {
		}
	}
	s.rmbs++ // time passed: no later load can be satisfied from before now
}

// LineState reports whether the line holding off is present and dirty.
func (s *System) LineState(off int) (isPresent, isDirty bool) {
	l := off / LineSize
	s.observe(l)
	return s.state[l]&present != 0, s.state[l]&dirty != 0
}
