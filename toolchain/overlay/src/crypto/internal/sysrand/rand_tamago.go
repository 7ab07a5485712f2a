// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Random bytes for GOOS=tamago come from the runtime, which draws them from
// the board's generator (goos.GetRandomData, e.g. the i.MX6UL RNGB); it
// cannot fail, it may only take time.

package sysrand

import "runtime"

func read(b []byte) error {
	runtime.GetRandomData(b)
	return nil
}
