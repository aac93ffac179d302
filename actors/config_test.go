package actors

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
)

// TestConfig_zeroValueOpensNoPort: an embedder's zero Config listens on nothing (no TCP
// port, no socket) and still serves in-process connections; a SocketDir alone gives the
// socket PostgreSQL's default number.
func TestConfig_zeroValueOpensNoPort(t *testing.T) {
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{}, nil},
		{Config{SocketDir: dir}, []string{filepath.Join(dir, ".s.PGSQL.5432")}},
	} {
		tc.cfg.Logger = log
		system := NewSystem(log)
		h, err := Start(context.Background(), system, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range h.Addrs() {
			got = append(got, a.String())
		}
		if len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
			t.Errorf("listens on %v, want %v", got, tc.want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cfg, _ := pgx.ParseConfig("postgres://postgres@in-process/postgres?sslmode=disable")
		cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			system.Root.Send(h.Listener(), &ServeConn{Conn: server})
			return client, nil
		}
		cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"in-process"}, nil }
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := c.QueryRow(ctx, "select 42").Scan(&n); err != nil || n != 42 {
			t.Fatalf("select 42 = %d, %v", n, err)
		}
		c.Close(ctx)
		if err := h.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		system.Shutdown()
	}
}
