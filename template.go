package pglite

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/bridge"
)

// Template is a booted database frozen in memory, optionally after running a setup
// (migrations, seed data). Servers started from it (Options.Template) begin in exactly that
// state, cloned in milliseconds: memory pages and files are shared copy-on-write, so each
// server costs only what it changes. A Template is immutable and safe for concurrent use.
type Template struct {
	t *bridge.Template
}

// SetupFunc prepares a template's database through an ordinary connection.
type SetupFunc func(ctx context.Context, conn *pgx.Conn) error

// NewTemplate boots an in-memory database (or clones opts.Template), runs setup on it if
// setup is not nil, and freezes the result. Only Extensions, Settings, Logger, Engine and
// Template of opts are used.
//
// The database is served as any Server is while setup runs, so setup may open more
// connections, concurrently too: through conn.Config() (stdlib.OpenDB(*conn.Config()), a
// pgxpool, as migration tools want) or by URL (conn.Config().ConnString() names a Unix
// socket in a private directory). The snapshot is taken once setup has returned and no
// connection is inside a transaction; connections still open are then closed.
//
// setup may load extension libraries (CREATE EXTENSION, PL/pgSQL functions and
// triggers): servers started from the template link the same libraries at the same
// addresses, so they are ready to use there without loading them again.
func NewTemplate(ctx context.Context, opts Options, setup SetupFunc) (*Template, error) {
	return newTemplate(ctx, opts, setup, false)
}

// newTemplate is NewTemplate, with a CHECKPOINT before the snapshot when the template's
// data directory is to be exported.
func newTemplate(ctx context.Context, opts Options, setup SetupFunc, checkpoint bool) (*Template, error) {
	if opts.DataDir != "" {
		return nil, errors.New("pglite: a template is always in memory; DataDir must be empty")
	}
	srv, err := Start(ctx, Options{Extensions: opts.Extensions, Settings: opts.Settings,
		Logger: opts.Logger, Template: opts.Template, NoTCP: true, Engine: opts.Engine, cluster: opts.cluster})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	if setup != nil {
		if err := runSetup(ctx, srv, setup); err != nil {
			return nil, err
		}
	}
	t, err := srv.h.Snapshot(ctx, checkpoint)
	if err != nil {
		return nil, fmt.Errorf("pglite: template: %w", err)
	}
	return &Template{t: t}, nil
}

// runSetup runs setup on a connection to srv. Every connection, this one and any setup
// opens, is a client of srv's Bridge, the only goroutine that calls into the instance.
func runSetup(ctx context.Context, srv *Server, setup SetupFunc) error {
	conn, err := srv.Connect(ctx)
	if err != nil {
		return fmt.Errorf("pglite: template: connect: %w", err)
	}
	setupErr := setup(ctx, conn)
	closeErr := conn.Close(ctx)
	switch {
	case setupErr != nil:
		return fmt.Errorf("pglite: template setup: %w", setupErr)
	case closeErr != nil:
		return fmt.Errorf("pglite: template: close: %w", closeErr)
	}
	return nil
}
