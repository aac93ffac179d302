// Command pglited serves a PostgreSQL 18.7 database that runs in WebAssembly inside this
// process, over the PostgreSQL wire protocol on TCP and a Unix socket.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/internal/logfield"
	"github.com/pglite-go/pglite/internal/version"
	"github.com/pglite-go/pglite/socket"
)

const usage = `pglited serves a PostgreSQL 18.7 database running in WebAssembly in this process.

Usage:
  pglited [OPTION]...
  pglited dump [OPTION]... [-- PG_DUMP_OPTION...]   a plain SQL dump (pglited dump --help)

Options:
  -D, --data-dir=DIR            database directory; empty keeps the database in memory [$PGDATA]
      --load-data-dir=FILE      start from PGlite's dumpDataDir() archive (.tar.gz or .tar),
                                unpacked into --data-dir, which must be empty or new, or
                                without one into memory
  -h, --listen=HOST             TCP address to listen on; empty disables TCP [$PGHOST] (default 127.0.0.1)
  -p, --port=PORT               port number [$PGPORT] (default 5432)
  -k, --socket-dir=DIR          directory for the Unix socket .s.PGSQL.PORT; $PGHOST when it
                                is a path (default: none)
  -N, --max-connections=N       maximum number of client connections (default 100)
      --password=PASSWORD       require this password (SCRAM-SHA-256) [$PGPASSWORD]
      --password-file=FILE      read the password from the first line of FILE (instead of
                                --password)
      --auth=METHOD             scram-sha-256 (default with a password), md5 or password
      --tls-cert=FILE           TLS certificate; with --tls-key, clients may use SSL
      --tls-key=FILE            TLS private key
      --idle-in-transaction-timeout=DURATION
                                end sessions idle inside a transaction (default 60s; 0 disables)
      --client-read-timeout=DURATION
                                drop a client that stops reading a result while it holds the
                                database (default 60s)
      --read-spin=DURATION      after a result, poll the client's socket this long for its
                                next query before sleeping, while it would run at once; saves
                                a wake-up per query on a fast client (default 30us; 0 disables)
  -B, --shared-buffers=SIZE     shared_buffers (default 16MB)
      --max-memory=SIZE         most memory the database may use, e.g. 512MB or 2GB; a query
                                that needs more fails with 53200 (default and at most 2GB)
      --memory-high-water=SIZE  restart the database, once no client is connected, when its
                                memory is above this, to give it back (default: 4x the memory
                                after boot; off disables)
  -c NAME=VALUE                 set a server parameter (repeatable)
      --databases=NAME,...      serve several databases, each its own instance, chosen by the
                                database name clients connect to (default: one database, postgres)
      --create-databases        create any other database on its first connection
      --database-idle-timeout=DURATION
                                stop an idle database's instance after this long (default: never)
      --metrics-addr=ADDR       serve Prometheus metrics at http://ADDR/metrics (default: off)
      --shutdown-timeout=DURATION
                                how long running queries may finish at shutdown (default 10s)
      --log-level=LEVEL         debug, info, warn or error (default info) [$PGLITE_LOG_LEVEL]
      --log-format=FORMAT       console or json (default console) [$PGLITE_LOG_FORMAT]
      --engine=ENGINE           WebAssembly engine: wasmtime (cgo builds only) or wazero
                                [$PGLITE_ENGINE] (default wasmtime where the build has it,
                                else wazero)
      --assets-dir=DIR          PGlite assets (default: ./assets/pglite-0.5.17 upward, else the
                                user cache, fetched there once with npm) [$PGLITE_ASSETS_DIR]
      --version                 show the versions of pglited, PGlite, PostgreSQL and the
                                WebAssembly engine, then exit
      --help                    show this help, then exit

Signals, as PostgreSQL's postmaster takes them:
  SIGTERM  smart shutdown: refuse new connections, let connected sessions go on until they
           disconnect or --shutdown-timeout passes, then shut down as fast
  SIGINT   fast shutdown: every session, a running query too, gets FATAL 57P01, open
           transactions roll back, PostgreSQL writes its shutdown checkpoint (also
           escalates a smart shutdown)
  SIGQUIT  immediate shutdown: exit at once without a shutdown checkpoint; committed data is
           safe in the WAL and the next start recovers
  SIGHUP   reload postgresql.conf, postgresql.auto.conf and pg_hba.conf
Exit status: 0 after a clean shutdown, 1 on a startup error, 2 when the database
instance kept failing past its restart limit or could not shut down cleanly, 3 after an
immediate shutdown.
`

type settings []string

