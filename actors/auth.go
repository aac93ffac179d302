package actors

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/socket"
)

// Client authentication as PostgreSQL does it: the pg_hba.conf in each instance's data
// directory picks the method for a connection, and a password method checks the role's own
// verifier from pg_authid. Both are read with SQL through the database's Bridge (it owns the
// instance's files), the rules once per database and again on ReloadHBA, the role once per
// connection and only when the matched line needs it.
//
// With a server-wide password (Config.Password), trust lines are read as Config.Auth: a
// password means that nobody gets in without one. Roles without a password of their own use
// that one.

// hbaStore holds the rules of every database a tree serves.
type hbaStore struct {
	cfg *Config
	log zerolog.Logger

	mu  sync.Mutex
	dbs map[string]*hbaRules

	booted   atomic.Bool // the single database's first boot was seen
	startErr atomic.Pointer[error]
	// roleGen counts statements that may have changed roles (protocol.MentionsRoles); a
	// cached role is trusted only if none was read since it was fetched.
	roleGen atomic.Uint64
}

// cachedRole is a role as last read, with the roleGen it was read under.
type cachedRole struct {
	role *socket.Role
	gen  uint64
}

// rolesMayChange is called for every statement that may create, change or drop a role.
func (s *hbaStore) rolesMayChange() {
	if s != nil {
		s.roleGen.Add(1)
	}
}

// role reads a connecting role. When a client holds the backend (inside a transaction, say)
// the query would have to wait for it, so a copy read earlier is used, as long as no
// statement that may change roles was seen since; otherwise the login waits its turn.
func (s *hbaStore) role(r *hbaRules, system *actor.ActorSystem, pid *actor.PID, timeout time.Duration, user string) (*socket.Role, error) {
	gen := s.roleGen.Load()
	role, err := lookupRole(system, pid, timeout, user, true)
	if errors.Is(err, ErrBackendBusy) {
		r.rolesMu.Lock()
		c, ok := r.roles[user]
		r.rolesMu.Unlock()
		if ok && c.gen == gen {
			return c.role, nil
		}
		role, err = lookupRole(system, pid, timeout, user, false)
	}
	if err != nil {
		return nil, err
	}
	r.rolesMu.Lock()
	if r.roles == nil || len(r.roles) > 10000 {
		r.roles = map[string]cachedRole{}
	}
	r.roles[user] = cachedRole{role: role, gen: gen}
	r.rolesMu.Unlock()
	return role, nil
}

// hbaRules is one database's pg_hba.conf, behind an atomic pointer: connections read it
// without a lock while a reload replaces it.
type hbaRules struct {
	name    string // the database name clients connect to
	hostDir string // its host data directory, to name the file in errors; "" in memory
	cur     atomic.Pointer[socket.HBA]
	bridge  atomic.Pointer[actor.PID] // the Bridge last seen serving it, for reloads
	stale   atomic.Bool               // a reload found its instance stopped: re-read on next use
	loadMu  sync.Mutex                // one read of the file at a time

	rolesMu sync.Mutex
	roles   map[string]cachedRole // connecting roles as last read
}

func newHBAStore(cfg *Config) *hbaStore {
	return &hbaStore{cfg: cfg, dbs: map[string]*hbaRules{},
		log: cfg.Logger.With().Str("component", "auth").Logger()}
}

// rules returns a database's record, creating it on first use.
func (s *hbaStore) rules(name string) *hbaRules {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.dbs[name]
	if r == nil {
		r = &hbaRules{name: name, hostDir: s.cfg.Bridge.DataDir}
		if s.cfg.Databases.Enabled && r.hostDir != "" {
			r.hostDir = filepath.Join(r.hostDir, name)
		}
		s.dbs[name] = r
	}
	return r
}

func (s *hbaStore) all() []*hbaRules {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*hbaRules, 0, len(s.dbs))
	for _, r := range s.dbs {
		out = append(out, r)
	}
	return out
}

// get returns the rules, reading the file when they were never read or a reload could not
// reach the instance. A file that does not parse keeps the rules read before, if any.
func (s *hbaStore) get(r *hbaRules, system *actor.ActorSystem, pid *actor.PID, timeout time.Duration) (*socket.HBA, error) {
	r.bridge.Store(pid)
	if h := r.cur.Load(); h != nil && !r.stale.Load() {
		return h, nil
	}
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	if h := r.cur.Load(); h != nil && !r.stale.Load() {
		return h, nil
	}
	err := s.load(r, system, pid, timeout)
	if h := r.cur.Load(); h != nil {
		return h, nil
	}
	return nil, err
}

// load reads and parses the file; only a file that parses replaces the rules.
func (s *hbaStore) load(r *hbaRules, system *actor.ActorSystem, pid *actor.PID, timeout time.Duration) error {
	file, text, err := readHBA(system, pid, timeout, r.hostDir)
	if err != nil {
		return err
	}
	h, err := socket.ParseHBA(file, text, socket.HBAOptions{SSL: s.cfg.TLS != nil})
	if err != nil {
		if r.cur.Load() != nil {
			s.log.Warn().Err(err).Str("database", r.name).Msgf("%s was not reloaded", file)
			r.stale.Store(false)
		}
		return err
	}
	r.cur.Store(h)
	r.stale.Store(false)
	return nil
}

