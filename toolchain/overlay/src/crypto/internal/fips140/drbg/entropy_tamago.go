// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// FIPS 140-3 seeding for GOOS=tamago. The CPU-jitter entropy source of the
// other systems (entropy_fips140.go) keeps a 32 MiB scratch buffer in BSS,
// which bare metal would have to zero in RAM at every boot, and FIPS 140-3
// validation does not cover tamago anyway. The seed comes from the board's
// generator through the runtime (crypto/internal/sysrand), the same source
// as outside FIPS mode: FIPS mode keeps working, without the SP 800-90B
// claim for its entropy.

package drbg

import "crypto/internal/sysrand"

func getEntropy() *[SeedSize]byte {
	var seed [SeedSize]byte
	sysrand.Read(seed[:])
	return &seed
}
