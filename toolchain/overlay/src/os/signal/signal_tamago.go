// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// os/signal for GOOS=tamago: the Unix signal loop (signal_unix.go) runs
// unchanged; the only source of signals is the interrupt handler of the
// board, which calls Relay (tamago's arm/irq.s relays every IRQ as SIGTRAP).

package signal

import "syscall"

// Relay queues sig for delivery to the channels registered with Notify, as
// a host kernel's signal would be. It does not allocate, block or grow the
// stack, so that an exception handler may call it with interrupts masked.
// Provided by the runtime.
func Relay(sig syscall.Signal)
