// align_test.go: a helper for tests that need aligned host memory.
package pagepool_test

import "unsafe"

func uintptrMod32(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) % 32 }
