package test

import (
	"errors"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pglite-go/pglite/actors"
)

// rss reads the process's resident set size from /proc/self/status.
func rss(t testing.TB) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func mb(n uint64) string { return strconv.FormatUint(n>>20, 10) + " MB" }

// TestMemoryLimit: with a 256MB limit a query that needs more gets 53200 in its own session,
// which goes on, and the transaction another client had open when it was sent commits: the
// instance was never restarted.
func TestMemoryLimit(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.Bridge.MaxMemory = 256 << 20 })
	a, b := connect(t, s.dsn("")), connect(t, s.dsn(""))
	mustExec(t, a, "create table kept (v int)")
	tx, err := a.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctxT(t), "insert into kept values (1)"); err != nil {
		t.Fatal(err)
	}
	// b's query waits for a's transaction (one backend) and runs once it commits. The pause
	// only gives it time to be queued; the checks below hold in either order.
	failed := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctxT(t), "select repeat('x', 300*1024*1024)")
		failed <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := tx.Exec(ctxT(t), "insert into kept values (2)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	if err := <-failed; !errors.As(err, &pgErr) || pgErr.Code != "53200" {
		t.Fatalf("300MB repeat under a 256MB limit: %v, want 53200", err)
	}
	if got := scalar[int](t, b, "select 1"); got != 1 {
		t.Fatalf("next query in the failed session: %d", got)
	}
	tx, err = a.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctxT(t), "insert into kept values (3)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int](t, b, "select count(*) from kept"); n != 3 {
		t.Fatalf("kept has %d rows, want 3", n)
	}
	m := s.h.Metrics()
	size, _, limit := m.InstanceMemory()
	if r := m.Restarts(); r != 0 {
		t.Fatalf("%d restarts", r)
	}
	if limit != 256<<20 || size > limit {
		t.Fatalf("memory %d, limit %d", size, limit)
	}
}

// TestRecycleGivesMemoryBack: after a query that grew the instance past its high-water mark
// and once every client is gone, the Bridge restarts the instance, RSS comes back, committed
// data is still there and a new client works.
func TestRecycleGivesMemoryBack(t *testing.T) {
	for _, mode := range []string{"memory", "datadir"} {
		t.Run(mode, func(t *testing.T) {
			dir := ""
			if mode == "datadir" {
				dir = t.TempDir()
			}
			s := startServer(t, func(c *actors.Config) { c.Bridge.DataDir = dir })
			setup := connect(t, s.dsn(""))
			mustExec(t, setup, "create table kept as select g as v from generate_series(1, 1000) g")
			setup.Close(ctxT(t))
			debug.FreeOSMemory()
			base := rss(t)

			big := connect(t, s.dsn(""))
			if n := scalar[int](t, big, "select length(repeat('x', 500*1024*1024))"); n != 500<<20 {
				t.Fatalf("length %d", n)
			}
			peak := rss(t)
			big.Close(ctxT(t))
			left := time.Now()

			m := s.h.Metrics()
			var now uint64
			for deadline := time.Now().Add(30 * time.Second); ; {
				now = rss(t)
				if m.Recycles() >= 1 && now <= 2*base {
					break
				}
				if time.Now().After(deadline) {
					size, hw, _ := m.InstanceMemory()
					t.Fatalf("RSS %s after 30s (fresh %s, peak %s), %d recycles, instance %s, high water %s",
						mb(now), mb(base), mb(peak), m.Recycles(), mb(size), mb(hw))
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Logf("RSS fresh %s, peak %s, after %s, back %v after the client left",
				mb(base), mb(peak), mb(now), time.Since(left).Round(100*time.Millisecond))
			c := connect(t, s.dsn(""))
			if n := scalar[int](t, c, "select count(*) from kept"); n != 1000 {
				t.Fatalf("kept has %d rows after the recycle", n)
			}
			if r := m.Restarts(); r != 0 {
				t.Fatalf("the recycle counted as %d restarts", r)
			}
		})
	}
}

// TestRecycleSparesIdleClient: a client that stays connected, idle, with a prepared statement
// keeps its instance even over the high-water mark; the recycle waits until it leaves.
func TestRecycleSparesIdleClient(t *testing.T) {
	const delay = 100 * time.Millisecond
	s := startServer(t, func(c *actors.Config) { c.RecycleDelay = delay })
	idle := connect(t, s.dsn(""))
	if _, err := idle.Prepare(ctxT(t), "plus", "select $1::int + 1"); err != nil {
		t.Fatal(err)
	}
	big := connect(t, s.dsn(""))
	if n := scalar[int](t, big, "select length(repeat('x', 500*1024*1024))"); n != 500<<20 {
		t.Fatalf("length %d", n)
	}
	big.Close(ctxT(t))
	m := s.h.Metrics()
	time.Sleep(10 * delay) // the recycle would have happened by now, were the client gone
	if r := m.Recycles(); r != 0 {
		t.Fatalf("recycled %d times under an attached client", r)
	}
	if got := scalar[int](t, idle, "plus", 41); got != 42 {
		t.Fatalf("prepared statement: %d", got)
	}
	idle.Close(ctxT(t))
	for deadline := time.Now().Add(30 * time.Second); m.Recycles() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no recycle after the last client left")
		}
	}
	c := connect(t, s.dsn(""))
	if got := scalar[int](t, c, "select 41 + 1"); got != 42 {
		t.Fatalf("after the recycle: %d", got)
	}
}
