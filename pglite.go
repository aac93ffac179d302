// Package pglite runs a real PostgreSQL 18 inside the Go process (the PGlite WebAssembly
// build on wazero) and serves it over the wire protocol: no Docker, no server process.
// The assets are fetched once per machine with npm into the user cache, or embedded in
// the binary (see cmd/pglite-assets).
//
//	srv, err := pglite.Start(ctx, pglite.Options{})
//	defer srv.Close()
//	conn, err := srv.Connect(ctx) // in-process, no TCP port needed
//
// Clients that need an address use srv.DSN(). For tests, see the test/pgtest package: every
// test gets its own database, cloned in milliseconds from a booted template.
package pglite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
)

// Options configure a Server. The zero value serves an in-memory database on 127.0.0.1 at a
// free port, with trust authentication and no logging.
type Options struct {
	// DataDir keeps the database in a host directory (created, with a new cluster, when
	// empty). Empty means in memory: the database disappears with the Server.
	DataDir string
	// LoadDataDir starts from an archive PGlite's dumpDataDir() wrote (a .tar.gz or .tar
	// file): it is unpacked into DataDir, which must then be empty or new, or, without
	// DataDir, into a temporary directory the in-memory database is copied from at boot
	// (removed once it is up). See bridge.LoadDataDir.
	LoadDataDir string
	// Password requires SCRAM-SHA-256 authentication with this password. Empty means trust.
	Password string
	// Extensions lists the extension bundles CREATE EXTENSION may use (nil: all of them;
	// empty: only the core ones).
	Extensions []string
	// Settings are extra "name=value" server settings.
	Settings []string
	// Logger receives the server's logs. Nil means none.
	Logger *zerolog.Logger
	// Addr is the TCP address to listen on (default "127.0.0.1:0", a free port).
	Addr string
	// NoTCP serves without a TCP port: clients use Dial, Connect or OpenDB, or the Unix
	// socket in a private directory that DSN names.
	NoTCP bool
	// SocketDir also serves on a Unix socket in this directory.
	SocketDir string
	// Template starts the database as a clone of a template (see NewTemplate) instead of
	// booting: milliseconds instead of hundreds. DataDir must be empty.
	Template *Template
	// MaxMemory caps the database's memory in bytes (0: 2 GiB, the most WebAssembly
	// allows): a query that needs more fails with 53200 "out of memory" and the server goes
	// on. At least 128 MiB.
	MaxMemory uint64
	// MemoryHighWater is the memory above which the database is restarted, invisibly, once
	// no client is connected, to give memory back (0: four times the memory after boot).
	MemoryHighWater uint64
	// Engine is the WebAssembly engine that runs PostgreSQL: "wazero" or "wasmtime" (a cgo
	// build on linux or macOS, amd64 or arm64). Empty reads $PGLITE_ENGINE, else the
	// default. Ignored with Template (a clone runs on its template's engine).
	Engine string

	// cluster boots an in-memory database from a copy of this cluster directory (a cached
	// template's, see CachedTemplate).
	cluster string
}

// Server is a running PostgreSQL server. Its methods are safe for concurrent use.
type Server struct {
	system   *actor.ActorSystem
	h        *actors.Handle
	opts     Options
	tcp      *net.TCPAddr
	unixDir  string // directory of the Unix socket, if any
	ownDir   bool   // unixDir is a private temp dir to remove on Close
	port     int
	database string

	closeOnce sync.Once
	closeErr  error
}

// Start starts a server and waits until the database accepts queries (or ctx ends).
func Start(ctx context.Context, opts Options) (*Server, error) {
	loaded, err := loadDataDir(&opts)
	if err != nil {
		return nil, err
	}
	defer loaded()
	cfg, s, err := configure(opts)
	if err != nil {
		return nil, err
	}
	s.system = newSystem(cfg.Logger)
	h, err := actors.Start(ctx, s.system, cfg)
	if err != nil {
		s.cleanupDir()
		s.system.Shutdown()
		return nil, err
	}
	s.h = h
	s.addrs(h.Addrs())
	if err := h.WaitReady(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("pglite: start: %w", err)
	}
	return s, nil
}

// newSystem is actors.NewSystem with a short dead-letter throttle period. Stopping a tree
// sends a few messages to actors that already stopped; each burst of such dead letters
// starts a goroutine that lives for the throttle period (1s by default), which would
// outlive Close and trip goroutine-leak checks in the caller's tests.
func newSystem(log zerolog.Logger) *actor.ActorSystem {
	l := log.With().Str("component", "protoactor").Logger()
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(zerolog.NewSlogHandler(l)) }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond))
}

