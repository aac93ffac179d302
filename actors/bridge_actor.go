package actors

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/protocol"
)

// bridgeActor is the only owner of a bridge.Instance (through its worker goroutine). Every
// execution arrives in its mailbox; it grants the backend to one client at a time (the
// lease), queues the others in FIFO order, and routes notifications.
//
// A client holds the lease from its first message until a ReadyForQuery with status I ends
// its output and it has nothing more queued: an open or failed transaction and an
// extended-protocol pipeline before Sync keep it.
type bridgeActor struct {
	cfg    *Config
	shared *bridgeShared
	log    zerolog.Logger

	jobs   chan job // to the worker goroutine
	worker *worker
	// offer is the grant of the message being handled, if it carries one: the goroutine
	// that sent it runs the job that message makes runnable.
	offer *grant
	inst  *bridge.Instance
	ready bool
	busy  bool // the worker runs a job

	sessions    map[uint64]*session
	holder      uint64   // the session holding the lease (0: none)
	waiting     []uint64 // sessions with queued requests, FIFO
	pending     []pendingAttach
	roleWaiters []pendingAttach // attaches waiting for a re-read of the roles
	// internalQueue is the Bridge's own backend work, run before the next client batch.
	internalQueue []internalJob
	snapshots     []snapshotWait         // SnapshotRequests waiting for a free backend (snapshot.go)
	more          map[uint64]chan []byte // running COPY FROM STDIN per session
	wantMore      map[uint64]bool

	params    [][2]string // server ParameterStatus values, from boot
	roles     map[string]bool
	channels  map[string]map[uint64]bool // LISTEN routing
	tempOwner map[uint32]uint64          // which session created each temporary relation

	idleTimer  *time.Timer
	emptySince time.Time // when the last session left (multi-database idle stop)
	draining   *drainState
	nextConnID uint64
	rec        recycler // gives back the memory of an idle instance (recycle.go)
}

// bridgeShared outlives restarts of the Bridge actor: the in-memory file system (so that a
// restart recovers the same database, as PostgreSQL does after a crash) and the count.
type bridgeShared struct {
	fs         *vfs.FS
	restarts   int
	everReady  bool          // an instance has booted once: a later boot failure is retried
	workerDone chan struct{} // closed when the latest worker has released its instance
	failing    atomic.Bool   // the instance broke; attaches wait for the next incarnation
}

type pendingAttach struct {
	req    *AttachRequest
	sender *actor.PID
}

type drainState struct {
	deadline   time.Time
	replyTo    *actor.PID
	smart      bool // sessions may go on until they leave or the deadline passes
	terminated bool // the running query's session was told 57P01
	cancelled  bool
	closing    bool
}

type bootInfo struct {
	params [][2]string
	roles  map[string]bool
}

