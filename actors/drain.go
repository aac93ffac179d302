package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// drain starts a graceful shutdown: no new sessions or leases; the running batch may finish
// until the deadline, after which it is cancelled; then every session gets 57P01 and
// PostgreSQL shuts down cleanly.
func (b *bridgeActor) drain(ctx actor.Context, m *ShutdownRequest) {
	if b.draining != nil {
		return
	}
	b.draining = &drainState{deadline: time.Now().Add(m.Deadline), replyTo: ctx.Sender()}
	b.log.Info().Dur("deadline", m.Deadline).Msg("draining")
	b.drainStep(ctx)
}

func (b *bridgeActor) drainStep(ctx actor.Context) {
	d := b.draining
	if d == nil || d.closing {
		return
	}
	if b.busy || !b.ready {
		if b.busy && !d.cancelled && time.Now().After(d.deadline) && b.inst != nil {
			b.log.Warn().Msg("shutdown deadline passed; cancelling the running query")
			b.inst.Cancel()
			d.cancelled = true
		}
		self, system := ctx.Self(), ctx.ActorSystem()
		time.AfterFunc(50*time.Millisecond, func() { system.Root.Send(self, &drainTick{}) })
		return
	}
	for _, s := range b.sessions {
		if s.pid != nil && s.api == nil {
			ctx.Send(s.pid, &SessionTerminated{Message: protocol.AdminShutdown()})
		}
	}
	b.sessions, b.waiting, b.holder = map[uint64]*session{}, nil, 0
	d.closing, b.busy = true, true
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	b.jobs <- func(*grant) {
		if st, err := w.sync(); err == nil && st != 'I' {
			_, _ = w.query("ROLLBACK")
		}
		err := w.inst.Close()
		w.inst = nil
		system.Root.Send(self, &instanceClosed{err: err})
	}
}

func (b *bridgeActor) closedInstance(ctx actor.Context, m *instanceClosed) {
	b.busy, b.ready, b.inst = false, false, nil
	b.log.Info().Err(m.err).Msg("postgres shut down")
	if b.draining != nil && b.draining.replyTo != nil {
		ctx.Request(b.draining.replyTo, &ShutdownReply{Err: m.err}) // Request: the Supervisor learns which Bridge stopped
	}
}
