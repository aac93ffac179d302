package actors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// TestSupervision_trapMidQuery crashes the instance while a client is mid-query: that
// client gets an error, the Bridge restarts from the same data, and a new connection works
// within 2 seconds.
func TestSupervision_trapMidQuery(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		name := "memory"
		if dir != "" {
			name = "datadir"
		}
		t.Run(name, func(t *testing.T) {
			h, dsn := startTree(t, func(c *Config) { c.Bridge.DataDir = dir })
			setup := connect(t, dsn)
			if _, err := setup.Exec(context.Background(), "create table kept(x int); insert into kept select generate_series(1, 100)"); err != nil {
				t.Fatal(err)
			}
			victim := connect(t, dsn)
			errc := make(chan error, 1)
			go func() {
				_, err := victim.Exec(context.Background(), "select pg_sleep(20)")
				errc <- err
			}()
			time.Sleep(300 * time.Millisecond)
			h.system.Root.Send(h.Bridge(), &InjectFault{Trap: true})
			select {
			case err := <-errc:
				if err == nil {
					t.Fatal("the query in flight succeeded")
				}
				t.Logf("client in flight got: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the client in flight got no answer")
			}
			// A connection made during the restart waits for it instead of failing.
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			c, err := pgx.Connect(ctx, dsn)
			cancel()
			if err != nil {
				t.Fatalf("connection during the restart failed: %v", err)
			}
			defer c.Close(context.Background())
			var n int
			if err := c.QueryRow(context.Background(), "select count(*) from kept").Scan(&n); err != nil || n != 100 {
				t.Fatalf("committed data after restart: %d %v", n, err)
			}
			t.Logf("new connection answered %v after the fault", time.Since(start))
		})
	}
}

// TestSupervision_restartLimit: a Bridge that can never open escalates past its restart
// limit, and the handle reports ErrRestartLimit.
func TestSupervision_restartLimit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	system := NewSystem(log)
	defer system.Shutdown()
	cfg := Config{Port: 0, PortSet: true, Logger: log, MaxRestarts: 2, RestartWindow: time.Minute}
	cfg.Bridge.DataDir = file
	h, err := Start(context.Background(), system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("no escalation")
	}
	if !errors.Is(h.Err(), ErrRestartLimit) {
		t.Fatalf("err: %v", h.Err())
	}
}