// configure turns Options into the actor tree's Config.
func configure(opts Options) (actors.Config, *Server, error) {
	s := &Server{opts: opts}
	log := zerolog.Nop()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	cfg := actors.Config{Password: opts.Password, Logger: log,
		SocketDir: opts.SocketDir}
	cfg.Bridge = bridge.Config{DataDir: opts.DataDir, Extensions: opts.Extensions, Settings: opts.Settings, Cluster: opts.cluster, Engine: opts.Engine}
	if t := opts.Template; t != nil {
		if opts.DataDir != "" {
			return cfg, nil, errors.New("pglite: Template and DataDir exclude each other")
		}
		cfg.Bridge = t.t.Config()
		cfg.Bridge.Template = t.t
	}
	cfg.Bridge.Logger = log
	cfg.Bridge.MaxMemory, cfg.MemoryHighWater = opts.MaxMemory, opts.MemoryHighWater
	s.database = cfg.Bridge.Database
	if s.database == "" {
		s.database = "postgres"
	}
	if err := s.listenConfig(&cfg); err != nil {
		return cfg, nil, err
	}
	return cfg, s, nil
}

// listenConfig sets the TCP address, or, without TCP, a Unix socket in a private
// directory, so that DSN names an address tools that connect by URL can reach.
func (s *Server) listenConfig(cfg *actors.Config) error {
	if !s.opts.NoTCP {
		host, port, err := splitAddr(s.opts.Addr)
		if err != nil {
			return err
		}
		cfg.ListenAddr, cfg.Port = host, port
		return nil
	}
	if cfg.SocketDir == "" {
		dir, err := os.MkdirTemp("", "pglite-")
		if err != nil {
			return fmt.Errorf("pglite: socket dir: %w", err)
		}
		cfg.SocketDir, s.ownDir, s.unixDir = dir, true, dir
	}
	return nil
}

func splitAddr(addr string) (string, int, error) {
	if addr == "" {
		return "127.0.0.1", 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("pglite: Addr: %w", err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("pglite: Addr: bad port %q", p)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

// addrs records where the tree listens.
func (s *Server) addrs(as []net.Addr) {
	for _, a := range as {
		switch a := a.(type) {
		case *net.TCPAddr:
			s.tcp, s.port = a, a.Port
		case *net.UnixAddr:
			s.unixDir = dirOf(a.Name)
			if s.port == 0 {
				s.port = socketPort(a.Name)
			}
		}
	}
}

// Addr is the TCP address served, or the Unix socket's address when TCP is off.
func (s *Server) Addr() net.Addr {
	if s.tcp != nil {
		return s.tcp
	}
	return &net.UnixAddr{Name: fmt.Sprintf("%s/.s.PGSQL.%d", s.unixDir, s.port), Net: "unix"}
}

// DSN is a connection URL for the server, over TCP, or over the Unix socket when TCP is
// off. It works with pgx, lib/pq and psql.
func (s *Server) DSN() string {
	u := url.URL{Scheme: "postgres", Path: "/" + s.database}
	if s.opts.Password != "" {
		u.User = url.UserPassword("postgres", s.opts.Password)
	} else {
		u.User = url.User("postgres")
	}
	q := url.Values{"sslmode": {"disable"}}
	if s.tcp != nil {
		u.Host = net.JoinHostPort(s.tcp.IP.String(), strconv.Itoa(s.tcp.Port))
	} else {
		q.Set("host", s.unixDir)
		q.Set("port", strconv.Itoa(s.port))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Dial opens an in-process connection to the server: one end of a net.Pipe, whose other
// end the server handles like an accepted client. No port or socket is involved. It fits
// pgconn's DialFunc.
func (s *Server) Dial(ctx context.Context) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-s.h.Done():
		return nil, errors.New("pglite: server closed")
	default:
	}
	client, server := net.Pipe()
	s.system.Root.Send(s.h.Listener(), &actors.ServeConn{Conn: server})
	return client, nil
}

// ConnConfig is a pgx configuration that reaches the server through Dial.
func (s *Server) ConnConfig() *pgx.ConnConfig {
	cfg, err := pgx.ParseConfig(s.DSN())
	if err != nil {
		panic(fmt.Sprintf("pglite: own DSN does not parse: %v", err)) // DSN is built above
	}
	cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) { return s.Dial(ctx) }
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"in-process"}, nil }
	return cfg
}

// Connect opens a pgx connection through Dial.
func (s *Server) Connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, s.ConnConfig())
}

// OpenDB returns a database/sql pool (pgx's stdlib driver) whose connections go through
// Dial. Close it before the Server.
func (s *Server) OpenDB() *sql.DB {
	return stdlib.OpenDB(*s.ConnConfig())
}

// Close stops the server: running queries get a few seconds to finish, clients are told
// the server is shutting down, PostgreSQL shuts down cleanly, and every goroutine, listener
// and temporary directory of the server is released.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if s.h != nil {
			s.closeErr = s.h.Stop(ctx)
		}
		s.system.Shutdown()
		s.cleanupDir()
	})
	return s.closeErr
}

func (s *Server) cleanupDir() {
	if s.ownDir && s.unixDir != "" {
		_ = os.RemoveAll(s.unixDir)
	}
}

func dirOf(socketPath string) string { return filepath.Dir(socketPath) }

// socketPort reads the port number from a socket name ".s.PGSQL.<port>".
func socketPort(socketPath string) int {
	name := filepath.Base(socketPath)
	i := strings.LastIndexByte(name, '.')
	n, _ := strconv.Atoi(name[i+1:])
	return n
}
