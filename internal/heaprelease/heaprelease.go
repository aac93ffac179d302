// Package heaprelease gives the Go heap's free pages back to the OS after a huge buffer
// was dropped.
//
// The runtime keeps the pages of a huge message (a 50 MB query, a 500 MB result row) after
// the message is dropped: it only returns them once a later collection lowers its heap goal
// and the background scavenger gets there, which on an idle server takes minutes. So code
// that let go of such a buffer marks the heap dirty, and the next idle moment returns it.
// The heap is the process's, so the state is too.
package heaprelease

import (
	"runtime/debug"
	"sync/atomic"
)

// largeBuffer is the size from which a dropped buffer is worth returning to the OS at once.
const largeBuffer = 16 << 20

var (
	dirty     atomic.Bool
	releasing atomic.Bool
)

// NoteDropped records that a buffer of n bytes was let go.
func NoteDropped(n int) {
	if n >= largeBuffer {
		dirty.Store(true)
	}
}

// MarkDirty records that much memory was let go (an instance's host state, say).
func MarkDirty() { dirty.Store(true) }

// ReleaseIfDirty returns the free heap to the OS after a large buffer was dropped. The
// forced collection takes tens of milliseconds, so it runs on its own goroutine, one at a
// time, never on the caller's.
func ReleaseIfDirty() {
	if !dirty.Load() || !releasing.CompareAndSwap(false, true) {
		return
	}
	dirty.Store(false)
	go func() {
		defer releasing.Store(false)
		debug.FreeOSMemory()
	}()
}
