package session

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// Config configures a Backend. The hooks are called without the Backend's lock held, from
// whichever goroutine saw the event; they must not block.
type Config struct {
	// Database is the name clients must ask for (PostgreSQL's 3D000 otherwise).
	Database string
	// IdleInTransactionTimeout ends a session left idle inside a transaction (0: never).
	IdleInTransactionTimeout time.Duration
	Log                      zerolog.Logger
	// Broken: the instance failed; every session was ended with FATAL XX000.
	Broken func(err error)
	// Idle: nothing runs or waits for the backend any more, and no client is attached. It is
	// not called after every batch of an attached client, so that a busy server posts no event
	// per query.
	Idle func()
	// RolesMayChange: a client sent SQL that may create, alter or drop a role.
	RolesMayChange func()
	// BatchDone reports a client batch: how long it waited for the backend, its largest
	// message, and the instance's linear memory after it.
	BatchDone func(waited time.Duration, largest int, memory uint64)
}

// ErrClosed is returned by a Backend whose instance was released or broke. An attach that
// gets it belongs to the owner's next instance.
var ErrClosed = errors.New("session: the backend is closed")

// ErrBusy answers a Query with NoWait while a client holds the backend or others wait.
var ErrBusy = errors.New("session: the backend is busy")

// Backend grants one bridge.Instance to one Session at a time and keeps what the clients
// share apart (see the package documentation).
type Backend struct {
	cfg    Config
	inst   *bridge.Instance
	params [][2]string       // the server's ParameterStatus values at boot
	resets map[string]string // every setting's server reset value, by lower-case name
	cur    backendState      // whose state the backend holds; only the running job touches it

	// handoff takes the next job to the Backend's own goroutine. At most one job is ever
	// outstanding (running), so a send never blocks.
	handoff  chan *job
	released chan struct{}
	once     sync.Once
	closeErr error

	mu        sync.Mutex
	idleRun   *sync.Cond // signalled when running turns false
	running   bool       // a job runs, or is on its way to a goroutine that will run it
	refusing  bool       // shutting down: no new sessions
	frozen    bool       // shutting down: no client work starts any more
	closed    bool       // the instance is broken or released
	roles     map[string]bool
	sessions  map[uint64]*Session
	holder    *Session   // the session holding the lease
	waiting   []*Session // sessions (and tasks) with work, FIFO
	idleTasks []*Session // tasks that need the backend with nobody holding or waiting (snapshots)
	internal  []internalJob
	channels  map[string]map[*Session]bool // LISTEN routing
	tempOwner map[uint32]*Session          // which session created each temporary relation
	roleRead  chan struct{}                // closed when the running re-read of the roles ends
	idleTimer *time.Timer
	nextTask  uint64
}

// Open adopts a booted instance: it reads what the sessions need (the server's reported
// parameters, login roles and reset values) and gives the boot session its login user as
// session_authorization's reset value, which single-user mode never sets.
func Open(inst *bridge.Instance, cfg Config) (*Backend, error) {
	b := &Backend{cfg: cfg, inst: inst, handoff: make(chan *job, 1), released: make(chan struct{}),
		sessions: map[uint64]*Session{}, channels: map[string]map[*Session]bool{}, tempOwner: map[uint32]*Session{}}
	b.idleRun = sync.NewCond(&b.mu)
	b.cur = backendState{user: bootUser}
	var err error
	if b.params, err = readParams(b); err != nil {
		return nil, err
	}
	if b.roles, err = readRoles(b); err != nil {
		return nil, err
	}
	if b.resets, err = readResets(b); err != nil {
		return nil, err
	}
	err = inst.SetOption("session_authorization", bootUser, bridge.GucContextBackend, bridge.GucSourceOverride)
	if errors.Is(err, bridge.ErrBroken) {
		return nil, err
	}
	go b.workerLoop()
	return b, nil
}

// Instance is the instance the Backend runs. Only its thread-safe methods (Cancel,
// ReloadConfig, MemorySize and the like) may be called from outside.
func (b *Backend) Instance() *bridge.Instance { return b.inst }

