//go:build !linux

package vfs

import (
	"os"
	"time"
)

// sysStat is a no-op off Linux: times come from ModTime and inode numbers
// are not reported.
func sysStat(os.FileInfo, *Stat) {}

// hostUtimes emulates UTIME_OMIT by keeping the current modification time.
func hostUtimes(path string, atimeNs, mtimeNs int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	at, mt := fi.ModTime(), fi.ModTime()
	if atimeNs != -1 {
		at = time.Unix(0, atimeNs)
	}
	if mtimeNs != -1 {
		mt = time.Unix(0, mtimeNs)
	}
	return os.Chtimes(path, at, mt)
}
