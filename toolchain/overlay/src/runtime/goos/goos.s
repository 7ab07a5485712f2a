// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file lets goos.go declare functions without bodies: the board
// packages define them through push linknames.
