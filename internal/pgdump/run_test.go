package pgdump_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/internal/pgdump"
)

func start(t *testing.T) *pglite.Server {
	t.Helper()
	srv, err := pglite.Start(context.Background(), pglite.Options{NoTCP: true})
	if err != nil {
		t.Skipf("pglite: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func config(srv *pglite.Server) pgdump.Config {
	return pgdump.Config{Dial: func(ctx context.Context) (net.Conn, error) { return srv.Dial(ctx) }}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

var errFull = errors.New("disk full")

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.n < len(b) {
		return 0, errFull
	}
	w.n -= len(b)
	return len(b), nil
}

func TestRun_writerErrorStopsTheDump(t *testing.T) {
	srv := start(t)
	c, err := srv.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "create table big as select g, repeat('x', 100) as v from generate_series(1, 20000) g"); err != nil {
		t.Fatal(err)
	}
	err = pgdump.Run(context.Background(), &failingWriter{n: 4096}, config(srv))
	if !errors.Is(err, errFull) {
		t.Fatalf("want the writer's error, got %v", err)
	}
	// The server is unharmed, and pg_dump's session, which prepared statements in the one
	// backend session that c keeps attached, was cleaned up after the failure and after a
	// complete dump: the next dumps work.
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		if err := pgdump.Run(context.Background(), &out, config(srv)); err != nil || !strings.Contains(out.String(), "COPY public.big") {
			t.Fatalf("dump %d after the failed one: %v", i+1, err)
		}
	}
	if n := 0; c.QueryRow(context.Background(), "select count(*) from pg_prepared_statements where from_sql").Scan(&n) != nil || n != 0 {
		t.Fatalf("pg_dump left %d prepared statements", n)
	}
}

func TestRun_errorIsOneLine(t *testing.T) {
	srv := start(t)
	cfg := config(srv)
	cfg.Database = "nosuchdb"
	err := pgdump.Run(context.Background(), &bytes.Buffer{}, cfg)
	var ee *pgdump.ExitError
	if !errors.As(err, &ee) || ee.Status != 1 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "nosuchdb") {
		t.Fatalf("got %#v", err)
	}
}

func TestRun_canceled(t *testing.T) {
	srv := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pgdump.Run(ctx, &bytes.Buffer{}, config(srv)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
