// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

//go:build !tamago

package runtime

// hwinit1 is the board bring-up hook runtime.main calls before package
// initialisation; only GOOS=tamago has one (os_tamago.go).
func hwinit1() {}
