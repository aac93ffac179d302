package regress

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Daemon is one server process serving the regression database on a Unix socket: pglited, or
// PGlite on Node (DaemonConfig.NodeScript).
type Daemon struct {
	Name        string // "pglited", "node" or "node-copyin", for messages
	cmd         *exec.Cmd
	exited      chan struct{} // closed once the process has ended and its log is closed
	SocketDir   string
	Port        int
	MetricsAddr string // pglited's metrics; "" for node, which has none
}

// DaemonConfig says how to start pglited.
type DaemonConfig struct {
	Bin       string   // the pglited binary
	DataDir   string   // host directory; the database lives in DataDir/<Database>
	SocketDir string   // where .s.PGSQL.<Port> is created
	Database  string   // the name clients connect to
	LogPath   string   // the daemon's stderr is appended here
	Args      []string // extra flags, such as -c name=value
	// NodeScript, when set, makes StartDaemon start PGlite on Node with this script
	// (nodeserver.mjs, see EnsureNodeInstalled) instead of Bin; Args are not passed to it.
	NodeScript string
	NodeCopyIn bool // nodeserver.mjs --copy-in: its COPY FROM STDIN workaround
}

// name is the server's name in messages.
func (cfg DaemonConfig) name() string {
	if cfg.NodeScript != "" {
		if cfg.NodeCopyIn {
			return "node-copyin"
		}
		return "node"
	}
	return "pglited"
}

// StartDaemon starts pglited with --databases so that the database name clients use,
// "regression", is served (the daemon's default database is named postgres). TCP is off:
// clients use the socket, as pg_regress's do by default. It returns once a query succeeds.
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	if cfg.NodeScript != "" {
		return startNode(ctx, cfg)
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	d := &Daemon{Name: "pglited", SocketDir: cfg.SocketDir, Port: 5432, MetricsAddr: metrics}
	args := append([]string{"--listen", "", "--port", strconv.Itoa(d.Port), "--socket-dir", cfg.SocketDir,
		"--data-dir", cfg.DataDir, "--databases", cfg.Database, "--metrics-addr", metrics, "--log-format", "json"}, cfg.Args...)
	return d.start(ctx, exec.Command(cfg.Bin, args...), log, cfg)
}

// start runs cmd with its output appended to log and returns once a query succeeds.
func (d *Daemon) start(ctx context.Context, cmd *exec.Cmd, log *os.File, cfg DaemonConfig) (*Daemon, error) {
	d.exited = make(chan struct{})
	d.cmd = cmd
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.Env = cleanEnv()
	if err := d.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() {
		_ = d.cmd.Wait()
		log.Close()
		close(d.exited)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := d.Query(ctx, cfg.Database, "select 1")
		if err == nil {
			return d, nil
		}
		select {
		case <-d.exited:
			return nil, fmt.Errorf("%s exited (%v) before it was ready; see %s", d.Name, d.cmd.ProcessState, cfg.LogPath)
		case <-ctx.Done():
			d.Kill()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Kill()
			return nil, fmt.Errorf("%s not ready after 2 minutes: %v", d.Name, err)
		}
	}
}

// Query runs one SQL command with psql and returns its unaligned output.
func (d *Daemon) Query(ctx context.Context, db, sql string) (string, error) {
	cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql)
	cmd.Env = append(cleanEnv(), "PGHOST="+d.SocketDir, "PGPORT="+strconv.Itoa(d.Port), "PGUSER=postgres", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql -c %q: %v: %s", sql, err, out)
	}
	return string(out), nil
}

// Exited reports whether the process has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// ExitCode is the process's exit status once it has ended.
func (d *Daemon) ExitCode() int { return d.cmd.ProcessState.ExitCode() }

// Stop asks for a fast shutdown (SIGINT), which writes PostgreSQL's shutdown checkpoint, and
// waits for the exit.
func (d *Daemon) Stop() error {
	if d.Exited() {
		return fmt.Errorf("%s had already exited: %v", d.Name, d.cmd.ProcessState)
	}
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.exited:
		if code := d.ExitCode(); code != 0 {
			return fmt.Errorf("%s exited with status %d", d.Name, code)
		}
		return nil
	case <-time.After(time.Minute):
		d.Kill()
		return fmt.Errorf("%s did not stop within a minute; killed", d.Name)
	}
}

// Kill ends the process at once.
func (d *Daemon) Kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
