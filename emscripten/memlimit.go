package emscripten

import (
	"context"
	"sync/atomic"
)

// memLimit caps one process's linear memory below the module's declared maximum. It
// travels in the context given to NewProcess (as wazero's own per-instance options do), so
// a process is limited from its first instruction, constructors and boot included.
type memLimit struct {
	max     uint64        // bytes, a multiple of the page size
	refused atomic.Uint64 // growth requests turned down
}

type memLimitKey struct{}

// WithMemoryLimit returns a context under which NewProcess creates a process whose linear
// memory never grows past max bytes (rounded down to whole 64 KiB pages). 0 keeps the
// module's maximum. A growth past the limit fails the way the guest expects a full heap to:
// emscripten_resize_heap returns 0, so sbrk and then malloc fail and PostgreSQL raises an
// ordinary "out of memory" error instead of trapping.
func WithMemoryLimit(ctx context.Context, max uint64) context.Context {
	if max == 0 {
		return ctx
	}
	return context.WithValue(ctx, memLimitKey{}, &memLimit{max: max &^ (pageSize - 1)})
}

func (p *Process) memLimit() *memLimit {
	l, _ := p.ctx.Value(memLimitKey{}).(*memLimit)
	return l
}

// MemoryLimit is the most linear memory the process may have, in bytes: the limit it was
// created with, or the module's maximum.
func (p *Process) MemoryLimit() uint64 {
	if l := p.memLimit(); l != nil && l.max < heapMax {
		return l.max
	}
	return heapMax
}

// MemoryRefusals counts the growth requests the limit turned down: a boot that fails with
// a non-zero count failed for want of memory.
func (p *Process) MemoryRefusals() uint64 {
	if l := p.memLimit(); l != nil {
		return l.refused.Load()
	}
	return 0
}

// refuseGrowth reports whether growing the memory to want bytes would pass the limit, and
// counts the refusal.
func (p *Process) refuseGrowth(want uint64) bool {
	l := p.memLimit()
	if l == nil || want <= l.max {
		return false
	}
	l.refused.Add(1)
	return true
}
