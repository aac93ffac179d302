package pgdump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/internal/logfield"
)

// Config describes one pg_dump run.
type Config struct {
	// Dial opens the connection pg_dump's libpq speaks the protocol on. Required.
	Dial func(ctx context.Context) (net.Conn, error)
	// User and Database name the role and database to dump (default "postgres" for both).
	User, Database string
	// Password is sent if the server asks for one (PGPASSWORD).
	Password string
	// Args are pg_dump's options, checked by CheckArgs.
	Args []string
	// Stderr receives pg_dump's warnings and, with --verbose, its progress; its error lines
	// come back in Run's error instead. Nil: discarded.
	Stderr io.Writer
	// Engine and AssetsDir choose the WebAssembly engine and the assets as bridge.Config's
	// fields do.
	Engine, AssetsDir string
	Logger            zerolog.Logger
}

// ExitError is pg_dump exiting with a non-zero status; Message is its last error line.
type ExitError struct {
	Status  int32
	Message string
}

func (e *ExitError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("pg_dump exited with status %d", e.Status)
	}
	return e.Message
}

// Run runs pg_dump once, writing the plain SQL script to w. Nothing but the script goes to
// w. An error writing w stops the dump (pg_dump's connection is closed) and is returned.
func Run(ctx context.Context, w io.Writer, cfg Config) error {
	if cfg.Dial == nil {
		return errors.New("pgdump: no Dial")
	}
	if err := CheckArgs(cfg.Args); err != nil {
		return err
	}
	start := time.Now()
	log := cfg.Logger
	c, err := compile(ctx, cfg.Engine, cfg.AssetsDir, log)
	if err != nil {
		return err
	}
	conn, err := cfg.Dial(ctx)
	if err != nil {
		return fmt.Errorf("pgdump: connect: %w", err)
	}
	link := newLink(conn)
	defer link.close(log)
	stop := context.AfterFunc(ctx, link.abort)
	defer stop()

	filter := newAttverFilter(w)
	out := &scriptWriter{w: filter, onErr: link.abort}
	msgs := &messages{to: cfg.Stderr}
	fs, err := sandbox()
	if err != nil {
		return fmt.Errorf("pgdump: file system: %w", err)
	}
	p, err := c.rt.NewProcess(ctx, c.mod, emscripten.ProcessConfig{
		Name:      "pg_dump",
		FS:        fs,
		Env:       environment(cfg),
		Stdout:    out,
		Stderr:    msgs,
		Callbacks: link.callbacks(),
		Logger:    log,
	})
	if err != nil {
		return err
	}
	defer p.Close()
	status, err := runMain(p, arguments(cfg))
	stop()
	if cerr := filter.Close(); cerr != nil && out.err == nil {
		out.err = cerr
	}
	switch {
	case out.err != nil:
		return fmt.Errorf("pgdump: write the dump: %w", out.err)
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("pgdump: %w", err)
	case status != 0:
		return &ExitError{Status: status, Message: msgs.lastError()}
	}
	log.Info().Float64("duration_ms", logfield.Millis(time.Since(start))).Int64("bytes", out.n).Msg("pg_dump finished")
	return nil
}

// runMain does what Emscripten's callMain and exit do around main: relocate the data,
// run the constructors, install libpq's read and write callbacks, run main, then run the
// atexit handlers and flush stdio, which the host's exit() leaves to its caller.
func runMain(p *emscripten.Process, args []string) (int32, error) {
	if _, err := p.Call("__wasm_apply_data_relocs"); err != nil {
		return 0, err
	}
	if err := p.RunCtors(); err != nil {
		return 0, err
	}
	read, err := p.InstallCallback(readSlot)
	if err != nil {
		return 0, err
	}
	write, err := p.InstallCallback(writeSlot)
	if err != nil {
		return 0, err
	}
	if _, err := p.Call("pgl_set_rw_cbs", uint64(read), uint64(write)); err != nil {
		return 0, err
	}
	status, err := p.CallMain(args)
	if err != nil {
		return 0, err
	}
	if _, err := p.Call("__funcs_on_exit"); err != nil {
		if _, ok := emscripten.ExitStatus(err); !ok {
			return 0, err
		}
	}
	if _, err := p.Call("fflush", 0); err != nil {
		return 0, err
	}
	return status, nil
}

// arguments builds pg_dump's argv. libpq connects "to the Unix socket" it never opens: its
// socket is a placeholder and its traffic goes through the callbacks.
func arguments(cfg Config) []string {
	user, db := cfg.User, cfg.Database
	if user == "" {
		user = "postgres"
	}
	if db == "" {
		db = "postgres"
	}
	args := []string{guestPath, "--username", user, "--no-password"}
	if cfg.Password != "" {
		args = args[:len(args)-1]
	}
	args = append(args, cfg.Args...)
	return append(args, "--", db)
}

// environment is what pglite-tools' glue sets (HOME, USER, LOGNAME), and the password.
func environment(cfg Config) []string {
	// No SSL or GSS request: the connection is in process or the caller's, and link's
	// framing (incoming, outgoing) expects the startup packet first.
	env := []string{"HOME=/home/postgres", "USER=postgres", "LOGNAME=postgres", "PGAPPNAME=pg_dump",
		"PGSSLMODE=disable", "PGGSSENCMODE=disable"}
	if cfg.Password != "" {
		env = append(env, "PGPASSWORD="+cfg.Password)
	}
	return env
}

// scriptWriter passes the script to w, counting it, and on w's first error stops the dump.
type scriptWriter struct {
	w     io.Writer
	n     int64
	err   error
	onErr func()
}

func (s *scriptWriter) Write(b []byte) (int, error) {
	if s.err != nil {
		return len(b), nil
	}
	n, err := s.w.Write(b)
	s.n += int64(n)
	if err != nil {
		s.err = err
		s.onErr()
	}
	return len(b), nil
}

// messages keeps the tail of pg_dump's stderr for the error, and passes its other lines
// (warnings, --verbose progress) on: the error lines travel in the returned error instead.
type messages struct {
	to      io.Writer
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
}

// maxMessages bounds what is kept of stderr (a --verbose dump of a large schema writes a lot).
const maxMessages = 64 << 10

func (m *messages) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buf.Len()+len(b) > maxMessages {
		keep := m.buf.Bytes()[m.buf.Len()/2:]
		m.buf = *bytes.NewBuffer(append([]byte(nil), keep...))
	}
	m.buf.Write(b)
	m.partial = append(m.partial, b...)
	for {
		i := bytes.IndexByte(m.partial, '\n')
		if i < 0 {
			break
		}
		line := m.partial[:i+1]
		if m.to != nil && !errorLine(string(line)) {
			_, _ = m.to.Write(line)
		}
		m.partial = m.partial[i+1:]
	}
	return len(b), nil
}

// errorLine reports a line of pg_dump's error report: the error and its detail and hint.
func errorLine(l string) bool {
	return strings.Contains(l, "error:") || strings.HasPrefix(l, "pg_dump: detail:") || strings.HasPrefix(l, "pg_dump: hint:")
}

// lastError is pg_dump's last "error:" line, made one line: "pg_dump: error: ..." with any
// detail lines that follow joined to it.
func (m *messages) lastError() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(m.buf.String()), "\n")
	at := -1
	for i, l := range lines {
		if strings.Contains(l, "error:") {
			at = i
		}
	}
	if at < 0 {
		if len(lines) == 0 || lines[len(lines)-1] == "" {
			return ""
		}
		return strings.TrimSpace(lines[len(lines)-1])
	}
	parts := []string{strings.TrimSpace(lines[at])}
	for _, l := range lines[at+1:] {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}
