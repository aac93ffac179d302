package actors

import (
	"net"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"
)

// listenerActor accepts clients on its listeners, in goroutines it owns, and spawns one
// ConnectionHandler per client. It counts live handlers to enforce max_connections.
type listenerActor struct {
	cfg       *Config
	listeners []net.Listener
	bridge    *actor.PID // the single database's Bridge, or nil
	router    *actor.PID // the Supervisor, which finds Bridges by database name, or nil
	log       zerolog.Logger
	nextID    uint64
	live      map[string]bool // handler PIDs still running
	stopped   bool
}

func newListenerActor(cfg *Config, ls []net.Listener, bridge, router *actor.PID) actor.Actor {
	return &listenerActor{cfg: cfg, listeners: ls, bridge: bridge, router: router, live: map[string]bool{},
		log: cfg.Logger.With().Str("component", "listener").Logger()}
}

// Receive implements actor.Actor.
func (l *listenerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		self, system := ctx.Self(), ctx.ActorSystem()
		for _, ln := range l.listeners {
			l.log.Info().Str("addr", ln.Addr().String()).Msg("listening")
			go acceptLoop(ln, system, self)
		}
	case *accepted:
		l.serve(ctx, m.conn)
	case *ServeConn:
		l.serve(ctx, m.Conn)
	case *actor.Terminated:
		// Children report their end to their parent; no Watch is needed.
		delete(l.live, m.Who.Id)
		l.cfg.metrics.connections.Store(int64(len(l.live)))
	case *stopAccepting:
		l.close()
	case *actor.Stopping:
		l.close()
	}
}

// serve spawns the ConnectionHandler of one client, whether accepted from a listener or
// handed over in-process (ServeConn). After Stop the connection is closed at once.
func (l *listenerActor) serve(ctx actor.Context, conn net.Conn) {
	if l.stopped {
		conn.Close()
		return
	}
	l.nextID++
	id, over := l.nextID, len(l.live) >= l.cfg.MaxConnections
	cfg, bridge, router := l.cfg, l.bridge, l.router
	pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return newConnHandler(cfg, id, conn, bridge, router, over) }, inline,
		actor.WithSupervisor(actor.NewOneForOneStrategy(0, 0, func(any) actor.Directive { return actor.StopDirective }))))
	l.live[pid.Id] = true
	l.cfg.metrics.connections.Store(int64(len(l.live)))
	l.cfg.metrics.connectionsSeen.Add(1)
}

func (l *listenerActor) close() {
	if l.stopped {
		return
	}
	l.stopped = true
	for _, ln := range l.listeners {
		_ = ln.Close()
	}
	l.log.Info().Msg("stopped accepting")
}

func acceptLoop(ln net.Listener, system *actor.ActorSystem, self *actor.PID) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		system.Root.Send(self, &accepted{conn: c})
	}
}
