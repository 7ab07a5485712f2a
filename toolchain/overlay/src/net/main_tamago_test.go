// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Test hooks of package net for GOOS=tamago: the fake network has no
// system sockets to hook, close or hand to a child process.

package net

import "os/exec"

func installTestHooks() {}

func uninstallTestHooks() {}

func forceCloseSockets() {}

func addCmdInheritedHandle(cmd *exec.Cmd, fd uintptr) {}