func newBridgeActor(cfg *Config, shared *bridgeShared) actor.Actor {
	return &bridgeActor{
		cfg: cfg, shared: shared,
		log:      cfg.Logger.With().Str("component", "bridge").Logger(),
		sessions: map[uint64]*session{}, more: map[uint64]chan []byte{}, wantMore: map[uint64]bool{},
		channels: map[string]map[uint64]bool{}, roles: map[string]bool{}, tempOwner: map[uint32]uint64{},
	}
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
		if b.shared.failing.Load() && b.ready {
			// Answer it in the next incarnation: this one is about to restart.
			ctx.RequestWithCustomSender(ctx.Self(), m, ctx.Sender())
			return
		}
		if !b.ready {
			b.pending = append(b.pending, pendingAttach{req: m, sender: ctx.Sender()})
			return
		}
		b.answerAttach(ctx, m, ctx.Sender(), false)
	case *ExecRequest:
		b.offer = m.grant
		b.enqueue(ctx, m)
		b.offer = nil
	case *inputWanted:
		b.inputWanted(m.connID)
	case *jobDone:
		if m.w != b.worker {
			return // from the worker of an incarnation before a restart
		}
		b.offer = m.next
		b.finished(ctx, m.res)
		b.offer = nil
	case *DetachRequest:
		b.detach(ctx, m.ConnID)
	case *CancelRequest:
		b.cancel(m)
	case *QueryRequest:
		b.apiQuery(ctx, m)
	case *SnapshotRequest:
		b.snapshotRequested(ctx, m)
	case *snapshotDone:
		b.snapshotFinished(ctx, m)
	case *InjectFault:
		if !m.Trap {
			panic("actors: injected fault")
		}
		if b.inst != nil {
			b.inst.InjectFault()
		}
	case *idleStop:
		b.noteEmpty(ctx)
		b.armIdleStop(ctx)
	case *idleCheck:
		b.checkIdle(ctx, m.connID)
	case *ShutdownRequest:
		b.drain(ctx, m)
	case *drainTick:
		b.drainStep(ctx)
	case *sessionTimedOut:
		if s := b.sessions[m.connID]; s != nil && s.pid != nil {
			ctx.Send(s.pid, &SessionTerminated{Message: m.fatal})
		}
	case *reloadConfig:
		if b.inst != nil {
			b.inst.ReloadConfig() // an atomic flag the backend reads between commands
		}
	case *recycleCheck:
		b.checkRecycle(ctx)
	case *instanceRecycled:
		b.recycled(ctx, m)
	case *instanceClosed:
		b.closedInstance(ctx, m)
	case *cleanupDone:
		b.cleaned(ctx, m)
	case *apiDone:
		b.apiFinished(ctx, m)
	case *internalRan:
		b.busy = false
		if m.err != nil {
			b.broken(ctx, m.err)
			return
		}
		for _, apply := range m.apply {
			apply()
		}
		b.schedule(ctx)
	}
}

// start opens the instance on the worker goroutine, so the mailbox stays responsive. The
// worker of a previous incarnation (after a restart) finishes and releases its instance
// first: two processes must never share the file system at once.
func (b *bridgeActor) start(ctx actor.Context) {
	b.jobs = make(chan job, 4) // the busy flag keeps at most one job queued; sends never block
	self, system := ctx.Self(), ctx.ActorSystem()
	send := func(pid *actor.PID, msg any) { system.Root.Send(pid, msg) }
	w := &worker{send: send, self: self, log: b.log, metrics: b.cfg.metrics, failing: &b.shared.failing}
	b.worker = w
	prev, done := b.shared.workerDone, make(chan struct{})
	b.shared.workerDone = done
	go w.loop(b.jobs, prev, done)
	cfg := b.cfg.Bridge
	backoff := restartBackoff(b.shared.restarts)
	shared := b.shared
	b.busy = true
	b.jobs <- func(*grant) {
		time.Sleep(backoff)
		if cfg.DataDir == "" {
			cfg.ReuseFS = shared.fs
		}
		inst, err := bridge.Open(context.Background(), cfg)
		var info bootInfo
		var t bridge.Timings
		if err == nil {
			t = inst.Timings
			info, err = w.adopt(inst)
		}
		send(self, &instanceOpened{inst: inst, err: err, info: info, timed: t})
	}
}

func (b *bridgeActor) opened(ctx actor.Context, m *instanceOpened) {
	b.busy = false
	if m.err != nil && !b.shared.everReady {
		b.startFailed(ctx, m.err)
		return
	}
	if m.err != nil {
		b.log.Error().Err(m.err).Msg("could not open the database")
		panic(fmt.Errorf("actors: open: %w", m.err))
	}
	b.inst = m.inst
	b.shared.everReady = true
	b.shared.failing.Store(false)
	if b.cfg.Bridge.DataDir == "" {
		b.shared.fs = m.inst.ReusableFS()
	}
	b.params, b.roles, b.ready = m.info.params, m.info.roles, true
	ctx.ActorSystem().EventStream.Publish(&BridgeReady{Timings: m.timed, Restart: b.shared.restarts})
	for _, p := range b.pending {
		b.answerAttach(ctx, p.req, p.sender, false)
	}
	b.pending = nil
	b.armIdleStop(ctx)
	b.schedule(ctx)
}

