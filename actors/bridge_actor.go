package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/internal/heaprelease"
	"github.com/pglite-go/pglite/session"
)

// bridgeActor owns the lifetime of one PostgreSQL instance and the session.Backend that
// multiplexes clients onto it: it boots the instance off its mailbox, hands attaching
// clients to the Backend, fails (so that the Supervisor restarts it) when the instance
// breaks, and drains, recycles or idles it out. The lease, names, settings, LISTEN and
// cleanup are the Backend's; queries never pass through this actor's mailbox.
type bridgeActor struct {
	cfg    *Config
	shared *bridgeShared
	log    zerolog.Logger

	life      *incarnation // this incarnation's hold on its instance
	backend   *session.Backend
	gen       int64 // the current backend's number (backendGen), to tell stale events apart
	ready     bool  // the backend serves
	booting   bool  // a boot or a recycle runs
	pending   []pendingAttach
	whenReady []func(ctx actor.Context) // embedding requests that arrived before the boot

	emptySince time.Time // when the last session left (multi-database idle stop)
	draining   *drainState
	rec        recycler // gives back the memory of an idle instance (recycle.go)
}

// bridgeShared outlives restarts of the Bridge actor: the in-memory file system (so that a
// restart recovers the same database, as PostgreSQL does after a crash) and the count.
type bridgeShared struct {
	fs        *vfs.FS
	restarts  int
	everReady bool // an instance has booted once: a later boot failure is retried
	// released is closed once the latest incarnation has released its instance: two
	// instances must never share the file system at once.
	released chan struct{}
	failing  atomic.Bool // the instance broke; attaches wait for the next incarnation
}

type pendingAttach struct {
	req    *AttachRequest
	sender *actor.PID
}

type drainState struct {
	deadline   time.Time
	replyTo    *actor.PID
	smart      bool // sessions may go on until they leave or the deadline passes
	frozen     bool // client work no longer starts
	terminated bool // the running query's session was told 57P01
	cancelled  bool
	closing    bool
}

// incarnation hands an instance over between the goroutines that boot it and the actor,
// which may stop meanwhile: whoever comes second closes it, and released is closed once
// the instance is gone.
type incarnation struct {
	mu       sync.Mutex
	stopped  bool
	backend  *session.Backend
	released chan struct{}
	once     sync.Once
}

// adopt makes be the incarnation's backend; false means the actor stopped, and be is
// being closed.
func (l *incarnation) adopt(be *session.Backend) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		go l.close(be)
		return false
	}
	l.backend = be
	return true
}

// take removes the backend, for a recycle that closes it and adopts the next one.
func (l *incarnation) take() *session.Backend {
	l.mu.Lock()
	defer l.mu.Unlock()
	be := l.backend
	l.backend = nil
	return be
}

// stop releases the instance, now or when its boot ends.
func (l *incarnation) stop() {
	l.mu.Lock()
	l.stopped = true
	be := l.backend
	l.mu.Unlock()
	if be != nil {
		go l.close(be)
	}
}

func (l *incarnation) close(be *session.Backend) {
	_ = be.Close(false)
	l.release()
}

func (l *incarnation) release() { l.once.Do(func() { close(l.released) }) }

// backendGen numbers the backends of the process: a restarted actor is a new struct, so a
// per-actor count would start again and take an old backend's late event for its own.
var backendGen atomic.Int64

func newBridgeActor(cfg *Config, shared *bridgeShared) actor.Actor {
	return &bridgeActor{cfg: cfg, shared: shared, log: cfg.Logger.With().Str("component", "bridge").Logger()}
}

// Receive implements actor.Actor.
func (b *bridgeActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		b.start(ctx)
	case *actor.Stopping:
		b.stop()
	case *actor.Restarting:
		b.stop()
	case *instanceOpened:
		b.opened(ctx, m)
	case *AttachRequest:
		switch {
		case b.shared.failing.Load() && b.ready:
			// Answer it in the next incarnation: this one is about to restart.
			ctx.RequestWithCustomSender(ctx.Self(), m, ctx.Sender())
		case !b.ready:
			b.pending = append(b.pending, pendingAttach{req: m, sender: ctx.Sender()})
		default:
			b.attach(ctx, m, ctx.Sender())
		}
	case *CancelRequest:
		if b.backend != nil {
			b.backend.Cancel(m.PID, m.Key)
		}
	case *QueryRequest:
		b.query(ctx, m, ctx.Sender())
	case *SnapshotRequest:
		b.snapshot(ctx, m, ctx.Sender())
	case *InjectFault:
		if !m.Trap {
			panic("actors: injected fault")
		}
		if b.backend != nil {
			b.backend.Instance().InjectFault()
		}
	case *backendBroken:
		if m.gen == b.gen {
			b.broken(ctx, m.err)
		}
	case *backendIdle:
		// Not while draining: the final Close may be releasing the instance.
		if m.gen == b.gen && b.ready && b.draining == nil {
			b.noteEmpty(ctx)
			b.noteIdle(ctx)
		}
	case *idleStop:
		b.noteEmpty(ctx)
		b.armIdleStop(ctx)
	case *ShutdownRequest:
		b.drain(ctx, m)
	case *drainTick:
		b.drainStep(ctx)
	case *reloadConfig:
		if b.backend != nil {
			b.backend.Instance().ReloadConfig() // an atomic flag the backend reads between commands
		}
	case *recycleCheck:
		b.checkRecycle(ctx)
	case *instanceRecycled:
		b.recycled(ctx, m)
	case *instanceClosed:
		b.closedInstance(ctx, m)
	}
}

