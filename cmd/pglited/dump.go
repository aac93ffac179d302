package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/internal/pgdump"
)

const dumpUsage = `pglited dump writes a plain SQL dump of a pglite-go database, made by PostgreSQL's own
pg_dump (18.3, pglite-tools' WebAssembly build) running in this process. The script restores
with psql into pglite-go or into a PostgreSQL server.

Usage:
  pglited dump [OPTION]... [-- PG_DUMP_OPTION...]

What to dump (one of):
  -D, --data-dir=DIR       a data directory, opened as pglited opens it (it must not be in
                           use by a running server) [$PGDATA]
      --dsn=URL            a running server, as a libpq URL or key=value string
                           (postgres://postgres@127.0.0.1:5432/postgres, host=/tmp port=5432)

Options:
  -f, --file=FILE          write the dump to FILE (replaced only once the dump succeeded;
                           default: standard output)
  -d, --dbname=NAME        database of a data directory (default postgres)
  -U, --username=NAME      role to dump as with --data-dir (default postgres)
  -s, --schema-only        only the definitions
  -a, --data-only          only the rows
  -t, --table=PATTERN      only matching tables, views and sequences (repeatable)
  -O, --no-owner           leave out ownership, for a restore by another role
      --engine=ENGINE      WebAssembly engine: wasmtime or wazero [$PGLITE_ENGINE]
      --assets-dir=DIR     PGlite assets [$PGLITE_ASSETS_DIR]
      --log-level=LEVEL    debug, info, warn or error (default warn)
      --help               show this help, then exit

Any other pg_dump option that fits a plain-format dump goes after --, e.g.
  pglited dump -D /var/lib/pglite -f app.sql -- --exclude-table=audit --no-privileges
Output files, other formats, parallel jobs and connection options are refused.

Exit status: 0 when the dump is complete, 1 on any error (the reason in one line).
`

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// runDump is `pglited dump`.
func runDump(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pglited dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, dumpUsage) }
	var (
		dataDir, dsn, file, dbname, user, engine, assetsDir, logLevel string
		schemaOnly, dataOnly, noOwner                                 bool
		tables                                                        multi
	)
	both := func(p *string, long, short, def string) {
		fs.StringVar(p, long, def, "")
		if short != "" {
			fs.StringVar(p, short, def, "")
		}
	}
	both(&dataDir, "data-dir", "D", os.Getenv("PGDATA"))
	both(&dsn, "dsn", "", "")
	both(&file, "file", "f", "")
	both(&dbname, "dbname", "d", "postgres")
	both(&user, "username", "U", "postgres")
	both(&engine, "engine", "", os.Getenv(emscripten.EngineEnv))
	both(&assetsDir, "assets-dir", "", os.Getenv("PGLITE_ASSETS_DIR"))
	both(&logLevel, "log-level", "", "warn")
	for _, n := range []string{"schema-only", "s"} {
		fs.BoolVar(&schemaOnly, n, false, "")
	}
	for _, n := range []string{"data-only", "a"} {
		fs.BoolVar(&dataOnly, n, false, "")
	}
	for _, n := range []string{"no-owner", "O"} {
		fs.BoolVar(&noOwner, n, false, "")
	}
	fs.Var(&tables, "table", "")
	fs.Var(&tables, "t", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "pglited dump:", oneLine(err))
		return 1
	}
	var pgArgs []string
	if schemaOnly {
		pgArgs = append(pgArgs, "--schema-only")
	}
	if dataOnly {
		pgArgs = append(pgArgs, "--data-only")
	}
	if noOwner {
		pgArgs = append(pgArgs, "--no-owner")
	}
	for _, t := range tables {
		pgArgs = append(pgArgs, "--table="+t)
	}
	pgArgs = append(pgArgs, fs.Args()...)
	if err := pgdump.CheckArgs(pgArgs); err != nil {
		return fail(err)
	}
	switch {
	case dataDir != "" && dsn != "":
		return fail(errors.New("give --data-dir or --dsn, not both"))
	case dataDir == "" && dsn == "":
		return fail(errors.New("nothing to dump: give --data-dir DIR or --dsn URL (see pglited dump --help)"))
	}
	if _, err := emscripten.ResolveEngine(engine); err != nil {
		return fail(err)
	}
	log, err := newLogger(logLevel, "console", stderr)
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg := pgdump.Config{Args: pgArgs, Stderr: stderr, Engine: engine, AssetsDir: assetsDir, Logger: log, User: user, Database: dbname}
	out, commit, err := output(file, stdout)
	if err != nil {
		return fail(err)
	}
	if dsn != "" {
		err = dumpServer(ctx, dsn, out, cfg)
	} else {
		err = dumpDataDir(ctx, dataDir, out, cfg, log)
	}
	if err = commit(err); err != nil {
		return fail(err)
	}
	return 0
}

// output is where the dump goes: stdout, or a temporary file next to file that commit
// renames over it once the dump succeeded (and removes otherwise), so that a failed dump
// never replaces a good one.
func output(file string, stdout io.Writer) (io.Writer, func(error) error, error) {
	if file == "" {
		return stdout, func(err error) error { return err }, nil
	}
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return nil, nil, err
	}
	commit := func(err error) error {
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(f.Name(), file)
		}
		if err != nil {
			os.Remove(f.Name())
		}
		return err
	}
	return f, commit, nil
}

// dumpServer dumps a running server, reached at the DSN's address.
func dumpServer(ctx context.Context, dsn string, w io.Writer, cfg pgdump.Config) error {
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("--dsn: %w", err)
	}
	cfg.User, cfg.Database, cfg.Password = pc.User, pc.Database, pc.Password
	network, addr := "tcp", net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port)))
	if strings.HasPrefix(pc.Host, "/") {
		network, addr = "unix", filepath.Join(pc.Host, fmt.Sprintf(".s.PGSQL.%d", pc.Port))
	}
	cfg.Dial = func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		if pc.ConnectTimeout > 0 {
			d.Timeout = pc.ConnectTimeout
		}
		return d.DialContext(ctx, network, addr)
	}
	return pgdump.Run(ctx, w, cfg)
}

// dumpDataDir opens a data directory as the daemon does (taking its lock, so a directory
// a running server holds is refused), with no listener, and dumps it through an
// in-process connection.
func dumpDataDir(ctx context.Context, dir string, w io.Writer, cfg pgdump.Config, log zerolog.Logger) error {
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		return fmt.Errorf("%s is not a data directory (no PG_VERSION)", dir)
	}
	system := actors.NewSystem(log)
	defer system.Shutdown()
	h, err := actors.Start(ctx, system, actors.Config{
		Bridge: bridge.Config{DataDir: dir, AssetsDir: cfg.AssetsDir, Engine: cfg.Engine, Logger: log},
		Logger: log,
	})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = h.Stop(sctx)
	}()
	if err := h.WaitReady(ctx); err != nil {
		return err
	}
	cfg.Dial = func(ctx context.Context) (net.Conn, error) {
		client, server := net.Pipe()
		system.Root.Send(h.Listener(), &actors.ServeConn{Conn: server})
		return client, nil
	}
	return pgdump.Run(ctx, w, cfg)
}

// oneLine joins an error's lines.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}
