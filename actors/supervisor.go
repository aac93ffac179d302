package actors

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
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
}

// Receive implements actor.Actor.
func (s *supervisorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		cfg, shared := s.cfg, s.shared
		s.bridge = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newBridgeActor(cfg, shared) }))
		ls, bridge := s.listeners, s.bridge
		s.listener = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newListenerActor(cfg, ls, bridge) }))
		s.h.setPIDs(ctx.Self(), s.bridge, s.listener)
	case *actor.Terminated:
		if m.Who.Equal(s.bridge) && !s.shuttingDown {
			s.log.Error().Int("max_restarts", s.cfg.MaxRestarts).Dur("window", s.cfg.RestartWindow).
				Msg("the database instance keeps failing; giving up")
			ctx.Stop(s.listener)
			s.h.finish(ErrRestartLimit)
		}
	case *ShutdownRequest:
		if s.shuttingDown {
			return
		}
		s.shuttingDown = true
		ctx.Send(s.listener, &stopAccepting{})
		ctx.Request(s.bridge, m)
	case *ShutdownReply:
		ctx.Stop(s.listener)
		ctx.Stop(s.bridge)
		s.h.finish(m.Err)
	}
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

var _ = fmt.Sprint
