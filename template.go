package pglite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

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
// setup is not nil, and freezes the result. Only Extensions, Settings, Logger and Template
// of opts are used.
//
// setup may load extension libraries (CREATE EXTENSION, PL/pgSQL functions and
// triggers): servers started from the template link the same libraries at the same
// addresses, so they are ready to use there without loading them again.
func NewTemplate(ctx context.Context, opts Options, setup SetupFunc) (*Template, error) {
	if opts.DataDir != "" {
		return nil, errors.New("pglite: a template is always in memory; DataDir must be empty")
	}
	log := zerolog.Nop()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	var inst *bridge.Instance
	var err error
	if opts.Template != nil {
		inst, err = bridge.OpenTemplate(ctx, opts.Template.t, log)
	} else {
		inst, err = bridge.Open(ctx, bridge.Config{Extensions: opts.Extensions, Settings: opts.Settings, Logger: log})
	}
	if err != nil {
		return nil, err
	}
	defer inst.Close()
	if setup != nil {
		if err := runSetup(ctx, inst, setup); err != nil {
			return nil, err
		}
	}
	if err := resetSession(ctx, inst); err != nil {
		return nil, err
	}
	t, err := inst.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("pglite: template: %w", err)
	}
	return &Template{t: t}, nil
}

// runSetup connects pgx straight to the instance (no actor tree: the instance must stay
// ours to snapshot) and runs setup.
func runSetup(ctx context.Context, inst *bridge.Instance, setup SetupFunc) error {
	cfg, err := pgx.ParseConfig("postgres://postgres@in-process/postgres?sslmode=disable")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() { served <- serveDirect(ctx, inst, server) }()
		return client, nil
	}
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"in-process"}, nil }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("pglite: template: connect: %w", err)
	}
	setupErr := setup(ctx, conn)
	closeErr := conn.Close(ctx)
	serveErr := <-served
	switch {
	case setupErr != nil:
		return fmt.Errorf("pglite: template setup: %w", setupErr)
	case closeErr != nil:
		return closeErr
	}
	return serveErr
}

// warmQueries run on a template before the snapshot so that every clone starts with the
// catalog caches they fill: the server runs the same queries when a clone opens (for the
// parameters it greets clients with, and the roles it checks), and each costs
// milliseconds against cold caches.
var warmQueries = []string{
	"select name, setting from pg_settings where name in ('server_version','client_encoding','TimeZone')",
	"select rolname, rolsuper from pg_roles where rolcanlogin",
}

// resetSession leaves the backend as a new session would find it: no open transaction,
// prepared statements, settings or temporary tables carried into the template.
func resetSession(ctx context.Context, inst *bridge.Instance) error {
	var msgs []byte
	for _, sql := range append(warmQueries, "ROLLBACK", "DISCARD ALL") {
		msgs, _ = (&pgproto3.Query{String: sql}).Encode(msgs)
	}
	var out bytes.Buffer
	if err := inst.Exec(ctx, msgs, func(b []byte) error { out.Write(b); return nil }); err != nil {
		return err
	}
	fe := pgproto3.NewFrontend(&out, nil)
	for {
		m, err := fe.Receive()
		if err != nil {
			return nil
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			return fmt.Errorf("pglite: template: reset session: %s", e.Message)
		}
	}
}