// start boots the instance on a goroutine, so the mailbox stays responsive. The instance of
// a previous incarnation (after a restart) is released first.
func (b *bridgeActor) start(ctx actor.Context) {
	prev := b.shared.released
	life := &incarnation{released: make(chan struct{})}
	b.shared.released, b.life = life.released, life
	b.booting = true
	b.gen = backendGen.Add(1)
	cfg, shared, scfg := b.cfg.Bridge, b.shared, b.sessionConfig(ctx, b.gen)
	backoff := restartBackoff(b.shared.restarts)
	self, system := ctx.Self(), ctx.ActorSystem()
	go func() {
		if prev != nil {
			<-prev
		}
		time.Sleep(backoff)
		be, t, ok, err := life.open(cfg, scfg, shared)
		if ok {
			system.Root.Send(self, &instanceOpened{backend: be, err: err, timed: t})
		}
	}()
}

// open boots an instance for the incarnation (on the in-memory file system kept across
// restarts, without a data directory) and adopts it. A failed boot releases the
// incarnation at once; ok is false when the actor stopped meanwhile, and the instance is
// being closed.
func (l *incarnation) open(cfg bridge.Config, scfg session.Config, shared *bridgeShared) (be *session.Backend, t bridge.Timings, ok bool, err error) {
	if cfg.DataDir == "" {
		cfg.ReuseFS = shared.fs
	}
	be, t, err = openBackend(cfg, scfg)
	if err != nil {
		l.release()
		return nil, t, true, err
	}
	return be, t, l.adopt(be), nil
}

// openBackend boots an instance and puts a session.Backend on it.
func openBackend(cfg bridge.Config, scfg session.Config) (*session.Backend, bridge.Timings, error) {
	inst, err := bridge.Open(context.Background(), cfg)
	if err != nil {
		return nil, bridge.Timings{}, err
	}
	be, err := session.Open(inst, scfg)
	if err != nil {
		_ = inst.Close()
		return nil, inst.Timings, err
	}
	return be, inst.Timings, nil
}

// sessionConfig is the Backend's configuration: its events come back to this actor as
// messages tagged with gen, the backend they belong to.
func (b *bridgeActor) sessionConfig(ctx actor.Context, gen int64) session.Config {
	self, system, shared, m, hba := ctx.Self(), ctx.ActorSystem(), b.shared, b.cfg.metrics, b.cfg.hba
	return session.Config{
		Database:                 b.cfg.routeName,
		IdleInTransactionTimeout: b.cfg.IdleInTransactionTimeout,
		Log:                      b.log,
		Broken: func(err error) {
			shared.failing.Store(true) // new sessions wait for the next incarnation
			system.Root.Send(self, &backendBroken{gen: gen, err: err})
		},
		Idle:           func() { system.Root.Send(self, &backendIdle{gen: gen}) },
		RolesMayChange: hba.rolesMayChange,
		BatchDone: func(waited time.Duration, largest int, memory uint64) {
			m.queries.Add(1)
			m.leaseWaited(waited)
			m.memoryBytes.Store(memory)
			heaprelease.ReleaseIfDirty() // Idle waits for the last client to leave
		},
	}
}

func (b *bridgeActor) opened(ctx actor.Context, m *instanceOpened) {
	b.booting = false
	if m.err != nil && !b.shared.everReady {
		b.startFailed(ctx, m.err)
		return
	}
	if m.err != nil {
		b.log.Error().Err(m.err).Msg("could not open the database")
		panic(fmt.Errorf("actors: open: %w", m.err))
	}
	b.serve(ctx, m.backend)
	ctx.ActorSystem().EventStream.Publish(&BridgeReady{Timings: m.timed, Restart: b.shared.restarts, tree: b.cfg.metrics})
	b.armIdleStop(ctx)
}

