// Package test holds integration tests that drive the server with real clients: pgx in every
// query mode, database/sql, lib/pq and psql.
package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
)

type server struct {
	h    *actors.Handle
	port int
	dir  string // Unix socket directory
}

func (s *server) dsn(extra string) string {
	return s.dsnSSL("disable", extra)
}

func (s *server) dsnSSL(sslmode, extra string) string {
	d := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=%s", s.port, sslmode)
	if extra != "" {
		d += "&" + extra
	}
	return d
}

// startServer runs the actor tree on a free port with an in-memory database.
func startServer(t testing.TB, mod func(*actors.Config)) *server {
	t.Helper()
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	level := zerolog.WarnLevel
	if os.Getenv("PGLITE_TEST_DEBUG") != "" {
		level = zerolog.DebugLevel
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(level)
	dir, err := os.MkdirTemp("", "pglite-sock-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := actors.Config{ListenAddr: "127.0.0.1", SocketDir: dir, Logger: log}
	if mod != nil {
		mod(&cfg)
	}
	system := actors.NewSystem(log)
	h, err := actors.Start(context.Background(), system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = h.Stop(ctx)
		system.Shutdown()
		os.RemoveAll(dir)
	})
	return &server{h: h, port: h.Addrs()[0].(*net.TCPAddr).Port, dir: dir}
}

func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(ctxT(t), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func scalar[T any](t testing.TB, c *pgx.Conn, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := c.QueryRow(ctxT(t), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}
