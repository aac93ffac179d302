package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/socket"
)

// NewSystem creates an actor system whose own logging goes through zerolog.
func NewSystem(log zerolog.Logger) *actor.ActorSystem {
	l := log.With().Str("component", "protoactor").Logger()
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(zerolog.NewSlogHandler(l))
	}))
}

// Handle controls a running tree.
type Handle struct {
	metrics         *Metrics
	hba             *hbaStore
	system          *actor.ActorSystem
	log             zerolog.Logger
	shutdownTimeout time.Duration
	addrs           []net.Addr
	sub             *eventstream.Subscription

	mu                           sync.Mutex
	supervisor, bridge, listener *actor.PID
	pidsSet                      chan struct{}
	ready                        chan struct{}
	readyOnce                    sync.Once
	done                         chan struct{}
	doneOnce                     sync.Once
	err                          error
}

// Start spawns the Supervisor, Bridge and Listener into system. Listening starts before it
// returns (so a bad address fails here); the database boots in the background, and clients
// that connect meanwhile wait. Use WaitReady to wait for it.
func Start(ctx context.Context, system *actor.ActorSystem, cfg Config) (*Handle, error) {
	c := cfg.withDefaults()
	c.metrics = &Metrics{}
	c.hba = newHBAStore(&c)
	ls, err := openListeners(&c)
	if err != nil {
		return nil, err
	}
	h := &Handle{metrics: c.metrics, system: system, log: c.Logger, shutdownTimeout: c.ShutdownTimeout, pidsSet: make(chan struct{}), ready: make(chan struct{}), done: make(chan struct{})}
	h.hba = c.hba
	for _, l := range ls {
		h.addrs = append(h.addrs, l.Addr())
	}
	c.Bridge.OnReload = h.reloadHook
	h.sub = system.EventStream.Subscribe(h.onEvent)
	sup := &supervisorActor{cfg: &c, shared: &bridgeShared{}, listeners: ls, h: h,
		log: c.Logger.With().Str("component", "supervisor").Logger()}
	system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return sup },
		actor.WithSupervisor(supervisionStrategy(&c))))
	select {
	case <-h.pidsSet:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h, nil
}

func openListeners(c *Config) ([]net.Listener, error) {
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	port := c.Port
	if c.ListenAddr != "" {
		l, err := socket.ListenTCP(c.ListenAddr, port)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		port = l.Addr().(*net.TCPAddr).Port
	}
	if c.SocketDir != "" {
		if port == 0 {
			port = 5432
		}
		l, err := socket.ListenUnix(c.SocketDir, port)
		if err != nil {
			closeAll()
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil // none: clients only arrive in-process, through ServeConn
}

func (h *Handle) onEvent(evt any) {
	switch e := evt.(type) {
	case *BridgeReady:
		if e.tree != h.metrics {
			return // another tree's, in the same actor system
		}
		h.bridgeReady() // after reading pg_hba.conf on the first boot (auth.go)
		h.log.Info().Int("restart", e.Restart).Msg("database ready")
	case *actor.SupervisorEvent:
		h.log.Warn().Str("child", e.Child.String()).Str("directive", e.Directive.String()).
			Str("reason", firstLine(fmt.Sprint(e.Reason))).Msg("supervisor acted on a failure")
	}
}

func (h *Handle) setPIDs(sup, bridge, listener *actor.PID) {
	h.mu.Lock()
	h.supervisor, h.bridge, h.listener = sup, bridge, listener
	h.mu.Unlock()
	select {
	case <-h.pidsSet:
	default:
		close(h.pidsSet)
	}
}

func (h *Handle) finish(err error) {
	h.doneOnce.Do(func() {
		if err == nil {
			err = h.hba.startupError()
		}
		h.err = err
		h.system.EventStream.Unsubscribe(h.sub)
		close(h.done)
	})
}

// Supervisor, Bridge and Listener return the tree's PIDs. Send *QueryRequest to Bridge.
func (h *Handle) Supervisor() *actor.PID { h.mu.Lock(); defer h.mu.Unlock(); return h.supervisor }
func (h *Handle) Bridge() *actor.PID     { h.mu.Lock(); defer h.mu.Unlock(); return h.bridge }
func (h *Handle) Listener() *actor.PID   { h.mu.Lock(); defer h.mu.Unlock(); return h.listener }

// Addrs lists the addresses served (TCP first, then the Unix socket).
func (h *Handle) Addrs() []net.Addr { return h.addrs }

// WaitReady waits until the database has booted.
func (h *Handle) WaitReady(ctx context.Context) error {
	select {
	case <-h.ready:
		return nil
	case <-h.done:
		if h.err != nil {
			return h.err
		}
		return errors.New("actors: stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed when the tree has stopped: after Stop, or when the Bridge exceeded its
// restart limit (then Err returns ErrRestartLimit).
func (h *Handle) Done() <-chan struct{} { return h.done }

// Err reports why the tree stopped.
func (h *Handle) Err() error {
	select {
	case <-h.done:
		return h.err
	default:
		return nil
	}
}

// Stop shuts the tree down gracefully: stop accepting, let the running query finish within
// Config.ShutdownTimeout, send 57P01 to every client, and shut PostgreSQL down cleanly. ctx
// bounds the whole wait.
func (h *Handle) Stop(ctx context.Context) error {
	return h.shutdown(ctx, &ShutdownRequest{Deadline: h.shutdownTimeout})
}

// StopSmart is PostgreSQL's smart shutdown (pg_ctl -m smart, SIGTERM): new connections are
// refused while connected sessions go on, until they have all disconnected or
// Config.ShutdownTimeout has passed; then it goes on as StopFast.
func (h *Handle) StopSmart(ctx context.Context) error {
	return h.shutdown(ctx, &ShutdownRequest{Deadline: h.shutdownTimeout, Smart: true})
}

// StopFast is PostgreSQL's fast shutdown (pg_ctl -m fast, SIGINT): every session, including
// one running a query, gets FATAL 57P01 at once, open transactions roll back, and PostgreSQL
// shuts down cleanly. It also escalates a smart shutdown already under way.
func (h *Handle) StopFast(ctx context.Context) error {
	return h.shutdown(ctx, &ShutdownRequest{})
}

func (h *Handle) shutdown(ctx context.Context, req *ShutdownRequest) error {
	select {
	case <-h.done:
		return h.err
	default:
	}
	h.system.Root.Send(h.Supervisor(), req)
	select {
	case <-h.done:
		return h.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Query runs SQL through the Bridge actor and waits for the typed result: a convenience
// over sending *QueryRequest from an actor.
func (h *Handle) Query(ctx context.Context, sql string, args ...any) (*QueryReply, error) {
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	res, err := h.system.Root.RequestFuture(h.Bridge(), &QueryRequest{SQL: sql, Args: args}, timeout).Result()
	if err != nil {
		return nil, err
	}
	reply, ok := res.(*QueryReply)
	if !ok {
		return nil, fmt.Errorf("actors: unexpected reply %T", res)
	}
	return reply, reply.Err
}

// Metrics returns the tree's live counters.
func (h *Handle) Metrics() *Metrics { return h.metrics }

func (h *Handle) markReady() { h.readyOnce.Do(func() { close(h.ready) }) }

// firstLine keeps log fields short: a wasm trap's reason carries whole stack traces.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
