package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPglitedWarmStart_measure times bin/pglited on an existing data directory, each start
// in a fresh process: from exec to the first SELECT 1 answered over TCP. The binary is built
// once into a temporary directory; the engine comes from $PGLITE_ENGINE, which the daemon
// reads. WARMSTART_BIN names a prebuilt binary instead (to compare two builds in one run).
// It only runs when PGLITE_MEASURE=1 (test/bench/engines.sh sets it) and asserts
// correctness only, never time.
func TestPglitedWarmStart_measure(t *testing.T) {
	if os.Getenv("PGLITE_MEASURE") != "1" {
		t.Skip("set PGLITE_MEASURE=1 (test/bench/engines.sh does)")
	}
	bin := os.Getenv("WARMSTART_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "pglited")
		build := exec.Command("go", "build", "-o", bin, "github.com/pglite-go/pglite/cmd/pglited")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
	}
	dataDir := filepath.Join(t.TempDir(), "pgdata")
	runs := 5
	if v, err := strconv.Atoi(os.Getenv("WARMSTART_RUNS")); err == nil && v > 0 {
		runs = v
	}
	var ms []float64
	for i := 0; i <= runs; i++ { // the first start creates the data directory
		d := startToFirstQuery(t, bin, dataDir)
		if i > 0 {
			ms = append(ms, float64(d.Microseconds())/1000)
		}
	}
	sort.Float64s(ms)
	t.Logf("SUMMARY engine=%s pglited_warm_start_ms median=%.1f min=%.1f max=%.1f runs=%d", os.Getenv("PGLITE_ENGINE"), ms[len(ms)/2], ms[0], ms[len(ms)-1], len(ms))
}

// startToFirstQuery starts the daemon, polls until SELECT 1 answers, then stops it with
// SIGINT (a fast shutdown) and waits for it.
func startToFirstQuery(t *testing.T, bin, dataDir string) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "--data-dir", dataDir, "--listen", "127.0.0.1", "--port", strconv.Itoa(port), "--log-level", "warn")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", port)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := pgx.Connect(ctx, dsn)
		if err == nil {
			var one int
			err = c.QueryRow(ctx, "select 1").Scan(&one)
			c.Close(ctx)
			cancel()
			if err == nil && one == 1 {
				return time.Since(start)
			}
		}
		cancel()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("pglited did not answer within 2 minutes")
	return 0
}