// Attach describes a client that has authenticated.
type Attach struct {
	ID        uint64
	User      string
	Database  string
	Startup   map[string]string // startup options, the session's reset values
	CancelPID uint32
	CancelKey []byte
	Client    Client
}

// Attached is the answer to Attach: a Session and the ParameterStatus values to greet the
// client with, or the FATAL error (encoded) to send it.
type Attached struct {
	Session *Session
	Params  [][2]string
	Fatal   []byte
}

// Attach registers a client's session, or refuses it as PostgreSQL would. A role the
// Backend does not know may have been created a moment ago by another session, so it reads
// the roles again once before refusing; Attach can therefore wait for the backend. It
// returns ErrClosed when the instance broke or was released.
func (b *Backend) Attach(a Attach) (Attached, error) {
	if a.Database != b.cfg.Database {
		return Attached{Fatal: protocol.FatalError("3D000", fmt.Sprintf("database %q does not exist", a.Database))}, nil
	}
	b.mu.Lock()
	_, known := b.roles[a.User]
	b.mu.Unlock()
	if !known {
		if err := b.rereadRoles(); err != nil {
			return Attached{}, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return Attached{}, ErrClosed
	}
	super, ok := b.roles[a.User]
	if !ok {
		return Attached{Fatal: protocol.FatalError("28000", fmt.Sprintf("role %q does not exist", a.User))}, nil
	}
	if b.refusing {
		return Attached{Fatal: protocol.FatalError("57P03", "the database system is shutting down")}, nil
	}
	s := newSession(b, a, super)
	b.sessions[s.id] = s
	params := make([][2]string, 0, len(b.params)+3)
	for _, p := range b.params {
		if v, ok := a.Startup[p[0]]; ok {
			p[1] = v
		}
		params = append(params, p)
	}
	superStr := "off"
	if super {
		superStr = "on"
	}
	params = append(params, [2]string{"application_name", a.Startup["application_name"]},
		[2]string{"is_superuser", superStr}, [2]string{"session_authorization", a.User})
	return Attached{Session: s, Params: params}, nil
}

// Cancel stops the running query of the session whose cancel key matches, if it runs one.
func (b *Backend) Cancel(pid uint32, key []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sessions {
		if s.cancelPID == pid && s.task == nil && subtle.ConstantTimeCompare(s.cancelKey, key) == 1 {
			if s.inFlight {
				b.cfg.Log.Debug().Uint64("conn_id", s.id).Msg("cancel request")
				b.inst.Cancel()
			}
			return
		}
	}
}

// ClientCount counts the attached client sessions (not embedding queries).
func (b *Backend) ClientCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clientCount()
}

func (b *Backend) clientCount() int {
	n := 0
	for _, s := range b.sessions {
		if s.task == nil && !s.detached {
			n++
		}
	}
	return n
}

// Quiet reports whether no client could notice a restart now: nothing runs or waits, and
// no session is attached at all.
func (b *Backend) Quiet() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.closed && !b.running && len(b.sessions) == 0 && len(b.waiting) == 0 &&
		len(b.internal) == 0 && len(b.idleTasks) == 0 && b.holder == nil && b.roleRead == nil
}

// Busy reports whether a job runs now.
func (b *Backend) Busy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running
}

// RefuseSessions makes Attach refuse new sessions with 57P03 (a shutdown has begun).
func (b *Backend) RefuseSessions() {
	b.mu.Lock()
	b.refusing = true
	b.mu.Unlock()
}

// Freeze stops starting client work: the running job finishes, nothing after it starts.
func (b *Backend) Freeze() {
	b.mu.Lock()
	b.refusing, b.frozen = true, true
	b.mu.Unlock()
}

// TerminateRunning ends the session whose job runs now with fatal (an encoded FATAL), if it
// is a client's. The job goes on until it ends or is cancelled.
func (b *Backend) TerminateRunning(fatal []byte) {
	b.mu.Lock()
	s := b.holder
	b.mu.Unlock()
	if s != nil && s.task == nil && s.inFlightNow() {
		s.client.Terminate(fatal)
	}
}

