package actors

import (
	"errors"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/internal/logfield"
)

// ErrRestartLimit means the Bridge failed more often than the restart policy allows; the
// process should exit non-zero so that systemd or Kubernetes restarts it.
var ErrRestartLimit = errors.New("actors: the database instance exceeded its restart limit")

// supervisorActor owns the Bridge and the Listener. Children restart one for one within an
// explicit window; a Bridge that keeps failing is stopped by the strategy, and the
// Supervisor then escalates to the embedding program through the Handle.
type supervisorActor struct {
	cfg       *Config
	shared    *bridgeShared
	listeners []net.Listener
	log       zerolog.Logger
	h         *Handle

	bridge, listener *actor.PID
	shuttingDown     bool

	// multi-database mode
	dbs          map[string]*database
	byPID        map[string]*database
	pendingStops int
	stopErr      error
	finalErr     error // reported once the Supervisor and its children have stopped
}

// Receive implements actor.Actor.
func (s *supervisorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.started(ctx)
	case *actor.Stopped:
		s.h.finish(s.finalErr)
	case *lookupBridge:
		s.lookup(ctx, m)
	case *bridgeIdle:
		s.idle(ctx, m)
	case *InjectFault:
		if db := s.dbs[m.Database]; db != nil && db.pid != nil {
			ctx.Send(db.pid, m)
		}
	case *CancelRequest:
		for _, db := range s.dbs {
			if db.pid != nil {
				ctx.Send(db.pid, m)
			}
		}
	case *actor.Terminated:
		if s.dbs != nil {
			s.databaseStopped(ctx, m.Who)
			return
		}
		if m.Who.Equal(s.bridge) && !s.shuttingDown {
			s.log.Error().Int("max_restarts", s.cfg.MaxRestarts).
				Float64("window_ms", logfield.Millis(s.cfg.RestartWindow)).
				Msg("the database instance keeps failing; giving up")
			s.finishWith(ctx, ErrRestartLimit)
		}
	case *ShutdownRequest:
		if s.shuttingDown {
			if !m.Smart {
				s.escalateShutdown(ctx, m)
			}
			return
		}
		s.shuttingDown = true
		ctx.Send(s.listener, &stopAccepting{})
		if s.dbs != nil {
			s.shutdownDatabases(ctx, m)
			if s.pendingStops == 0 {
				s.finishWith(ctx, nil)
			}
			return
		}
		ctx.Request(s.bridge, m)
	case *ShutdownReply:
		s.shutdownReplied(ctx, m)
	case *bridgeStartFailed:
		s.startFailed(ctx, m)
	case *reloadConfig:
		s.forwardReload(ctx)
	}
}

// started spawns the Listener and, in single-database mode, the Bridge; in multi-database
// mode Bridges start on demand and the Supervisor routes clients to them.
func (s *supervisorActor) started(ctx actor.Context) {
	cfg := s.cfg
	router := ctx.Self()
	if cfg.Databases.Enabled {
		s.dbs, s.byPID = map[string]*database{}, map[string]*database{}
		for _, name := range cfg.Databases.Declared {
			s.dbs[name] = &database{name: name, shared: &bridgeShared{}}
		}
		s.h.markReady() // databases boot on their first connection
	} else {
		shared := s.shared
		cfg.routeName = cfg.database()
		s.bridge = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBridgeActor(cfg, shared) }, inline))
		router = nil
	}
	ls, bridge := s.listeners, s.bridge
	s.listener = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newListenerActor(cfg, ls, bridge, router) }))
	s.h.setPIDs(ctx.Self(), s.bridge, s.listener)
}

// shutdownReplied finishes a graceful stop, or an idle stop of one database.
func (s *supervisorActor) shutdownReplied(ctx actor.Context, m *ShutdownReply) {
	if s.dbs == nil {
		s.finishWith(ctx, m.Err)
		return
	}
	if sender := ctx.Sender(); sender != nil {
		ctx.Stop(sender)
	}
	if !s.shuttingDown {
		return
	}
	if m.Err != nil && s.stopErr == nil {
		s.stopErr = m.Err
	}
	s.pendingStops--
	if s.pendingStops == 0 {
		s.finishWith(ctx, s.stopErr)
	}
}

// finishWith stops the Supervisor, and with it every child; the Handle reports err once
// they have all stopped.
func (s *supervisorActor) finishWith(ctx actor.Context, err error) {
	s.finalErr = err
	ctx.Stop(ctx.Self())
}

// supervisionStrategy restarts a failing child at most MaxRestarts times within
// RestartWindow (a time.Duration: protoactor's example value 1000 would mean 1µs).
func supervisionStrategy(cfg *Config) actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(cfg.MaxRestarts, cfg.RestartWindow, func(reason any) actor.Directive {
		return actor.RestartDirective
	})
}

// restartBackoff delays a restarted Bridge's boot: 100ms, doubling, at most 2s.
func restartBackoff(restarts int) time.Duration {
	if restarts <= 0 {
		return 0
	}
	d := 100 * time.Millisecond << min(restarts-1, 4)
	return min(d, 2*time.Second)
}

// inline runs an actor's mailbox on the goroutine that sends to it, when the actor is idle,
// instead of starting a goroutine per burst of messages. Every Receive in this package
// returns quickly and never blocks, so the sender is delayed only by that; it saves a
// goroutine handoff (and a stack growth) on every hop of a query.
var inline = actor.WithDispatcher(actor.NewSynchronizedDispatcher(300))

// startFailed handles a Bridge whose first boot failed. With one database the tree stops and
// the Handle reports the error; with several, only that database stops, and its next
// connection tries again.
func (s *supervisorActor) startFailed(ctx actor.Context, m *bridgeStartFailed) {
	if s.dbs != nil {
		if sender := ctx.Sender(); sender != nil {
			if db := s.byPID[sender.Id]; db != nil {
				db.stopping = true
			}
			ctx.Stop(sender)
		}
		return
	}
	if s.shuttingDown {
		return
	}
	s.shuttingDown = true
	s.finishWith(ctx, &StartupError{Err: m.err})
}

// escalateShutdown passes a fast shutdown request to Bridges already draining smartly.
func (s *supervisorActor) escalateShutdown(ctx actor.Context, m *ShutdownRequest) {
	if s.dbs == nil {
		if s.bridge != nil {
			ctx.Send(s.bridge, m)
		}
		return
	}
	for _, db := range s.dbs {
		if db.pid != nil {
			ctx.Send(db.pid, m)
		}
	}
}
