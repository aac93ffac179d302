//go:build unix

package vfs

import (
	"fmt"
	"os"
	"syscall"
)

// MapFile maps a host file read-only into memory and returns its bytes, for files the FS
// serves without copying them (the bundle, the cached template cluster, unpacked extension
// bundles): their pages stay out of the Go heap, are shared with the page cache and every
// process on the machine, and become resident only when read. The mapping lives for the
// process. The file must not be truncated or rewritten in place while mapped (the caches
// replace files by rename, which is safe); an empty file gives an empty slice.
func MapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	switch {
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("vfs: map %s: not a regular file", path)
	case size == 0:
		return []byte{}, nil
	case size != int64(int(size)):
		return nil, fmt.Errorf("vfs: map %s: too large", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("vfs: map %s: %w", path, err)
	}
	return b[:size:size], nil
}

// UnmapFile releases bytes MapFile returned, once nothing refers to them any more.
func UnmapFile(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	return syscall.Munmap(b[:cap(b)])
}