// dropSessions forgets every session and fails the waiting tasks; it returns the client
// sessions, to be told.
func (b *Backend) dropSessions() []*Session {
	var clients []*Session
	for _, s := range b.sessions {
		if s.task != nil {
			s.task.finish(nil, ErrClosed)
			continue
		}
		s.detached = true
		clients = append(clients, s)
	}
	for _, t := range b.idleTasks {
		t.task.finish(nil, ErrClosed)
	}
	b.sessions, b.waiting, b.idleTasks, b.holder = map[uint64]*Session{}, nil, nil, nil
	return clients
}

// Close waits for the running job, then shuts PostgreSQL down: cleanly when rollback (an
// open transaction of the last client is rolled back first), or as a release of an
// instance the next owner recovers from its files. Every later call returns the first
// call's result.
func (b *Backend) Close(rollback bool) error {
	b.once.Do(func() {
		b.mu.Lock()
		b.refusing, b.frozen = true, true
		for b.running {
			b.idleRun.Wait()
		}
		broken := b.closed
		b.closed = true
		ended := b.dropSessions()
		b.mu.Unlock()
		for _, s := range ended {
			s.client.Terminate(protocol.AdminShutdown())
		}
		if rollback && !broken {
			if st, err := b.sync(); err == nil && st != 'I' {
				_, _ = b.query("ROLLBACK")
			}
		}
		b.closeErr = b.inst.Close()
		close(b.handoff)
		close(b.released)
	})
	return b.closeErr
}

// fail ends every session after the instance broke, and tells the owner. Called with the
// lock held, by the goroutine that ran the failing job; it unlocks.
func (b *Backend) fail(err error) {
	b.closed = true
	ended := b.dropSessions()
	b.mu.Unlock()
	b.cfg.Log.Error().Err(err).Msg("instance broken")
	msg := protocol.FatalError("XX000", "terminating connection because the database instance failed; it is restarting")
	for _, s := range ended {
		s.client.Terminate(msg)
	}
	if b.cfg.Broken != nil {
		b.cfg.Broken(err)
	}
	b.mu.Lock()
}

// bootUser is the role the backend runs as after boot.
const bootUser = "postgres"

// serverParams are the ParameterStatus values a real server reports at startup.
var serverParams = []string{"server_version", "server_encoding", "client_encoding", "DateStyle",
	"IntervalStyle", "TimeZone", "integer_datetimes", "standard_conforming_strings",
	"default_transaction_read_only", "in_hot_standby", "scram_iterations", "search_path"}

func readParams(b *Backend) ([][2]string, error) {
	rows, err := b.query("select name, setting from pg_settings where name in ('" + strings.Join(serverParams, "','") + "')")
	if err != nil {
		return nil, err
	}
	params := make([][2]string, 0, len(rows))
	for _, r := range rows {
		params = append(params, [2]string{r[0], r[1]})
	}
	return params, nil
}

func readRoles(b *Backend) (map[string]bool, error) {
	rows, err := b.query("select rolname, rolsuper from pg_roles where rolcanlogin")
	if err != nil {
		return nil, err
	}
	roles := map[string]bool{}
	for _, r := range rows {
		roles[r[0]] = r[1] == "t"
	}
	return roles, nil
}

func readResets(b *Backend) (map[string]string, error) {
	rows, err := b.query("select name, reset_val from pg_catalog.pg_settings")
	if err != nil {
		return nil, err
	}
	resets := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) == 2 {
			resets[strings.ToLower(r[0])] = r[1] // setting names are case-insensitive
		}
	}
	return resets, nil
}

// rereadRoles reads the login roles again, between client batches, and waits for it. A
// read already under way serves every caller that arrives meanwhile.
func (b *Backend) rereadRoles() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if b.roleRead == nil {
		b.refreshRoles()
		b.kickLocked()
	}
	done := b.roleRead
	b.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-b.released:
		return ErrClosed
	}
}

// refreshRoles queues a re-read of the roles after CREATE, ALTER or DROP ROLE.
func (b *Backend) refreshRoles() {
	if b.roleRead != nil {
		return
	}
	b.roleRead = make(chan struct{})
	b.internal = append(b.internal, func(b *Backend) (func(), error) {
		roles, err := readRoles(b)
		return func() {
			if err == nil {
				b.roles = roles
			}
			close(b.roleRead)
			b.roleRead = nil
		}, err
	})
}
