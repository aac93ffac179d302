package emscripten

import (
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// mmapMemory backs one wasm linear memory with an anonymous mapping that reserves the
// memory's maximum up front. Growing then only reslices: wazero's default allocator copies
// the whole memory on every growth, which for PostgreSQL's 128 MiB+ heap costs seconds and
// doubles RSS. Pages are committed lazily by the kernel, so the reservation costs nothing.
type mmapMemory struct {
	buf []byte // the whole reservation; len(buf) == max
	on  func([]byte)
}

// newMmapAllocator returns an allocator whose memories report every (re)allocation to
// onResize, so that the host always indexes the current backing slice.
func newMmapAllocator(onResize func([]byte)) experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(capacity, max uint64) experimental.LinearMemory {
		return &mmapMemory{on: onResize, buf: reserve(max)}
	})
}

func reserve(max uint64) []byte {
	if max == 0 {
		max = 1 << 16
	}
	b, err := unix.Mmap(-1, 0, int(max), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return b
}

// Reallocate implements experimental.LinearMemory.
func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.buf == nil || size > uint64(len(m.buf)) {
		return nil
	}
	b := m.buf[:size:size]
	if m.on != nil {
		m.on(b)
	}
	return b
}

// Free implements experimental.LinearMemory.
func (m *mmapMemory) Free() {
	if m.buf != nil {
		_ = unix.Munmap(m.buf)
		m.buf = nil
	}
}
