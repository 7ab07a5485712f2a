// Package noncoherent is a host model of the i.MX6UL memory system as seen by
// a DMA master that is not cache coherent: a Cortex-A7-like write-back data
// cache with 64-byte lines over a RAM, non-cacheable descriptor memory behind
// a store buffer, and an ENET DMA engine speaking the enhanced 32-byte buffer
// descriptor protocol (IMX6ULRM 22.6.14).
//
// It exists so that every missing cache operation or barrier in the receive
// and transmit rings makes a host test fail. It owns nothing of the rings.
//
// # How CPU accesses are modelled
//
// CPU loads of cacheable memory cannot be trapped in Go, so the model keeps a
// "CPU view" byte slice (Bytes) that the rings read and write directly:
//
//   - a line that is present in the cache shows its cached copy;
//     a line that is absent shows RAM (a load would fetch RAM);
//   - DMA writes go to RAM and also to the CPU view of absent lines only,
//     so a line that was present when the device wrote keeps stale data
//     until it is invalidated or evicted;
//   - speculative fills (seeded, at any time, biased to recently used lines)
//     make a line present with the RAM contents of that moment;
//   - CPU stores are detected lazily: the model keeps a shadow copy of the
//     view, and before it touches a line (cache op, DMA, eviction, fill) it
//     compares view and shadow; a difference means the CPU stored there, so
//     the line is present and dirty (write-allocate). A store of the very
//     bytes the view already shows is invisible that way; it matters only
//     on a stale line (view != RAM), where the hardware would write the
//     value back on clean. Writers that may hit such lines (a frame built
//     into a recycled buffer) go through pagepool.Pool.CopyIn, which calls
//     CPUStored to mark every line it wrote;
//   - dirty lines reach RAM only when cleaned or evicted (seeded, random);
//     invalidating a dirty line loses the CPU's data and is reported;
//   - some lines start present and dirty with garbage (DirtyPermille): the
//     CPU used those pages before, so a buffer must be cleaned before the
//     device first owns it;
//   - loads may be satisfied early (before an earlier load of the
//     descriptor's ownership bit) unless a load barrier (DmaRMB) came
//     between: a descriptor word or a cache line the device wrote since the
//     last DmaRMB may then read as its previous value. For data this shows
//     up at invalidation time: the refetched line may hold the pre-DMA RAM.
//     The device's write-back differs from what the CPU wrote in both
//     directions: RX status and length, and on TX the enhanced status with
//     a transmit error (TxErrPermille, counted in ENETStats.TxErrors), so a
//     ring reading it before its dma_rmb miscounts.
//
// Non-cacheable descriptor stores go to a store buffer that drains in random
// order within a barrier epoch: DmaWMB and DmaRMB (DMB OSHST / DMB OSH) start
// a new epoch, so stores before the barrier become visible first; WMB (DSB ST)
// drains everything. The ENET model flags a descriptor whose ownership bit is
// visible while an older store to the same descriptor is still buffered, a
// doorbell rung while stores are still buffered, and fields that are out of
// range. Every cache operation and barrier is counted (Counters).
//
// The model is single threaded: the device runs inside the CPU-side calls
// (a seeded "tick" after each of them) and in explicit Step calls, which
// interleaves DMA with the ring code at random points.
package noncoherent
