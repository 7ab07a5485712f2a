// Copyright 2026 The fosbury Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// GOOS=tamago has no certificate store: SystemCertPool is empty (unless
// SSL_CERT_FILE or SSL_CERT_DIR name files, which the empty file system
// does not hold). Firmware passes its roots in VerifyOptions.Roots.

package x509

var certFiles = []string{}

var certDirectories = []string{}
