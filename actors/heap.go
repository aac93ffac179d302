package actors

import (
	"runtime/debug"
	"sync/atomic"
)

// largeBuffer is the size from which a dropped buffer is worth returning to the OS at once.
const largeBuffer = 16 << 20

// The Go heap keeps the pages of a huge message (a 50 MB query, a 500 MB result row) after
// the message is dropped: the runtime only returns them once a later collection lowers its
// heap goal and the background scavenger gets there, which on an idle server takes minutes.
// So a job or reader that let go of such a buffer marks the heap dirty, and the next idle
// moment of a Bridge returns it. The heap is the process's, so the state is too.
var (
	heapDirty     atomic.Bool
	heapReleasing atomic.Bool
)

// noteDropped records that a buffer of n bytes was let go.
func noteDropped(n int) {
	if n >= largeBuffer {
		heapDirty.Store(true)
	}
}

// releaseHeapIfDirty returns the free heap to the OS after a large buffer was dropped. The
// forced collection takes tens of milliseconds, so it runs on its own goroutine, one at a
// time, never on an actor's.
func releaseHeapIfDirty() {
	if !heapDirty.Load() || !heapReleasing.CompareAndSwap(false, true) {
		return
	}
	heapDirty.Store(false)
	go func() {
		defer heapReleasing.Store(false)
		debug.FreeOSMemory()
	}()
}

// size is the number of bytes of the request's messages.
func (m *ExecRequest) size() int {
	n := 0
	for _, s := range m.Segments {
		n += len(s.Data)
	}
	return n
}
