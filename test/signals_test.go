package test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestDaemon_signals: the daemon takes signals as PostgreSQL's postmaster does. SIGHUP and
// pg_reload_conf() reload postgresql.auto.conf and the daemon keeps serving; SIGTERM is a smart shutdown that lets a
// connected session go on (a second SIGTERM changes nothing); SIGINT is a fast shutdown that
// ends a running query with FATAL 57P01; SIGQUIT exits at once with status 3, and the next
// start recovers every committed row.
func TestDaemon_signals(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon")
	}
	bin := buildDaemon(t)
	dir := t.TempDir()
	ctx := context.Background()

	d := startDaemon(t, bin, dir)
	c, err := pgx.Connect(ctx, d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "postgresql.auto.conf"), []byte("work_mem = '7MB'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	var workMem string
	if err := c.QueryRow(ctx, "show work_mem").Scan(&workMem); err != nil || workMem != "7MB" {
		t.Fatalf("after SIGHUP: %q %v\n%s", workMem, err, d.log)
	}

	// pg_reload_conf() works as on a server with a postmaster.
	if err := os.WriteFile(filepath.Join(dir, "postgresql.auto.conf"), []byte("work_mem = '8MB'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var reloaded bool
	if err := c.QueryRow(ctx, "select pg_reload_conf()").Scan(&reloaded); err != nil || !reloaded {
		t.Fatalf("pg_reload_conf: %v %v", reloaded, err)
	}
	if err := c.QueryRow(ctx, "show work_mem").Scan(&workMem); err != nil || workMem != "8MB" {
		t.Fatalf("after pg_reload_conf: %q %v", workMem, err)
	}

	// Smart: the connected session goes on; new connections are refused; exit 0 once it leaves.
	d.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	d.cmd.Process.Signal(syscall.SIGTERM)
	if _, err := c.Exec(ctx, "create table smart(x int); insert into smart values (1)"); err != nil {
		t.Fatalf("session during a smart shutdown: %v", err)
	}
	if late, err := pgx.Connect(ctx, d.dsn()); err == nil {
		late.Close(ctx)
		t.Fatal("a new connection was accepted during a smart shutdown")
	}
	c.Close(ctx)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit after smart shutdown: %d\n%s", code, d.log)
	}

	// Fast: the running query's session hears 57P01.
	d = startDaemon(t, bin, dir)
	c, err = pgx.Connect(ctx, d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := c.Exec(ctx, "select pg_sleep(30)"); errc <- err }()
	time.Sleep(300 * time.Millisecond)
	d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-errc:
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "57P01" || pgErr.Severity != "FATAL" {
			t.Fatalf("running query at a fast shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the running query was not ended")
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit after fast shutdown: %d\n%s", code, d.log)
	}

	// Immediate: exit 3 without a checkpoint; the data is still there after recovery.
	d = startDaemon(t, bin, dir)
	c, err = pgx.Connect(ctx, d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "insert into smart select generate_series(2, 1000)"); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGQUIT)
	if code := d.wait(t); code != 3 {
		t.Fatalf("exit after immediate shutdown: %d\n%s", code, d.log)
	}
	d = startDaemon(t, bin, dir)
	c, err = pgx.Connect(ctx, d.dsn())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRow(ctx, "select count(*) from smart").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("rows after immediate shutdown: %d %v", n, err)
	}
	c.Close(ctx)
	d.cmd.Process.Signal(syscall.SIGINT)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit: %d", code)
	}
}
