package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// drain starts a graceful shutdown: no new sessions; the running batch may finish until the
// deadline, after which its session gets PostgreSQL's fast-shutdown FATAL 57P01 and the query
// is cancelled; then every session gets 57P01 and PostgreSQL shuts down cleanly. A smart
// shutdown first lets connected sessions go on until they disconnect or the deadline passes.
func (b *bridgeActor) drain(ctx actor.Context, m *ShutdownRequest) {
	if d := b.draining; d != nil {
		if d.smart && !m.Smart { // escalated to fast
			d.smart = false
			if dl := time.Now().Add(m.Deadline); dl.Before(d.deadline) {
				d.deadline = dl
			}
			b.drainStep(ctx)
		}
		return
	}
	b.draining = &drainState{deadline: time.Now().Add(m.Deadline), replyTo: ctx.Sender(), smart: m.Smart}
	b.log.Info().Dur("deadline", m.Deadline).Bool("smart", m.Smart).Msg("draining")
	b.drainStep(ctx)
}

func (b *bridgeActor) drainStep(ctx actor.Context) {
	d := b.draining
	if d == nil || d.closing {
		return
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	tick := func() { time.AfterFunc(50*time.Millisecond, func() { system.Root.Send(self, &drainTick{}) }) }
	if d.smart {
		if b.clientSessions() > 0 && time.Now().Before(d.deadline) {
			tick()
			return
		}
		d.smart = false // everyone left, or time is up: go on as a fast shutdown
	}
	if b.busy || !b.ready {
		if b.busy && time.Now().After(d.deadline) && b.inst != nil {
			switch {
			case !d.terminated:
				// The session hears 57P01 before the cancel's 57014 could reach it; the
				// query is cancelled at the next tick.
				b.log.Warn().Msg("shutdown deadline passed; terminating the running query")
				if s := b.sessions[b.holder]; s != nil && s.pid != nil && s.api == nil {
					ctx.Send(s.pid, &SessionTerminated{Message: protocol.AdminShutdown()})
				}
				d.terminated = true
			case !d.cancelled:
				b.inst.Cancel()
				d.cancelled = true
			}
		}
		tick()
		return
	}
	for _, s := range b.sessions {
		if s.pid != nil && s.api == nil {
			ctx.Send(s.pid, &SessionTerminated{Message: protocol.AdminShutdown()})
		}
	}
	b.sessions, b.waiting, b.holder = map[uint64]*session{}, nil, 0
	d.closing, b.busy = true, true
	w := b.worker
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

// clientSessions counts the sessions of connected clients (not API queries).
func (b *bridgeActor) clientSessions() int {
	n := 0
	for _, s := range b.sessions {
		if s.pid != nil && s.api == nil && !s.detached {
			n++
		}
	}
	return n
}
