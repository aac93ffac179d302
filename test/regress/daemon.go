package regress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Daemon is one pglited process serving the regression database on a Unix socket.
type Daemon struct {
	cmd         *exec.Cmd
	exited      chan struct{} // closed once the process has ended and its log is closed
	SocketDir   string
	Port        int
	MetricsAddr string
}

// DaemonConfig says how to start pglited.
type DaemonConfig struct {
	Bin       string   // the pglited binary
	DataDir   string   // host directory; the database lives in DataDir/<Database>
	SocketDir string   // where .s.PGSQL.<Port> is created
	Database  string   // the name clients connect to
	LogPath   string   // the daemon's stderr is appended here
	Args      []string // extra flags, such as -c name=value
}

// StartDaemon starts pglited with --databases so that the database name clients use,
// "regression", is served (the daemon's default database is named postgres). TCP is off:
// clients use the socket, as pg_regress's do by default. It returns once a query succeeds.
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	d := &Daemon{exited: make(chan struct{}), SocketDir: cfg.SocketDir, Port: 5432, MetricsAddr: metrics}
	args := append([]string{"--listen", "", "--port", strconv.Itoa(d.Port), "--socket-dir", cfg.SocketDir,
		"--data-dir", cfg.DataDir, "--databases", cfg.Database, "--metrics-addr", metrics, "--log-format", "json"}, cfg.Args...)
	d.cmd = exec.Command(cfg.Bin, args...)
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
			return nil, fmt.Errorf("pglited exited (%v) before it was ready; see %s", d.cmd.ProcessState, cfg.LogPath)
		case <-ctx.Done():
			d.Kill()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Kill()
			return nil, fmt.Errorf("pglited not ready after 2 minutes: %v", err)
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
		return fmt.Errorf("pglited had already exited: %v", d.cmd.ProcessState)
	}
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.exited:
		if code := d.ExitCode(); code != 0 {
			return fmt.Errorf("pglited exited with status %d", code)
		}
		return nil
	case <-time.After(time.Minute):
		d.Kill()
		return errors.New("pglited did not stop within a minute; killed")
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
