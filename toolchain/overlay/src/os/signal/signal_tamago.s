// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Empty: lets signal_tamago.go declare Relay without a body (the runtime
// provides it).
