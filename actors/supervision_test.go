package actors

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestSupervision_restartLimit: a Bridge that keeps failing after it booted escalates past its
// restart limit, and the handle reports ErrRestartLimit.
func TestSupervision_restartLimit(t *testing.T) {
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	system := NewSystem(log)
	defer system.Shutdown()
	cfg := Config{ListenAddr: "127.0.0.1", Logger: log, MaxRestarts: 2, RestartWindow: time.Minute}
	h, err := Start(context.Background(), system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(60 * time.Second)
	for {
		system.Root.Send(h.Bridge(), &InjectFault{})
		select {
		case <-h.Done():
			if !errors.Is(h.Err(), ErrRestartLimit) {
				t.Fatalf("err: %v", h.Err())
			}
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no escalation")
		}
	}
}

// TestSupervision_startupErrorNotRetried: a Bridge that cannot boot at all (here its data
// directory is a file) is not retried: the tree stops at once, and the handle reports the
// cause wrapped in ErrStartup.
func TestSupervision_startupErrorNotRetried(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)
	system := NewSystem(log)
	defer system.Shutdown()
	cfg := Config{ListenAddr: "127.0.0.1", Logger: log}
	cfg.Bridge.DataDir = file
	h, err := Start(context.Background(), system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = h.WaitReady(ctx)
	if !errors.Is(err, ErrStartup) || !strings.Contains(err.Error(), "not-a-dir") {
		t.Fatalf("WaitReady: %v", err)
	}
	if !errors.Is(h.Err(), ErrStartup) || h.Metrics().Restarts() != 0 {
		t.Fatalf("err %v after %d restarts", h.Err(), h.Metrics().Restarts())
	}
}
