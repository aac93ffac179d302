package emscripten

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// memImage holds a snapshot's linear memory in a memfd. Restoring maps it copy-on-write
// over the start of the new process's reservation: a clone shares every page with the
// snapshot until it writes one, so a restore costs one mmap instead of copying (and
// faulting in) the 128 MiB+ that PostgreSQL's memory spans, most of it untouched.
type memImage struct {
	fd   int
	size int
	copy []byte // used instead of fd when memfd is unavailable
}

// imageBlock is the granularity of the sparse write: all-zero blocks stay holes.
const imageBlock = 1 << 16

// newMemImage captures mem. Only blocks holding a non-zero byte are written.
func newMemImage(mem []byte) (*memImage, error) {
	fd, err := unix.MemfdCreate("pglite-snapshot", unix.MFD_CLOEXEC)
	if err != nil {
		return &memImage{size: len(mem), copy: append([]byte(nil), mem...)}, nil
	}
	img := &memImage{fd: fd, size: len(mem)}
	if err := img.fill(mem); err != nil {
		unix.Close(fd)
		return nil, err
	}
	runtime.AddCleanup(img, func(fd int) { unix.Close(fd) }, fd)
	return img, nil
}

func (img *memImage) fill(mem []byte) error {
	if err := unix.Ftruncate(img.fd, int64(len(mem))); err != nil {
		return fmt.Errorf("emscripten: snapshot: %w", err)
	}
	for off := 0; off < len(mem); off += imageBlock {
		b := mem[off:min(off+imageBlock, len(mem))]
		if allZero(b) {
			continue
		}
		if _, err := unix.Pwrite(img.fd, b, int64(off)); err != nil {
			return fmt.Errorf("emscripten: snapshot: %w", err)
		}
	}
	return nil
}

// restoreInto makes dst[:img.size] equal to the image. dst must be a slice of an mmap'd
// reservation whose start is page aligned (the linear memory always is).
func (img *memImage) restoreInto(dst []byte) error {
	if img.copy != nil {
		copy(dst, img.copy)
		return nil
	}
	if img.size == 0 {
		return nil
	}
	_, err := unix.MmapPtr(img.fd, 0, unsafe.Pointer(&dst[0]), uintptr(img.size),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
	runtime.KeepAlive(img)
	if err != nil {
		return fmt.Errorf("emscripten: restore: map memory: %w", err)
	}
	return nil
}

// bytes returns the image's contents (for tests and diagnostics).
func (img *memImage) bytes() []byte {
	if img.copy != nil {
		return img.copy
	}
	b := make([]byte, img.size)
	_, _ = unix.Pread(img.fd, b, 0)
	return b
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if *(*uint64)(unsafe.Pointer(&b[0])) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