func (s *settings) String() string     { return strings.Join(*s, ",") }
func (s *settings) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// stdout takes --version's output (a variable for the test).
var stdout io.Writer = os.Stdout

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "dump" {
		return runDump(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("pglited", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	var (
		dataDir, listen, socketDir, password, auth, tlsCert, tlsKey string
		sharedBuffers, logLevel, logFormat, assetsDir, metricsAddr  string
		port, maxConns                                              int
		idleTimeout, shutdownTimeout                                time.Duration
		extra                                                       settings
	)
	str := func(p *string, long, short, env, def, help string) {
		if v := os.Getenv(env); env != "" && v != "" {
			def = v
		}
		fs.StringVar(p, long, def, help)
		if short != "" {
			fs.StringVar(p, short, def, help)
		}
	}
	str(&dataDir, "data-dir", "D", "PGDATA", "", "")
	var loadArchive string
	str(&loadArchive, "load-data-dir", "", "", "", "")
	// PGHOST names a TCP host, or a socket directory when it is a path, as in libpq.
	defListen, defSocket := "127.0.0.1", ""
	if h := os.Getenv("PGHOST"); strings.HasPrefix(h, "/") {
		defSocket = h
	} else if h != "" {
		defListen = h
	}
	str(&listen, "listen", "h", "", defListen, "")
	str(&socketDir, "socket-dir", "k", "", defSocket, "")
	str(&password, "password", "", "PGPASSWORD", "", "")
	var passwordFile string
	str(&passwordFile, "password-file", "", "", "", "")
	str(&auth, "auth", "", "", "", "")
	str(&tlsCert, "tls-cert", "", "", "", "")
	str(&tlsKey, "tls-key", "", "", "", "")
	str(&sharedBuffers, "shared-buffers", "B", "", "16MB", "")
	str(&logLevel, "log-level", "", "PGLITE_LOG_LEVEL", "info", "")
	str(&logFormat, "log-format", "", "PGLITE_LOG_FORMAT", "console", "")
	str(&assetsDir, "assets-dir", "", "PGLITE_ASSETS_DIR", "", "")
	str(&metricsAddr, "metrics-addr", "", "", "", "")
	var engineName string
	str(&engineName, "engine", "", "PGLITE_ENGINE", "", "")
	defPort := 5432
	if v, err := strconv.Atoi(os.Getenv("PGPORT")); err == nil {
		defPort = v
	}
	fs.IntVar(&port, "port", defPort, "")
	fs.IntVar(&port, "p", defPort, "")
	fs.IntVar(&maxConns, "max-connections", 100, "")
	fs.IntVar(&maxConns, "N", 100, "")
	fs.DurationVar(&idleTimeout, "idle-in-transaction-timeout", 60*time.Second, "")
	fs.DurationVar(&shutdownTimeout, "shutdown-timeout", 10*time.Second, "")
	var readTimeout time.Duration
	fs.DurationVar(&readTimeout, "client-read-timeout", 60*time.Second, "")
	var readSpin time.Duration
	fs.DurationVar(&readSpin, "read-spin", 30*time.Microsecond, "")
	fs.Var(&extra, "c", "")
	var databases string
	var createDatabases bool
	var dbIdle time.Duration
	fs.StringVar(&databases, "databases", "", "")
	fs.BoolVar(&createDatabases, "create-databases", false, "")
	fs.DurationVar(&dbIdle, "database-idle-timeout", 0, "")
	maxMemory, highWater := sizeFlag{}, sizeFlag{canBeOff: true}
	fs.Var(&maxMemory, "max-memory", "")
	fs.Var(&highWater, "memory-high-water", "")
	showVersion := fs.Bool("version", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	if *showVersion {
		engine, err := emscripten.ResolveEngine(engineName)
		if err != nil {
			fmt.Fprintln(stderr, "pglited: --engine:", err)
			return 1
		}
		fmt.Fprintln(stdout, "pglited", version.Summary(engine, emscripten.EngineVersion(engine)))
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pglited: unexpected argument %q\nTry \"pglited --help\" for more information.\n", fs.Arg(0))
		return 1
	}
	if listen == "" && socketDir == "" {
		fmt.Fprintln(stderr, "pglited: nothing to listen on: --listen is empty and there is no --socket-dir")
		return 1
	}
	if _, err := emscripten.ResolveEngine(engineName); err != nil {
		fmt.Fprintln(stderr, "pglited: --engine:", err)
		return 1
	}
	log, err := newLogger(logLevel, logFormat, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "pglited:", err)
		return 1
	}
	if passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			fmt.Fprintln(stderr, "pglited: --password-file:", err)
			return 1
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if password = strings.TrimSpace(line); password == "" {
			fmt.Fprintf(stderr, "pglited: --password-file %s: the first line is empty\n", passwordFile)
			return 1
		}
	}
	cfg := actors.Config{
		Bridge: bridge.Config{DataDir: dataDir, AssetsDir: assetsDir, SharedBuffers: sharedBuffers,
			Settings: extra, Logger: log, Engine: engineName},
		ListenAddr: listen, Port: port, SocketDir: socketDir, MaxConnections: maxConns,
		Password: password, IdleInTransactionTimeout: idleTimeout, ShutdownTimeout: shutdownTimeout, ClientReadTimeout: readTimeout, Logger: log,
		ReadSpin: readSpin,
	}
	if readSpin <= 0 {
		cfg.ReadSpin = -1 // off
	}
	if databases != "" || createDatabases {
		cfg.Databases = actors.DatabasesConfig{Enabled: true, CreateOnConnect: createDatabases, IdleTimeout: dbIdle}
		for _, name := range strings.Split(databases, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cfg.Databases.Declared = append(cfg.Databases.Declared, name)
			}
		}
	}
	if err := applyMemoryFlags(&cfg, &maxMemory, &highWater); err != nil {
		fmt.Fprintln(stderr, "pglited:", err)
		return 1
	}
	if idleTimeout == 0 {
		cfg.IdleInTransactionTimeout = -1
	}
	switch auth {
	case "", "scram-sha-256":
	case "md5":
		cfg.Auth = socket.AuthMD5
	case "password":
		cfg.Auth = socket.AuthPassword
	default:
		fmt.Fprintf(stderr, "pglited: unknown --auth %q\n", auth)
		return 1
	}
	if tlsCert != "" || tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
		if err != nil {
			log.Error().Err(err).Msg("cannot load the TLS certificate")
			return 1
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	// Before anything listens: without the assets (none here and the registry unreachable)
	// the daemon exits with one line naming the way to fetch them elsewhere.
	if err := bridge.PrepareAssets(context.Background(), assetsDir, log); err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	loaded, err := loadDataDir(loadArchive, &cfg)
	if err != nil {
		fmt.Fprintln(stderr, "pglited: --load-data-dir:", err)
		return 1
	}
	defer loaded()
	return serve(cfg, shutdownTimeout, metricsAddr, log, loaded)
}