// serve puts a freshly opened backend in service and lets in what waited for it.
func (b *bridgeActor) serve(ctx actor.Context, be *session.Backend) {
	b.backend, b.ready = be, true
	b.observeInstance() // its memory at boot, before any client makes it grow
	b.shared.everReady = true
	b.shared.failing.Store(false)
	if b.cfg.Bridge.DataDir == "" {
		b.shared.fs = be.Instance().ReusableFS()
	}
	if b.draining != nil {
		be.RefuseSessions()
	}
	pending, work := b.pending, b.whenReady
	b.pending, b.whenReady = nil, nil
	for _, p := range pending {
		b.attach(ctx, p.req, p.sender)
	}
	for _, run := range work {
		run(ctx)
	}
	b.observeInstance()
}

// stop releases the instance: the drain closed it cleanly already, or the next incarnation
// recovers it from its files.
func (b *bridgeActor) stop() {
	if b.life != nil {
		b.life.stop()
	}
	b.rec.stopTimer()
}

// attach hands a client to the Backend, off the mailbox: Attach may wait for a re-read of
// the roles.
func (b *bridgeActor) attach(ctx actor.Context, m *AttachRequest, sender *actor.PID) {
	be, self, system := b.backend, ctx.Self(), ctx.ActorSystem()
	go func() {
		res, err := be.Attach(session.Attach{ID: m.ConnID, User: m.User, Database: m.Database,
			Startup: m.Settings, CancelPID: m.CancelPID, CancelKey: m.CancelKey, Client: m.Client})
		if err != nil {
			// The instance broke meanwhile: the next incarnation answers.
			system.Root.RequestWithCustomSender(self, m, sender)
			return
		}
		system.Root.Send(sender, &AttachReply{Session: res.Session, Params: res.Params, Fatal: res.Fatal})
	}()
}

// query runs an embedding query off the mailbox; before the boot it waits for it.
func (b *bridgeActor) query(ctx actor.Context, m *QueryRequest, sender *actor.PID) {
	if !b.ready {
		if m.NoWait {
			ctx.Send(sender, &QueryReply{Err: ErrBackendBusy})
			return
		}
		b.whenReady = append(b.whenReady, func(ctx actor.Context) { b.query(ctx, m, sender) })
		return
	}
	be, system := b.backend, ctx.ActorSystem()
	go func() {
		res, err := be.Query(context.Background(), m.SQL, m.Args, m.NoWait)
		if errors.Is(err, session.ErrBusy) {
			err = ErrBackendBusy
		}
		reply := &QueryReply{Err: err}
		if res != nil {
			reply.Columns, reply.Rows, reply.Tag = res.Columns, res.Rows, res.Tag
		}
		system.Root.Send(sender, reply)
	}()
}

// broken fails the actor so the Supervisor restarts it; the Backend has already told every
// session. The message that fails an actor is not redelivered, so the waiting attaches are
// sent on to the next incarnation first.
func (b *bridgeActor) broken(ctx actor.Context, err error) {
	b.log.Error().Err(err).Msg("instance broken; restarting")
	ctx.ActorSystem().EventStream.Publish(&BridgeFailed{Err: err})
	b.shared.failing.Store(true)
	for _, p := range b.pending {
		ctx.RequestWithCustomSender(ctx.Self(), p.req, p.sender)
	}
	b.pending = nil
	b.shared.restarts++
	b.cfg.metrics.restarts.Add(1)
	panic(fmt.Errorf("actors: instance failed: %w", err))
}

// noteEmpty stops a database that has had no sessions for IdleTimeout, in multi-database
// mode: it records when the Bridge became empty; a periodic check (armIdleStop) and every
// idle moment compare that with the timeout.
func (b *bridgeActor) noteEmpty(ctx actor.Context) {
	timeout := b.cfg.Databases.IdleTimeout
	if !b.cfg.Databases.Enabled || timeout <= 0 || b.draining != nil {
		return
	}
	if !b.ready || !b.backend.Quiet() || len(b.pending) > 0 {
		b.emptySince = time.Time{}
		return
	}
	if b.emptySince.IsZero() {
		b.emptySince = time.Now()
	}
	if time.Since(b.emptySince) >= timeout {
		ctx.Send(ctx.Parent(), &bridgeIdle{name: b.cfg.routeName})
	}
}

// armIdleStop schedules the next idle check, a quarter of the timeout away.
func (b *bridgeActor) armIdleStop(ctx actor.Context) {
	timeout := b.cfg.Databases.IdleTimeout
	if !b.cfg.Databases.Enabled || timeout <= 0 || b.draining != nil {
		return
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	time.AfterFunc(timeout/4, func() { system.Root.Send(self, &idleStop{}) })
}
