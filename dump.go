package pglite

import (
	"context"
	"io"
	"net"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/internal/pgdump"
)

// DumpOption chooses what Server.Dump dumps.
type DumpOption func(*pgdump.Config)

// DumpSchemaOnly dumps the definitions only (pg_dump --schema-only).
func DumpSchemaOnly() DumpOption { return DumpArgs("--schema-only") }

// DumpDataOnly dumps the rows only (pg_dump --data-only).
func DumpDataOnly() DumpOption { return DumpArgs("--data-only") }

// DumpTable dumps only the tables, views and sequences matching pattern (pg_dump --table;
// may be given more than once).
func DumpTable(pattern string) DumpOption { return DumpArgs("--table=" + pattern) }

// DumpNoOwner leaves out ownership (pg_dump --no-owner), for a restore by another role.
func DumpNoOwner() DumpOption { return DumpArgs("--no-owner") }

// DumpArgs passes pg_dump options through, for those without an option of their own here:
// any that fits a plain-format dump to a stream (--exclude-table, --schema, --inserts,
// --clean --if-exists, --no-privileges, ...). Output files, other formats, parallel jobs
// and connection options are refused with an error.
func DumpArgs(args ...string) DumpOption {
	return func(c *pgdump.Config) { c.Args = append(c.Args, args...) }
}

// DumpStderr sends pg_dump's messages (with --verbose, its progress) to w.
func DumpStderr(w io.Writer) DumpOption { return func(c *pgdump.Config) { c.Stderr = w } }

// Dump writes a plain SQL dump of the server's database to w, made by PostgreSQL's own
// pg_dump (18.3, pglite-tools' WebAssembly build) running in this process and connected
// through Dial. The script restores with psql into a fresh pglite-go or into a PostgreSQL
// server. A pg_dump failure comes back as an error carrying its message in one line.
func (s *Server) Dump(ctx context.Context, w io.Writer, opts ...DumpOption) error {
	log := zerolog.Nop()
	if s.opts.Logger != nil {
		log = *s.opts.Logger
	}
	cfg := pgdump.Config{
		Dial:     func(ctx context.Context) (net.Conn, error) { return s.Dial(ctx) },
		Database: s.database,
		Password: s.opts.Password,
		Engine:   s.opts.Engine,
		Logger:   log,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return pgdump.Run(ctx, w, cfg)
}
