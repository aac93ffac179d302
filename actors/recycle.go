package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/internal/heaprelease"
	"github.com/pglite-go/pglite/internal/logfield"
)

// recycler gives back the memory of an instance that grew past its high-water mark.
// WebAssembly memory cannot shrink: one query that needed a gigabyte leaves the instance
// at that size for good, although PostgreSQL freed it long ago. The only way to return it
// is a new instance: a clean shutdown (which unmaps the old memory) and a boot from the
// same files, from the data directory or from the in-memory file system the Bridge keeps
// across restarts anyway. That is invisible to clients only while none is attached, since
// every session state (prepared statements, portals, LISTEN, temporary objects, settings,
// sequence values seen) lives in the one backend; so the Bridge recycles only then, after
// RecycleDelay without activity, and a client that connects meanwhile waits for the boot.
type recycler struct {
	inst       *bridge.Instance // the instance bootMemory belongs to
	bootMemory uint64           // its linear memory when first seen idle after boot
	idleSince  time.Time        // when the Bridge last ran out of work
	timer      *time.Timer
}

// defaultRecycleDelay is how long the Bridge must have been idle before it recycles.
const defaultRecycleDelay = 5 * time.Second

// noteIdle runs whenever the Bridge has nothing left to schedule: a batch, a cleanup or an
// embedding query just ended, or the last client left. It restarts the idle clock and
// checks the memory.
func (b *bridgeActor) noteIdle(ctx actor.Context) {
	if b.backend == nil || !b.ready || b.draining != nil {
		return
	}
	b.observeInstance()
	b.rec.idleSince = time.Now()
	heaprelease.ReleaseIfDirty()
	b.checkRecycle(ctx)
}

// observeInstance records a new instance's memory after boot and publishes the memory
// gauges.
func (b *bridgeActor) observeInstance() {
	inst := b.backend.Instance()
	if b.rec.inst != inst {
		b.rec.inst, b.rec.bootMemory = inst, inst.MemorySize()
	}
	m := b.cfg.metrics
	m.memoryBytes.Store(inst.MemorySize())
	m.memoryLimit.Store(inst.MemoryLimit())
	if b.recycleDelay() > 0 {
		m.memoryHighWater.Store(b.highWater())
	}
}

// recycleDelay is Config.RecycleDelay with its default; 0 means recycling is off.
func (b *bridgeActor) recycleDelay() time.Duration {
	switch d := b.cfg.RecycleDelay; {
	case d < 0:
		return 0
	case d == 0:
		return defaultRecycleDelay
	default:
		return d
	}
}

// highWater is the linear memory above which an idle instance is recycled:
// Config.MemoryHighWater, or four times the memory after boot, or, when that reaches the
// limit, halfway between the two.
func (b *bridgeActor) highWater() uint64 {
	if hw := b.cfg.MemoryHighWater; hw > 0 {
		return hw
	}
	boot, limit := b.rec.bootMemory, b.backend.Instance().MemoryLimit()
	if hw := 4 * boot; hw < limit {
		return hw
	}
	return boot + (limit-boot)/2
}

// idleForRecycle reports whether no client could notice a restart now: nothing runs or
// waits, and no session is attached at all.
func (b *bridgeActor) idleForRecycle() bool {
	return b.ready && !b.booting && b.draining == nil && len(b.pending) == 0 && len(b.whenReady) == 0 &&
		b.backend.Instance().Broken() == nil && b.backend.Quiet()
}

// checkRecycle recycles the instance if it is idle, over its mark and has been idle for
// RecycleDelay; if only the delay is missing it checks again when the delay is over.
func (b *bridgeActor) checkRecycle(ctx actor.Context) {
	delay := b.recycleDelay()
	// An instance that has not grown since boot is never recycled, whatever the mark: a new
	// one would be just as large.
	if delay == 0 || !b.idleForRecycle() {
		return
	}
	if size := b.backend.Instance().MemorySize(); size <= b.highWater() || size <= b.rec.bootMemory {
		return
	}
	if wait := delay - time.Since(b.rec.idleSince); wait > 0 {
		b.rec.stopTimer()
		self, system := ctx.Self(), ctx.ActorSystem()
		b.rec.timer = time.AfterFunc(wait, func() { system.Root.Send(self, &recycleCheck{}) })
		return
	}
	b.recycle(ctx)
}

func (r *recycler) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

// recycle closes the instance cleanly and boots a new one, off the mailbox. Until it is up the
// Bridge is not ready: attaches and embedding queries wait, as at the first boot.
func (b *bridgeActor) recycle(ctx actor.Context) {
	b.rec.stopTimer()
	old := b.backend
	before := old.Instance().MemorySize()
	b.log.Info().Uint64("memory", before).Uint64("high_water", b.highWater()).Msg("recycling the idle instance to give its memory back")
	b.ready, b.booting = false, true
	b.gen = backendGen.Add(1)
	cfg, scfg, life, shared := b.cfg.Bridge, b.sessionConfig(ctx, b.gen), b.life, b.shared
	life.take()
	self, system := ctx.Self(), ctx.ActorSystem()
	go func() {
		start := time.Now()
		if err := old.Close(false); err != nil {
			b.log.Warn().Err(err).Msg("recycle: the old instance did not shut down cleanly; the new one recovers")
		}
		heaprelease.MarkDirty() // the old instance's host state, and the files it deleted in memory
		be, _, ok, err := life.open(cfg, scfg, shared)
		if ok {
			system.Root.Send(self, &instanceRecycled{backend: be, err: err, before: before, took: time.Since(start)})
		}
	}()
}

// recycled puts the new instance in service and lets the waiting clients in. A failed boot
// is a failure like any other: the Supervisor restarts the Bridge.
func (b *bridgeActor) recycled(ctx actor.Context, m *instanceRecycled) {
	b.booting = false
	if m.err != nil {
		b.log.Error().Err(m.err).Msg("recycle: the new instance did not boot")
		b.broken(ctx, m.err)
		return
	}
	b.cfg.metrics.recycles.Add(1)
	b.serve(ctx, m.backend)
	after := m.backend.Instance().MemorySize()
	b.log.Info().Uint64("before", m.before).Uint64("after", after).Float64("took_ms", logfield.Millis(m.took)).Msg("instance recycled")
	ctx.ActorSystem().EventStream.Publish(&BridgeRecycled{MemoryBefore: m.before, MemoryAfter: after, Took: m.took})
}