// stop ends the worker. The instance is closed by the drain, or left to the next
// incarnation's crash recovery when the actor failed.
func (b *bridgeActor) stop() {
	if b.jobs != nil {
		close(b.jobs)
		b.jobs = nil
	}
	if b.idleTimer != nil {
		b.idleTimer.Stop()
	}
	b.rec.stopTimer()
}

// serverParams are the ParameterStatus values a real server reports at startup.
var serverParams = []string{"server_version", "server_encoding", "client_encoding", "DateStyle",
	"IntervalStyle", "TimeZone", "integer_datetimes", "standard_conforming_strings",
	"default_transaction_read_only", "in_hot_standby", "scram_iterations", "search_path"}

func readBootInfo(inst *bridge.Instance) (bootInfo, error) {
	w := &worker{inst: inst}
	var info bootInfo
	rows, err := w.query("select name, setting from pg_settings where name in ('" + strings.Join(serverParams, "','") + "')")
	if err != nil {
		return info, err
	}
	for _, r := range rows {
		info.params = append(info.params, [2]string{r[0], r[1]})
	}
	info.roles, err = readRoles(w)
	return info, err
}

func readRoles(w *worker) (map[string]bool, error) {
	rows, err := w.query("select rolname, rolsuper from pg_roles where rolcanlogin")
	if err != nil {
		return nil, err
	}
	roles := map[string]bool{}
	for _, r := range rows {
		roles[r[0]] = r[1] == "t"
	}
	return roles, nil
}

// attach registers a session, or refuses it like PostgreSQL would.
func (b *bridgeActor) attach(m *AttachRequest, sender *actor.PID) *AttachReply {
	if m.Database != b.cfg.routeName {
		return &AttachReply{Fatal: protocol.FatalError("3D000", fmt.Sprintf("database %q does not exist", m.Database))}
	}
	super, ok := b.roles[m.User]
	if !ok {
		return &AttachReply{Fatal: protocol.FatalError("28000", fmt.Sprintf("role %q does not exist", m.User))}
	}
	if b.draining != nil {
		return &AttachReply{Fatal: protocol.FatalError("57P03", "the database system is shutting down")}
	}
	s := &session{id: m.ConnID, namer: protocol.NewNamer(uint32(m.ConnID)), pid: sender, user: m.User, super: super, startup: m.Settings, cancelPID: m.CancelPID,
		cancelKey: m.CancelKey, out: m.Output, gone: m.Gone, credits: m.Credits, txStatus: 'I', listen: map[string]bool{},
		prepared: m.Prepared}
	b.sessions[s.id] = s
	params := make([][2]string, 0, len(b.params)+3)
	for _, p := range b.params {
		if v, ok := m.Settings[p[0]]; ok {
			p[1] = v
		}
		params = append(params, p)
	}
	superStr := "off"
	if super {
		superStr = "on"
	}
	params = append(params, [2]string{"application_name", m.Settings["application_name"]},
		[2]string{"is_superuser", superStr}, [2]string{"session_authorization", m.User})
	return &AttachReply{Params: params}
}

// enqueue takes a client's batch: it feeds a running COPY of that client, or waits for the
// lease.
func (b *bridgeActor) enqueue(ctx actor.Context, m *ExecRequest) {
	s := b.sessions[m.ConnID]
	if s == nil || s.detached {
		return
	}
	if ch := b.more[s.id]; ch != nil && b.wantMore[s.id] {
		b.wantMore[s.id] = false
		s.took()
		ch <- joinSegments(m)
		return
	}
	m.queued = time.Now()
	s.queue = append(s.queue, m)
	if b.holder != s.id && !contains(b.waiting, s.id) {
		b.waiting = append(b.waiting, s.id)
	}
	b.schedule(ctx)
}

func joinSegments(m *ExecRequest) []byte {
	var out []byte
	for _, s := range m.Segments {
		if !s.Internal {
			out = append(out, s.Data...)
		}
	}
	return out
}