func serve(cfg actors.Config, shutdownTimeout time.Duration, metricsAddr string, log zerolog.Logger, loaded func()) int {
	start := time.Now()
	system := actors.NewSystem(log)
	h, err := actors.Start(context.Background(), system, cfg)
	if err != nil {
		log.Error().Err(err).Msg("cannot start")
		return 1
	}
	if metricsAddr != "" {
		stop, err := serveMetrics(metricsAddr, h, log)
		if err != nil {
			log.Error().Err(err).Msg("cannot serve metrics")
			return 1
		}
		defer stop()
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP)
	ready := make(chan error, 1)
	go func() { ready <- h.WaitReady(context.Background()) }()
	stopped := make(chan error, 2)
	mode := "" // the shutdown under way: smart or fast
	stop := func(m string, fn func(context.Context) error) {
		mode = m
		log.Info().Str("mode", m).Msg("shutting down")
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout+20*time.Second)
			defer cancel()
			stopped <- fn(ctx)
		}()
	}
	for {
		select {
		case err := <-ready:
			if err != nil {
				log.Error().Err(err).Msg("database failed to start")
				return exitCode(err)
			}
			log.Info().Float64("startup_ms", logfield.Millis(time.Since(start))).Msg("ready to accept connections")
			loaded()
			ready = nil
		case sig := <-sigs:
			switch {
			case sig == syscall.SIGHUP:
				reload(h, log)
			case sig == syscall.SIGQUIT:
				log.Warn().Msg("immediate shutdown: exiting without a shutdown checkpoint; the next start recovers")
				return exitImmediate
			case sig == syscall.SIGTERM && mode == "":
				stop("smart", h.StopSmart)
			case sig == syscall.SIGINT && mode != "fast":
				stop("fast", h.StopFast)
			default:
				log.Info().Str("signal", sig.String()).Str("mode", mode).Msg("already shutting down")
			}
		case err := <-stopped:
			if err != nil {
				log.Error().Err(err).Msg("unclean shutdown")
				return exitFailing
			}
			log.Info().Msg("database system is shut down")
			return 0
		case <-h.Done():
			if mode != "" {
				if err := h.Err(); err != nil {
					log.Error().Err(err).Msg("unclean shutdown")
					return exitFailing
				}
				log.Info().Msg("database system is shut down")
				return 0
			}
			log.Error().Err(h.Err()).Msg("stopping")
			return exitCode(h.Err())
		}
	}
}

// Exit statuses, as the help states them.
const (
	exitStartup   = 1 // the server could not start
	exitFailing   = 2 // the instance kept failing past its restart limit, or shutdown was unclean
	exitImmediate = 3 // SIGQUIT: no shutdown checkpoint was written
)

func exitCode(err error) int {
	if errors.Is(err, actors.ErrRestartLimit) {
		return exitFailing
	}
	return exitStartup
}

// isTerminal reports whether w is a terminal: colours only go to one, not to a file or pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}

func newLogger(level, format string, w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("bad --log-level %q", level)
	}
	var out io.Writer = w
	switch format {
	case "json":
	case "console":
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: !isTerminal(w)}
	default:
		return zerolog.Logger{}, fmt.Errorf("bad --log-format %q", format)
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
