package test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/bridge"
)

// buildDaemon compiles cmd/pglited once per test binary.
func buildDaemon(t *testing.T) string {
	t.Helper()
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "pglited")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/pglited").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type daemon struct {
	cmd  *exec.Cmd
	port int
	log  *strings.Builder
	done chan error
}

// startDaemon runs pglited on a free port and waits until it accepts queries.
func startDaemon(t *testing.T, bin, dataDir string) *daemon {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--data-dir", dataDir, "--log-format", "json")
	d := &daemon{cmd: cmd, port: port, log: &strings.Builder{}, done: make(chan error, 1)}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.log.WriteString(sc.Text() + "\n")
		}
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := pgx.Connect(context.Background(), d.dsn())
		if err == nil {
			c.Close(context.Background())
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready: %v\n%s", err, d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *daemon) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", d.port)
}

func (d *daemon) wait(t *testing.T) int {
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode()
	case <-time.After(60 * time.Second):
		t.Fatalf("daemon did not exit\n%s", d.log)
		return -1
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDaemon_lifecycle: load data with psql, SIGTERM exits 0, a restart finds the data,
// SIGKILL during inserts loses no committed row.
func TestDaemon_lifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon")
	}
	bin := buildDaemon(t)
	dir := t.TempDir()
	d := startDaemon(t, bin, dir)
	if _, err := exec.LookPath("psql"); err == nil {
		out, err := exec.Command("psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", fmt.Sprint(d.port), "-U", "postgres",
			"-c", "create table loaded(id int primary key, v text)",
			"-c", "insert into loaded select g, md5(g::text) from generate_series(1, 1000) g").CombinedOutput()
		if err != nil {
			t.Fatalf("psql: %v\n%s", err, out)
		}
	} else {
		c, _ := pgx.Connect(context.Background(), d.dsn())
		c.Exec(context.Background(), "create table loaded(id int primary key, v text); insert into loaded select g, md5(g::text) from generate_series(1, 1000) g")
		c.Close(context.Background())
	}
	if _, err := exec.LookPath("pg_isready"); err == nil {
		if out, err := exec.Command("pg_isready", "-h", "127.0.0.1", "-p", fmt.Sprint(d.port)).CombinedOutput(); err != nil {
			t.Fatalf("pg_isready: %v %s", err, out)
		}
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit code after SIGTERM: %d\n%s", code, d.log)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err == nil {
		t.Fatal("postmaster.pid left behind after a clean shutdown")
	}

	d = startDaemon(t, bin, dir)
	c, err := pgx.Connect(context.Background(), d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRow(context.Background(), "select count(*) from loaded").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("after restart: %d %v", n, err)
	}
	if _, err := c.Exec(context.Background(), "create table durable(id int primary key)"); err != nil {
		t.Fatal(err)
	}
	committed := make(chan int, 100000)
	go func() {
		defer close(committed)
		for i := 1; ; i++ {
			if _, err := c.Exec(context.Background(), "insert into durable values ($1)", i); err != nil {
				return
			}
			committed <- i
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	d.cmd.Process.Signal(syscall.SIGKILL)
	d.wait(t)
	var last int
	for i := range committed {
		last = i
	}
	if last < 10 {
		t.Fatalf("only %d inserts committed before the kill", last)
	}

	d = startDaemon(t, bin, dir)
	c2, err := pgx.Connect(context.Background(), d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(context.Background())
	var count, max int
	if err := c2.QueryRow(context.Background(), "select count(*), coalesce(max(id), 0) from durable where id <= $1", last).Scan(&count, &max); err != nil {
		t.Fatal(err)
	}
	if count != last {
		t.Fatalf("lost committed rows: %d of %d present after SIGKILL", count, last)
	}
	t.Logf("%d committed rows survived SIGKILL", last)
	d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit code: %d", code)
	}
}

// TestDaemon_startupErrors: a server that cannot start says why in one error line and exits
// 1 at once, without retrying; unexpected arguments are refused before anything starts.
func TestDaemon_startupErrors(t *testing.T) {
	bin := buildDaemon(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o600)
	locked := t.TempDir()
	holder := startDaemon(t, bin, locked)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"data dir is a file", []string{"--data-dir", file}, "not a directory"},
		{"data dir in use", []string{"--data-dir", locked}, fmt.Sprintf("is in use by process %d", holder.cmd.Process.Pid)},
		{"port in use", []string{"--port", busyPort}, "address already in use"},
		{"unknown command", []string{"dump", "--help"}, `unexpected argument "dump"`},
		{"bad flag", []string{"--no-such-flag"}, "no-such-flag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--port", fmt.Sprint(freePort(t)), "--log-format", "json"}, tc.args...)
			cmd := exec.Command(bin, args...)
			start := time.Now()
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit code %d, want 1 and %q:\n%s", code, tc.want, out)
			}
			if n := strings.Count(string(out), `"level":"error"`); n > 1 {
				t.Fatalf("%d error lines:\n%s", n, out)
			}
			t.Logf("exit 1 after %v", time.Since(start).Round(time.Millisecond))
		})
	}
	// The holder was not disturbed.
	c, err := pgx.Connect(context.Background(), holder.dsn())
	if err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	holder.cmd.Process.Signal(syscall.SIGTERM)
	if code := holder.wait(t); code != 0 {
		t.Fatalf("holder exit %d\n%s", code, holder.log)
	}
}

// TestDaemon_help reads like a server's.
func TestDaemon_help(t *testing.T) {
	bin := buildDaemon(t)
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Usage:") || !strings.Contains(string(out), "--data-dir") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestDaemon_metrics: --metrics-addr serves Prometheus counters.
func TestDaemon_metrics(t *testing.T) {
	bin := buildDaemon(t)
	mport := freePort(t)
	port := freePort(t)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", mport))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	d := &daemon{port: port}
	var c *pgx.Conn
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		if c, err = pgx.Connect(context.Background(), d.dsn()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer c.Close(context.Background())
	c.Exec(context.Background(), "select 1")
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"pglite_connections 1", "pglite_queries_total", "pglite_instance_memory_bytes", "pglite_bridge_restarts_total 0"} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q:\n%s", want, body)
		}
	}
}