func contains(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// inputWanted: the running COPY needs the client's next request.
func (b *bridgeActor) inputWanted(connID uint64) {
	s := b.sessions[connID]
	ch := b.more[connID]
	if s == nil || ch == nil {
		return
	}
	if len(s.queue) > 0 {
		next := s.queue[0]
		s.queue = s.queue[1:]
		s.took()
		ch <- joinSegments(next)
		return
	}
	b.wantMore[connID] = true
}

// schedule hands the next job to the worker: the lease holder's next request, or the lease
// to the first waiting session.
func (b *bridgeActor) schedule(ctx actor.Context) {
	if !b.ready || b.busy {
		return
	}
	if len(b.internalQueue) > 0 {
		b.runInternal(ctx)
		return
	}
	if b.draining != nil && !b.draining.smart {
		b.drainStep(ctx)
		return
	}
	if b.holder == 0 {
		for len(b.waiting) > 0 && b.holder == 0 {
			id := b.waiting[0]
			b.waiting = b.waiting[1:]
			if s := b.sessions[id]; s != nil && (len(s.queue) > 0 || s.detached || s.api != nil) {
				b.holder = id
			}
		}
	}
	if b.holder == 0 && len(b.snapshots) > 0 {
		b.runSnapshot(ctx)
		return
	}
	if b.holder == 0 {
		b.noteEmpty(ctx)
		b.noteIdle(ctx)
		return
	}
	s := b.sessions[b.holder]
	if s.api == nil && !s.detached && len(s.queue) == 0 {
		return // the holder is idle inside a transaction or a pipeline
	}
	if b.idleTimer != nil {
		b.idleTimer.Stop()
	}
	switch {
	case s.api != nil:
		b.runAPI(ctx, s)
	case s.detached && !s.used:
		delete(b.sessions, s.id)
		b.holder = 0
		b.schedule(ctx)
	case s.detached:
		b.runCleanup(ctx, s)
	case len(s.queue) > 0:
		req := s.queue[0]
		s.queue = s.queue[1:]
		s.took()
		b.runExec(ctx, s, req)
	}
}

func (b *bridgeActor) runExec(ctx actor.Context, s *session, req *ExecRequest) {
	b.busy, s.inFlight, s.used = true, true, true
	req.reprepare, s.reprepare = s.reprepare, false
	b.cfg.metrics.queries.Add(1)
	b.cfg.metrics.leaseWaited(req.queued)
	more := make(chan []byte, 1)
	b.more[s.id] = more
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	contended := len(b.waiting) > 0
	run := func(next *grant) {
		j := &execJob{sess: s, req: req, more: more, contended: contended}
		if r := next.reader; r != nil && r.h.id == s.id {
			j.own = r
		}
		res := w.run(j)
		res.req = req
		system.Root.Send(self, &jobDone{res: res, next: next, w: w})
	}
	if b.offer.give(w, s.id, run) {
		b.offer = nil
		return
	}
	b.jobs <- run
}

// finished processes a completed batch: notifications, LISTEN bookkeeping, lease release.
func (b *bridgeActor) finished(ctx actor.Context, res execResult) {
	b.busy = false
	delete(b.more, res.connID)
	delete(b.wantMore, res.connID)
	if res.err != nil {
		b.broken(ctx, res.err)
		return
	}
	s := b.sessions[res.connID]
	if s != nil {
		s.inFlight = false
		if res.settings != nil {
			s.settings = res.settings
		}
		if res.atSync {
			s.txStatus = res.txStatus
		}
	}
	if res.rolesChanged {
		b.refreshRoles(ctx)
	}
	if res.deallocatedAll {
		b.deallocatedAll(res.connID)
	}
	if res.discardedAll && s != nil {
		b.discardedAll(s)
	}
	if res.tempObjects != nil {
		b.adoptTemp(s, res.tempObjects)
	}
	for _, n := range res.notifications {
		b.route(ctx, n)
	}
	if s != nil && res.listenTags > 0 && res.req != nil {
		b.applyListen(ctx, s, res.req)
	}
	if s != nil && res.gone {
		// Its output was cut short: clean up now, while it still holds the lease.
		s.detached, s.queue = true, nil
	}
	if s != nil && res.atSync && res.txStatus == 'I' && len(s.queue) == 0 && !s.detached {
		b.holder = 0
	} else if s != nil && res.atSync && len(s.queue) == 0 && b.cfg.IdleInTransactionTimeout > 0 {
		b.armIdle(ctx, s.id)
	}
	b.schedule(ctx)
}

// route delivers a NotificationResponse to every session listening on its channel.
func (b *bridgeActor) route(ctx actor.Context, msg []byte) {
	_, channel, _, ok := protocol.Notification(msg)
	if !ok {
		return
	}
	for id := range b.channels[channel] {
		if s := b.sessions[id]; s != nil && !s.detached {
			ctx.Send(s.pid, &NotificationArrived{Data: msg})
		}
	}
}

// applyListen records a session's LISTEN/UNLISTEN once a command of that kind completed. The
// backend listens on the union of all sessions' channels, so a channel another session
// still wants is subscribed again after this session's UNLISTEN.
func (b *bridgeActor) applyListen(ctx actor.Context, s *session, req *ExecRequest) {
	drop := func(ch string) {
		delete(s.listen, ch)
		delete(b.channels[ch], s.id)
		if len(b.channels[ch]) == 0 {
			delete(b.channels, ch)
		}
	}
	var lost []string
	if req.UnlistenAll {
		for ch := range s.listen {
			drop(ch)
			lost = append(lost, ch)
		}
	}
	for _, ch := range req.Unlisten {
		drop(ch)
		lost = append(lost, ch)
	}
	for _, ch := range req.Listen {
		s.listen[ch] = true
		if b.channels[ch] == nil {
			b.channels[ch] = map[uint64]bool{}
		}
		b.channels[ch][s.id] = true
	}
	var again []string
	if req.UnlistenAll {
		// UNLISTEN * ended every subscription of the shared backend, other clients' too.
		for ch := range b.channels {
			again = append(again, ch)
		}
	} else {
		for _, ch := range lost {
			if len(b.channels[ch]) > 0 {
				again = append(again, ch)
			}
		}
	}
	b.relisten(again)
}

// discardedAll handles a client's DISCARD ALL: its own subscriptions end, as it asked, and
// the backend listens again on every channel other clients still want (DISCARD ALL runs
// UNLISTEN * for the whole backend).
func (b *bridgeActor) discardedAll(s *session) {
	b.applyListen(nil, s, &ExecRequest{UnlistenAll: true})
}

// relisten subscribes the backend again to channels, before the next client batch.
func (b *bridgeActor) relisten(again []string) {
	if len(again) == 0 {
		return
	}
	b.internal(func(w *worker) (func(), error) {
		var sql string
		for _, ch := range again {
			sql += "LISTEN " + protocol.QuoteIdent(ch) + ";"
		}
		_, err := w.query(sql)
		return nil, err
	})
}

// refreshRoles reloads the login roles after CREATE/ALTER/DROP ROLE.
func (b *bridgeActor) refreshRoles(ctx actor.Context) {
	b.internal(func(w *worker) (func(), error) {
		roles, err := readRoles(w)
		return func() {
			if err == nil {
				b.roles = roles
			}
			waiters := b.roleWaiters
			b.roleWaiters = nil
			for _, p := range waiters {
				b.answerAttach(ctx, p.req, p.sender, true)
			}
		}, err
	})
}

// answerAttach replies to an AttachRequest. A role the Bridge does not know yet may have
// been created a moment ago by another session, so it re-reads the roles once before
// refusing it.
func (b *bridgeActor) answerAttach(ctx actor.Context, m *AttachRequest, sender *actor.PID, rolesFresh bool) {
	if _, ok := b.roles[m.User]; !ok && !rolesFresh && m.Database == b.cfg.routeName {
		b.roleWaiters = append(b.roleWaiters, pendingAttach{req: m, sender: sender})
		if len(b.roleWaiters) == 1 {
			b.refreshRoles(ctx)
			b.schedule(ctx)
		}
		return
	}
	ctx.Send(sender, b.attach(m, sender))
}

// internalJob is backend work of the Bridge itself, between client batches. It runs on the
// worker and may return a function to apply its result on the actor's goroutine.
type internalJob func(w *worker) (apply func(), err error)

// internal queues backend work to run before the next client batch.
func (b *bridgeActor) internal(job internalJob) {
	b.internalQueue = append(b.internalQueue, job)
}

// runInternal runs the queued internal work as one worker job.
func (b *bridgeActor) runInternal(ctx actor.Context) {
	jobs := b.internalQueue
	b.internalQueue = nil
	b.busy = true
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	b.jobs <- func(*grant) {
		ran := &internalRan{}
		for _, job := range jobs {
			apply, err := job(w)
			if errors.Is(err, bridge.ErrBroken) {
				ran.err = err
				break
			}
			if err != nil {
				w.log.Warn().Err(err).Msg("internal query failed")
			}
			if apply != nil {
				ran.apply = append(ran.apply, apply)
			}
		}
		system.Root.Send(self, ran)
	}
}

// detach queues the cleanup of a vanished client in its turn for the lease.
func (b *bridgeActor) detach(ctx actor.Context, connID uint64) {
	s := b.sessions[connID]
	if s == nil {
		return
	}
	s.detached = true
	s.queue = nil
	if ch := b.more[connID]; ch != nil && b.wantMore[connID] {
		b.wantMore[connID] = false
		ch <- copyFail
	}
	if b.holder != connID && !contains(b.waiting, connID) {
		// A session without a transaction or statements needs no backend work.
		b.waiting = append(b.waiting, connID)
	}
	b.schedule(ctx)
}

// runCleanup ends a detached session's work on the backend: finish any pipeline, roll back,
// drop its prepared statements and the subscriptions nobody else needs.
func (b *bridgeActor) runCleanup(ctx actor.Context, s *session) {
	prefix := s.namer.Prefix
	var drop []string
	for ch := range s.listen {
		if len(b.channels[ch]) == 1 {
			drop = append(drop, ch)
		}
		delete(b.channels[ch], s.id)
	}
	alone := b.clientSessions() == 0 // s is detached already
	temp := s.temp
	if alone {
		clear(b.tempOwner) // DISCARD ALL drops every temporary object
	} else {
		b.releaseTemp(s)
	}
	b.busy = true
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	id := s.id
	b.jobs <- func(*grant) {
		err := w.cleanup(s, prefix, drop, alone, temp)
		system.Root.Send(self, &cleanupDone{connID: id, err: err})
	}
}

func (b *bridgeActor) cleaned(ctx actor.Context, m *cleanupDone) {
	b.busy = false
	if m.err != nil {
		b.broken(ctx, m.err)
		return
	}
	delete(b.sessions, m.connID)
	if b.holder == m.connID {
		b.holder = 0
	}
	b.schedule(ctx)
}

// apiQuery queues an embedding query as a short-lived session of the default user.
func (b *bridgeActor) apiQuery(ctx actor.Context, m *QueryRequest) {
	if m.NoWait && (!b.ready || b.busy || b.holder != 0 || len(b.waiting) > 0) {
		ctx.Respond(&QueryReply{Err: ErrBackendBusy})
		return
	}
	b.nextConnID++
	id := apiConnBase + b.nextConnID
	b.sessions[id] = &session{id: id, pid: ctx.Sender(), user: "postgres", api: m, listen: map[string]bool{}}
	b.waiting = append(b.waiting, id)
	b.schedule(ctx)
}

// apiConnBase keeps embedding sessions apart from client connection IDs.
const apiConnBase = 1 << 62

func (b *bridgeActor) runAPI(ctx actor.Context, s *session) {
	b.busy = true
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	q, id := s.api, s.id
	b.jobs <- func(*grant) {
		var reply *QueryReply
		err := w.switchTo(s)
		if err == nil {
			reply, err = w.apiQuery(q)
		}
		system.Root.Send(self, &apiDone{connID: id, reply: reply, err: err})
	}
}

func (b *bridgeActor) apiFinished(ctx actor.Context, m *apiDone) {
	b.busy = false
	s := b.sessions[m.connID]
	delete(b.sessions, m.connID)
	if b.holder == m.connID {
		b.holder = 0
	}
	if m.err != nil {
		if s != nil && s.pid != nil {
			ctx.Send(s.pid, &QueryReply{Err: m.err})
		}
		b.broken(ctx, m.err)
		return
	}
	if s != nil && s.pid != nil {
		ctx.Send(s.pid, m.reply)
	}
	b.schedule(ctx)
}

// cancel stops the running query of the session whose key matches.
func (b *bridgeActor) cancel(m *CancelRequest) {
	for _, s := range b.sessions {
		if s.cancelPID == m.PID && subtle.ConstantTimeCompare(s.cancelKey, m.Key) == 1 {
			if s.inFlight && b.inst != nil {
				b.log.Debug().Uint64("conn_id", s.id).Msg("cancel request")
				b.inst.Cancel()
			}
			return
		}
	}
}

// broken answers the clients and fails the actor so the Supervisor restarts it; the message
// that fails an actor is not redelivered, so the replies go out first.
func (b *bridgeActor) broken(ctx actor.Context, err error) {
	b.log.Error().Err(err).Msg("instance broken; restarting")
	ctx.ActorSystem().EventStream.Publish(&BridgeFailed{Err: err})
	msg := protocol.FatalError("XX000", "terminating connection because the database instance failed; it is restarting")
	for _, s := range b.sessions {
		ctx.Send(s.pid, &SessionTerminated{Message: msg})
	}
	b.sessions = map[uint64]*session{}
	b.shared.failing.Store(true)
	for _, p := range append(b.pending, b.roleWaiters...) {
		ctx.RequestWithCustomSender(ctx.Self(), p.req, p.sender)
	}
	b.shared.restarts++
	b.cfg.metrics.restarts.Add(1)
	panic(fmt.Errorf("actors: instance failed: %w", err))
}

// checkIdle ends a session left idle inside a transaction past the timeout.
func (b *bridgeActor) checkIdle(ctx actor.Context, connID uint64) {
	s := b.sessions[connID]
	if s == nil || b.holder != connID || s.inFlight || len(s.queue) > 0 || s.txStatus == 'I' {
		return
	}
	b.log.Info().Uint64("conn_id", connID).Msg("terminating idle-in-transaction session")
	ctx.Send(s.pid, &SessionTerminated{Message: protocol.IdleInTransactionTimeout()})
	b.detach(ctx, connID)
}

func (b *bridgeActor) armIdle(ctx actor.Context, connID uint64) {
	if b.idleTimer != nil {
		b.idleTimer.Stop()
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	b.idleTimer = time.AfterFunc(b.cfg.IdleInTransactionTimeout, func() {
		system.Root.Send(self, &idleCheck{connID: connID})
	})
}

// noteEmpty stops a database that has had no sessions for IdleTimeout, in multi-database
// mode: it records when the Bridge became empty; a periodic check (armIdleStop) and every
// scheduling pass compare that with the timeout.
func (b *bridgeActor) noteEmpty(ctx actor.Context) {
	timeout := b.cfg.Databases.IdleTimeout
	if !b.cfg.Databases.Enabled || timeout <= 0 || b.draining != nil {
		return
	}
	if len(b.sessions) > 0 || b.busy || len(b.pending) > 0 {
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
	if !b.cfg.Databases.Enabled || timeout <= 0 || b.draining != nil || b.jobs == nil {
		return
	}
	self, system := ctx.Self(), ctx.ActorSystem()
	time.AfterFunc(timeout/4, func() { system.Root.Send(self, &idleStop{}) })
}
