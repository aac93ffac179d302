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
// On a machine without the PGlite assets, the first test fetches them once into the user
// cache with npm; `go run github.com/pglite-go/pglite/cmd/pglite-assets` does that ahead of
// time (CI caches, offline machines), or embeds them into a package of your module.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite"
)

// DB is one test's database: a running pglite.Server (DSN, Dial, Connect, OpenDB) plus a
// ready connection and pool opened on first use and closed with the test.
type DB struct {
	*pglite.Server
	t testing.TB

	mu    sync.Mutex
	conn  *pgx.Conn
	sqlDB *sql.DB
}

// Option changes what New starts from.
type Option func(*settings)

type settings struct {
	setup pglite.SetupFunc
	tcp   bool
}

// WithTemplate makes the database start from the state setup leaves, typically migrations
// and seed data. setup runs once per process per function (templates are keyed by the
// function's code, so use a named function or a package-level variable; closures of one
// function literal share one template); every database is then a clone of its result.
// setup may create extensions and PL/pgSQL functions and triggers (see pglite.NewTemplate).
func WithTemplate(setup func(ctx context.Context, conn *pgx.Conn) error) Option {
	return func(s *settings) { s.setup = setup }
}

// WithTCP also serves the database on a TCP port of 127.0.0.1, for tools that connect by
// address; DSN then names it. By default the database is reached in-process (Conn, SQL,
// Dial) or through a Unix socket in a private directory.
func WithTCP() Option { return func(s *settings) { s.tcp = true } }

// New starts an isolated database for t, cloned from the process's template (see
// WithTemplate), and registers its cleanup. It fails the test with the reason if the
// database cannot start; with PGTEST_SKIP_UNAVAILABLE=1 it skips it instead when the PGlite
// assets are unavailable (see bridge.ErrAssetsUnavailable).
func New(t testing.TB, opts ...Option) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := Open(ctx, opts...)
	if err != nil {
		skipOrFail(t, err)
	}
	db.t = t
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("pgtest: close: %v", err)
		}
	})
	return db
}

// Open is New for code that has no testing.TB (examples, TestMain, benchmarks' setup):
// the caller must Close the database. Conn fails with a panic instead of failing a test.
func Open(ctx context.Context, opts ...Option) (*DB, error) {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	tmpl, err := templateFor(s.setup)
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
			if db.t == nil {
				panic(fmt.Sprintf("pgtest: connect: %v", err))
			}
			db.t.Fatalf("pgtest: connect: %v", err)
		}
		db.conn = c
	}
	return db.conn
}

// SQL returns a database/sql pool for the database, opened on first use.
func (db *DB) SQL() *sql.DB {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.sqlDB == nil {
		db.sqlDB = db.OpenDB()
	}
	return db.sqlDB
}

// Close releases the connection, the pool and the server, in that order. New calls it
// through t.Cleanup.
func (db *DB) Close() error {
	db.mu.Lock()
	conn, sqlDB := db.conn, db.sqlDB
	db.conn, db.sqlDB = nil, nil
	db.mu.Unlock()
	if conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = conn.Close(ctx)
		cancel()
	}
	if sqlDB != nil {
		_ = sqlDB.Close()
	}
	return db.Server.Close()
}

// templates caches one template per setup function (nil: the pristine database).
var templates struct {
	sync.Mutex
	m map[uintptr]*templateEntry
}

type templateEntry struct {
	once sync.Once
	t    *pglite.Template
	err  error
}

// templateFor returns the template for setup, building it on first use. Tests that need
// one that is still being built wait for it; different setups build concurrently.
func templateFor(setup pglite.SetupFunc) (*pglite.Template, error) {
	var key uintptr
	if setup != nil {
		key = reflect.ValueOf(setup).Pointer()
	}
	templates.Lock()
	if templates.m == nil {
		templates.m = map[uintptr]*templateEntry{}
	}
	e := templates.m[key]
	if e == nil {
		e = &templateEntry{}
		templates.m[key] = e
	}
	templates.Unlock()
	e.once.Do(func() { e.t, e.err = buildTemplate(setup) })
	return e.t, e.err
}

// buildTemplate makes a setup's template by cloning the pristine one, so that PostgreSQL
// boots only once per process.
func buildTemplate(setup pglite.SetupFunc) (*pglite.Template, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if setup == nil {
		return pglite.NewTemplate(ctx, pglite.Options{}, nil)
	}
	base, err := templateFor(nil)
	if err != nil {
		return nil, err
	}
	return pglite.NewTemplate(ctx, pglite.Options{Template: base}, setup)
}
