package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/internal/logfield"
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
	b.log.Info().Float64("deadline_ms", logfield.Millis(m.Deadline)).Bool("smart", m.Smart).Msg("draining")
	b.drainStep(ctx)
}

func (b *bridgeActor) drainStep(ctx actor.Context) {
	d := b.draining
	if d == nil || d.closing {
		return
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	tick := func() { time.AfterFunc(50*time.Millisecond, func() { system.Root.Send(self, &drainTick{}) }) }
	if b.backend != nil {
		b.backend.RefuseSessions()
	}
	if d.smart {
		if b.backend != nil && b.backend.ClientCount() > 0 && time.Now().Before(d.deadline) {
			tick()
			return
		}
		d.smart = false // everyone left, or time is up: go on as a fast shutdown
	}
	if b.backend != nil && !d.frozen {
		b.backend.Freeze()
		d.frozen = true
	}
	if b.booting || !b.ready {
		tick()
		return
	}
	if b.backend.Busy() {
		if time.Now().After(d.deadline) {
			switch {
			case !d.terminated:
				// The session hears 57P01 before the cancel's 57014 could reach it; the
				// query is cancelled at the next tick.
				b.log.Warn().Msg("shutdown deadline passed; terminating the running query")
				b.backend.TerminateRunning(protocol.AdminShutdown())
				d.terminated = true
			case !d.cancelled:
				b.backend.Instance().Cancel()
				d.cancelled = true
			}
		}
		tick()
		return
	}
	d.closing = true
	be := b.backend
	go func() { system.Root.Send(self, &instanceClosed{err: be.Close(true)}) }()
}

func (b *bridgeActor) closedInstance(ctx actor.Context, m *instanceClosed) {
	b.ready = false
	b.log.Info().Err(m.err).Msg("postgres shut down")
	if b.draining != nil && b.draining.replyTo != nil {
		ctx.Request(b.draining.replyTo, &ShutdownReply{Err: m.err}) // Request: the Supervisor learns which Bridge stopped
	}
}
