// Checks of the runtime port: scheduler, timers, garbage collector, random
// numbers and panics. Each returns an error that says what was wrong.
//
//go:build tamago && arm

package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"runtime/goos"
	"sync"
	"time"
	_ "unsafe" // go:linkname

	"github.com/fosbury-net/fosbury/board/idle"
)

// checkGoroutines runs a pipeline of goroutines over unbuffered and
// buffered channels and checks the sum arrives intact.
func checkGoroutines() error {
	const workers, items = 64, 1000
	in := make(chan int)
	out := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range in {
				out <- v * 2
			}
		}()
	}
	go func() {
		for i := 1; i <= items; i++ {
			in <- i
		}
		close(in)
		wg.Wait()
		close(out)
	}()
	sum := 0
	for v := range out {
		sum += v
	}
	if want := items * (items + 1); sum != want {
		return fmt.Errorf("pipeline sum %d, want %d", sum, want)
	}
	return nil
}

// checkIdle: while a goroutine sleeps and nothing else runs, the CPU
// halts in the governor (board/idle); and the runtime's clock, which our
// toolchain computes from the generic timer's count itself, reads the
// same time as the board's scale of that count (nothing moved the clock
// with SetTime here, so the offset is 0).
func checkIdle() error {
	s0 := idle.Read()
	time.Sleep(50 * time.Millisecond)
	s1 := idle.Read()
	idleNS, upNS := s1.IdleNS-s0.IdleNS, s1.UptimeNS-s0.UptimeNS
	if s1.IdleNS <= s0.IdleNS {
		return fmt.Errorf("no idle time during a 50ms sleep (%d ns, then %d ns)", s0.IdleNS, s1.IdleNS)
	}
	if idleNS > upNS {
		return fmt.Errorf("idle %d ns over an uptime of %d ns", idleNS, upNS)
	}
	for range 1000 {
		before := idle.Read().UptimeNS
		now := uint64(nanotime())
		after := idle.Read().UptimeNS
		if now < before || now > after {
			return fmt.Errorf("runtime clock %d ns outside the board's [%d, %d]", now, before, after)
		}
	}
	fmt.Printf("selftest: idle %v of %v during a 50ms sleep\n", time.Duration(idleNS), time.Duration(upNS))
	return nil
}

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Sleep bounds, in guest time: never early, and late by at most sleepSlack
// (QEMU's guest clock follows the host's, which a loaded host delays).
const sleepSlack = 500 * time.Millisecond

func checkSleep() error {
	for _, d := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond} {
		t0 := time.Now()
		time.Sleep(d)
		got := time.Since(t0)
		if got < d || got > d+sleepSlack {
			return fmt.Errorf("Sleep(%v) took %v, want [%v, %v]", d, got, d, d+sleepSlack)
		}
		fmt.Printf("selftest: sleep %v took %v\n", d, got)
	}
	return nil
}

// checkTimers covers timers firing in order, Stop, Reset and tickers.
func checkTimers() error {
	order := make(chan int, 3)
	for _, i := range []int{3, 1, 2} {
		time.AfterFunc(time.Duration(i)*10*time.Millisecond, func() { order <- i })
	}
	for want := 1; want <= 3; want++ {
		if got := <-order; got != want {
			return fmt.Errorf("AfterFunc fired %d, want %d", got, want)
		}
	}
	stopped := time.NewTimer(20 * time.Millisecond)
	if !stopped.Stop() {
		return errors.New("Stop of a pending timer returned false")
	}
	reset := time.NewTimer(time.Hour)
	reset.Reset(5 * time.Millisecond)
	select {
	case <-reset.C:
	case <-stopped.C:
		return errors.New("a stopped timer fired")
	case <-time.After(2 * time.Second):
		return errors.New("a reset timer did not fire")
	}
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	for i := 0; i < 5; i++ {
		<-tk.C
	}
	return nil
}

// checkGC churns through 96 MiB of allocations while holding a bounded
// window of 8 MiB live, then checks the collector ran and the heap did not
// grow with the churn.
func checkGC() error {
	const chunk, window, churn = 1 << 20, 8, 96
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	live := make([][]byte, window)
	for i := 0; i < churn; i++ {
		b := make([]byte, chunk)
		b[0], b[chunk-1] = byte(i), byte(i)
		live[i%window] = b
	}
	for i, b := range live {
		if b[0] != b[chunk-1] {
			return fmt.Errorf("chunk %d corrupted", i)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.NumGC == before.NumGC {
		return errors.New("no garbage collection ran during 96 MiB of churn")
	}
	if after.HeapSys > 64<<20 {
		return fmt.Errorf("heap grew to %d MiB for 8 MiB live", after.HeapSys>>20)
	}
	fmt.Printf("selftest: gc cycles %d, heap %d MiB\n", after.NumGC-before.NumGC, after.HeapSys>>20)
	return nil
}

func checkRand() error {
	a, b := make([]byte, 64), make([]byte, 64)
	if _, err := rand.Read(a); err != nil {
		return err
	}
	if _, err := rand.Read(b); err != nil {
		return err
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 64)) {
		return fmt.Errorf("crypto/rand returned repeated or zero data: %x", a[:8])
	}
	return nil
}

// panicInGoroutine panics on another goroutine; the runtime must print the
// panic with a stack trace and exit with a non-zero status.
func panicInGoroutine() {
	go func() {
		var m map[string]int
		m["selftest"]++ // deliberate: assignment to entry in nil map
	}()
	time.Sleep(2 * time.Second)
	fmt.Println("selftest: FAIL: the goroutine panic did not stop the program")
	goos.Exit(3)
}