// readHBA reads the instance's hba_file (pg_hba.conf in its data directory unless set
// otherwise), naming it by its host path when the data directory is a host directory.
func readHBA(system *actor.ActorSystem, pid *actor.PID, timeout time.Duration, hostDir string) (file, text string, err error) {
	reply, err := bridgeQuery(system, pid, timeout, `select pg_catalog.current_setting('data_directory'),
		pg_catalog.current_setting('hba_file'), pg_catalog.pg_read_file(pg_catalog.current_setting('hba_file'))`)
	if err != nil {
		return "", "", fmt.Errorf("actors: reading pg_hba.conf: %w", err)
	}
	if len(reply.Rows) != 1 || len(reply.Rows[0]) != 3 {
		return "", "", errors.New("actors: reading pg_hba.conf: no result")
	}
	dataDir, _ := reply.Rows[0][0].(string)
	file, _ = reply.Rows[0][1].(string)
	text, _ = reply.Rows[0][2].(string)
	if rel, ok := strings.CutPrefix(file, dataDir+"/"); ok && hostDir != "" {
		file = filepath.Join(hostDir, rel)
	}
	return file, text, nil
}

// roleQuery reads what authentication needs about one role: its verifier, whether it may
// log in, when its password expires (seconds since 1970, or ±Infinity) and every role it
// belongs to, directly or through others (+group lines, as PostgreSQL's is_member).
const roleQuery = `select a.rolpassword, a.rolcanlogin, extract(epoch from a.rolvaliduntil)::text,
	(with recursive m(id) as (
		select g.roleid from pg_catalog.pg_auth_members g where g.member = a.oid
		union
		select g.roleid from pg_catalog.pg_auth_members g join m on g.member = m.id)
	 select coalesce(pg_catalog.json_agg(r.rolname), '[]')::text from m join pg_catalog.pg_authid r on r.oid = m.id)
from pg_catalog.pg_authid a where a.rolname = $1`

func lookupRole(system *actor.ActorSystem, pid *actor.PID, timeout time.Duration, user string, noWait bool) (*socket.Role, error) {
	reply, err := bridgeRequest(system, pid, timeout, &QueryRequest{SQL: roleQuery, Args: []any{user}, NoWait: noWait})
	if errors.Is(err, ErrBackendBusy) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("actors: reading role %q: %w", user, err)
	}
	role := &socket.Role{Name: user}
	if len(reply.Rows) == 0 {
		return role, nil
	}
	row := reply.Rows[0]
	role.Exists = true
	role.Password, _ = row[0].(string)
	role.CanLogin = row[1] == "t"
	if s, ok := row[2].(string); ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			switch {
			case math.IsInf(f, 1):
			case math.IsInf(f, -1):
				role.ValidUntil = time.Unix(1, 0)
			default:
				sec, frac := math.Modf(f)
				role.ValidUntil = time.Unix(int64(sec), int64(frac*1e9))
			}
		}
	}
	if s, ok := row[3].(string); ok {
		if err := json.Unmarshal([]byte(s), &role.MemberOf); err != nil {
			return nil, fmt.Errorf("actors: reading role %q: %w", user, err)
		}
	}
	return role, nil
}

// bridgeQuery runs SQL on a Bridge as an embedding query: in its turn for the backend,
// never inside a client's transaction.
func bridgeQuery(system *actor.ActorSystem, pid *actor.PID, timeout time.Duration, sql string, args ...any) (*QueryReply, error) {
	return bridgeRequest(system, pid, timeout, &QueryRequest{SQL: sql, Args: args})
}

func bridgeRequest(system *actor.ActorSystem, pid *actor.PID, timeout time.Duration, req *QueryRequest) (*QueryReply, error) {
	if pid == nil {
		return nil, errors.New("actors: no database instance")
	}
	res, err := system.Root.RequestFuture(pid, req, timeout).Result()
	if err != nil {
		return nil, err
	}
	switch r := res.(type) {
	case *QueryReply:
		if r.Err != nil {
			return nil, r.Err
		}
		return r, nil
	case *SessionTerminated:
		return nil, errors.New("the database instance restarted")
	}
	return nil, fmt.Errorf("unexpected reply %T", res)
}

