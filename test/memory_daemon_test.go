package test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestDaemon_memoryFlags: --max-memory and --memory-high-water take PostgreSQL's units; a
// value that does not parse, or a limit below what the boot needs, is a startup error (exit
// 1); a valid limit turns a query that needs more into 53200.
func TestDaemon_memoryFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon")
	}
	bin := buildDaemon(t)
	for _, args := range [][]string{
		{"--max-memory=lots"},
		{"--max-memory=64MB"},
		{"--max-memory=200MB", "--shared-buffers=256MB"},
		{"--memory-high-water=12XB"},
	} {
		cmd := exec.Command(bin, append([]string{"--port", fmt.Sprint(freePort(t)), "--data-dir="}, args...)...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("%v: %v, want exit status 1\n%s", args, err, out)
		}
		if !strings.Contains(string(out), "memory") {
			t.Errorf("%v: the message does not say what is wrong:\n%s", args, out)
		}
	}

	port := freePort(t)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--data-dir=", "--max-memory=256MB", "--memory-high-water=192MB")
	var log strings.Builder
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	var c *pgx.Conn
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if c, err = pgx.Connect(context.Background(), dsn); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait() // the log is complete, and no longer written, once Wait returns
			t.Fatalf("daemon not ready: %v\n%s", err, log.String())
		}
	}
	defer c.Close(context.Background())
	_, err := c.Exec(ctxT(t), "select repeat('x', 300*1024*1024)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "53200" {
		t.Fatalf("300MB under --max-memory=256MB: %v, want 53200", err)
	}
	if got := scalar[int](t, c, "select 1"); got != 1 {
		t.Fatalf("after 53200: %d", got)
	}
}
