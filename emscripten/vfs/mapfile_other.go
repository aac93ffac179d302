//go:build !unix

package vfs

import "os"

// MapFile reads a host file into memory where the platform has no mmap here; see the unix
// version for what callers may rely on.
func MapFile(path string) ([]byte, error) { return os.ReadFile(path) }

// UnmapFile is a no-op: the garbage collector frees what MapFile read.
func UnmapFile(b []byte) error { return nil }