// authorize decides, as PostgreSQL's ClientAuthentication does, whether a client that has
// sent its startup packet may go on: the database's pg_hba.conf picks the method and the
// password is checked against the role's verifier. It runs on the handshake goroutine, until
// deadline. A refused client has been sent its FATAL; the error is for the log.
func authorize(system *actor.ActorSystem, cfg *Config, hs *socket.Handshake, bridge, router *actor.PID, deadline time.Time, log zerolog.Logger) error {
	conn, st := hs.Conn, hs.Startup
	_ = conn.SetDeadline(deadline)
	defer conn.SetDeadline(time.Time{})
	timeout := max(time.Until(deadline), time.Second)
	user, db := st.Params["user"], st.Params["database"]
	if db == "" {
		db = user
	}
	name := cfg.database()
	if bridge == nil {
		name = db
		res, err := system.Root.RequestFuture(router, &lookupBridge{Database: db}, timeout).Result()
		found, _ := res.(*bridgeFound)
		if err != nil || found == nil {
			_, _ = conn.Write(protocol.CannotConnectNow(""))
			return fmt.Errorf("actors: finding database %q: %v", db, err)
		}
		if found.Fatal != nil {
			_, _ = conn.Write(found.Fatal)
			return fmt.Errorf("actors: database %q refused", db)
		}
		bridge = found.PID
	}
	s := cfg.hba
	rules0 := s.rules(name)
	rules, err := s.get(rules0, system, bridge, timeout)
	if err != nil {
		var he *socket.HBAError
		if errors.As(err, &he) {
			s.log.Error().Err(err).Str("database", name).Msg("could not load pg_hba.conf")
			_, _ = conn.Write(protocol.FatalError("XX000", "could not load "+he.File))
		} else {
			_, _ = conn.Write(protocol.CannotConnectNow(""))
		}
		return err
	}

	c := socket.HBAConn{User: user, Database: db}
	_, c.SSL = conn.(*tls.Conn)
	if a, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		c.Addr = a.AddrPort().Addr()
	} else {
		c.Local = true // a Unix socket, or a pipe from Dial or ServeConn
	}
	var role *socket.Role
	var roleErr error
	getRole := func() (*socket.Role, error) {
		if role == nil && roleErr == nil {
			role, roleErr = s.role(rules0, system, bridge, timeout, user)
		}
		return role, roleErr
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	line, err := rules.Match(ctx, c, getRole)
	if err != nil {
		_, _ = conn.Write(protocol.CannotConnectNow(""))
		return err
	}
	if line == nil {
		_, _ = conn.Write(protocol.InvalidAuthorization(c.NoEntryMessage()))
		return errors.New("actors: " + c.NoEntryMessage())
	}
	method := line.Method
	if method == socket.AuthTrust && cfg.Password != "" {
		method = cfg.Auth
	}
	switch method {
	case socket.AuthReject:
		_, _ = conn.Write(protocol.InvalidAuthorization(c.RejectMessage()))
		return errors.New("actors: " + c.RejectMessage())
	case socket.AuthTrust:
		return nil
	}
	if _, err := getRole(); err != nil {
		_, _ = conn.Write(protocol.CannotConnectNow(""))
		return err
	}
	if err := socket.AuthenticateRole(conn, method, user, role, cfg.Password); err != nil {
		log.Info().Str("user", user).Str("method", method.String()).Int("hba_line", line.Line).
			Msg("password authentication failed")
		return err
	}
	if !role.CanLogin {
		_, _ = conn.Write(protocol.InvalidAuthorization(fmt.Sprintf(`role "%s" is not permitted to log in`, user)))
		return fmt.Errorf("actors: role %q is not permitted to log in", user)
	}
	return nil
}

// bridgeReady marks the tree ready. On the first boot of a single database it reads
// pg_hba.conf first: a file that does not parse is a startup error, as it stops PostgreSQL,
// and the tree shuts down with it. (With several databases, each reads its file on its
// first connection; a bad one refuses that database's clients.)
func (h *Handle) bridgeReady() {
	s := h.hba
	if s == nil || s.cfg.Databases.Enabled || !s.booted.CompareAndSwap(false, true) {
		h.markReady()
		return
	}
	go func() {
		<-h.pidsSet // the first boot can be quicker than Start's return
		_, err := s.get(s.rules(s.cfg.database()), h.system, h.Bridge(), s.cfg.StartupTimeout)
		if err == nil {
			h.markReady()
			return
		}
		s.log.Error().Err(err).Msg("could not load pg_hba.conf")
		err = &StartupError{Err: fmt.Errorf("could not load pg_hba.conf: %w", err)}
		s.startErr.Store(&err)
		h.system.Root.Send(h.Supervisor(), &ShutdownRequest{Deadline: h.shutdownTimeout})
	}()
}

// startupError is the error that stopped the tree at startup, if any.
func (s *hbaStore) startupError() error {
	if s == nil {
		return nil
	}
	if p := s.startErr.Load(); p != nil {
		return *p
	}
	return nil
}

// ReloadHBA re-reads pg_hba.conf for every database, as PostgreSQL does on SIGHUP and
// pg_reload_conf(). A file that does not parse is logged and its old rules stay; the errors
// of the files not reloaded are returned. A database whose instance is stopped re-reads its
// file when it next starts.
func (h *Handle) ReloadHBA(ctx context.Context) error {
	s := h.hba
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	var errs []error
	for _, r := range s.all() {
		pid := r.bridge.Load()
		if !s.cfg.Databases.Enabled {
			pid = h.Bridge()
		}
		r.loadMu.Lock()
		err := s.load(r, h.system, pid, timeout)
		r.loadMu.Unlock()
		switch {
		case err == nil:
		case errors.Is(err, actor.ErrDeadLetter):
			r.stale.Store(true)
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
