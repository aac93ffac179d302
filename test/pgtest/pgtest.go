// Package pgtest gives every test its own real PostgreSQL database, in milliseconds and
// without Docker or a server process:
//
//	func TestUsers(t *testing.T) {
//		t.Parallel()
//		db := pgtest.New(t)
//		db.Conn().Exec(ctx, "create table users (id int)")
//	}
//
// The first database of a process boots PostgreSQL once (a few hundred milliseconds, plus
// compiling the WebAssembly module when wazero's on-disk cache is cold) and freezes it as a
// template; every database after that is a copy-on-write clone of the template, ready in a
// few milliseconds. Each database is a separate PostgreSQL instance, so parallel tests run
// on separate cores and never see each other's rows, settings or locks. Everything a
// database holds is released by t.Cleanup.
//
// Schemas: WithMigrations runs SQL files, WithTemplate any setup (goose, golang-migrate:
// see the adapters module github.com/pglite-go/pglite/test/pgtest/migrators), once per
// process; with WithTemplateKey, or WithMigrations alone, the migrated template is kept in
// the user cache, so later runs skip the migrations.
//
// Connections: Conn (pgx), SQL (database/sql), Pool (pgxpool), all in-process; DSN for
// anything else (a Unix socket, or TCP with WithTCP).
//
// With PGTEST_KEEP=1 the database of a failed test is not dropped: its DSN is logged, its
// server stays up until the test binary exits, and a copy of its data directory is saved
// (under $PGTEST_KEEP_DIR, default pgtest-kept in the temporary directory) with the
// pglited command that serves it.
//
// On a machine without the PGlite assets, the first test fetches them once into the user
// cache with npm; `go run github.com/pglite-go/pglite/cmd/pglite-assets` does that ahead of
// time (CI caches, offline machines), or embeds them into a package of your module.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pglite-go/pglite"
)

// DB is one test's database: a running pglite.Server (DSN, Dial, Connect, OpenDB) plus a
// ready connection and pools opened on first use and closed with the test.
type DB struct {
	*pglite.Server
	t testing.TB

	mu    sync.Mutex
	conn  *pgx.Conn
	sqlDB *sql.DB
	pool  *pgxpool.Pool
}

// New starts an isolated database for t, cloned from the template its options name (see
// WithTemplate, WithMigrations, WithSetting), and registers its cleanup. It fails the test
// with the reason if the database cannot start; with PGTEST_SKIP_UNAVAILABLE=1 it skips it
// instead when the PGlite assets are unavailable (see bridge.ErrAssetsUnavailable).
func New(t testing.TB, opts ...Option) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, err := Open(ctx, opts...)
	if err != nil {
		skipOrFail(t, err)
	}
	db.t = t
	t.Cleanup(func() {
		if t.Failed() && os.Getenv(keepEnv) == "1" {
			db.keep()
			return
		}
		if err := db.Close(); err != nil {
			t.Errorf("pgtest: close: %v", err)
		}
	})
	return db
}

// NewPool is New(t, opts...).Pool(): a pgxpool on a new database.
func NewPool(t testing.TB, opts ...Option) *pgxpool.Pool {
	t.Helper()
	return New(t, opts...).Pool()
}

// NewSQL is New(t, opts...).SQL(): a database/sql pool on a new database.
func NewSQL(t testing.TB, opts ...Option) *sql.DB {
	t.Helper()
	return New(t, opts...).SQL()
}

// Open is New for code that has no testing.TB (examples, TestMain, benchmarks' setup):
// the caller must Close the database. Conn and Pool fail with a panic instead of failing
// a test.
func Open(ctx context.Context, opts ...Option) (*DB, error) {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	tmpl, err := templateFor(&s)
	if err != nil {
		return nil, err
	}
	srv, err := pglite.Start(ctx, pglite.Options{Template: tmpl, NoTCP: !s.tcp})
	if err != nil {
		return nil, fmt.Errorf("pgtest: start: %w", err)
	}
	return &DB{Server: srv}, nil
}

// Conn returns the database's pgx connection, opened on first use and closed with the
// database. Use it from one goroutine at a time, as any *pgx.Conn.
func (db *DB) Conn() *pgx.Conn {
	if db.t != nil {
		db.t.Helper()
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.conn == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := db.Connect(ctx)
		if err != nil {
			db.fatalf("pgtest: connect: %v", err)
		}
		db.conn = c
	}
	return db.conn
}

// SQL returns a database/sql pool (pgx's stdlib driver) for the database, opened on first
// use and closed with the database.
func (db *DB) SQL() *sql.DB {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.sqlDB == nil {
		db.sqlDB = db.OpenDB()
	}
	return db.sqlDB
}

// Pool returns a pgxpool for the database, safe for concurrent use, opened on first use
// and closed with the database. Its connections are in-process, like Conn's.
func (db *DB) Pool() *pgxpool.Pool {
	if db.t != nil {
		db.t.Helper()
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.pool == nil {
		cfg, err := pgxpool.ParseConfig("")
		if err == nil {
			cfg.ConnConfig = db.ConnConfig()
			db.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
		}
		if err != nil {
			db.fatalf("pgtest: pool: %v", err)
		}
	}
	return db.pool
}

// fatalf fails the test, or panics without one (Open).
func (db *DB) fatalf(format string, args ...any) {
	if db.t == nil {
		panic(fmt.Sprintf(format, args...))
	}
	db.t.Helper()
	db.t.Fatalf(format, args...)
}

// Close releases the connection, the pools and the server, in that order. New calls it
// through t.Cleanup.
func (db *DB) Close() error {
	db.closeClients()
	return db.Server.Close()
}

// closeClients closes what Conn, SQL and Pool opened.
func (db *DB) closeClients() {
	db.mu.Lock()
	conn, sqlDB, pool := db.conn, db.sqlDB, db.pool
	db.conn, db.sqlDB, db.pool = nil, nil, nil
	db.mu.Unlock()
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = conn.Close(ctx)
		cancel()
	}
	if pool != nil {
		pool.Close()
	}
	if sqlDB != nil {
		_ = sqlDB.Close()
	}
}
