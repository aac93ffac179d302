package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/test/pgtest"
)

// cacheChildEnv makes TestCacheChild run: it is the other process of TestTemplateCache.
const cacheChildEnv = "PGTEST_CACHE_CHILD"

// heavySetup stands in for a real schema: 40 tables with indexes, a PL/pgSQL function and
// a trigger, and 100,000 rows. It appends a line to $PGTEST_CACHE_MARK each time it runs.
func heavySetup(ctx context.Context, conn *pgx.Conn) error {
	if f := os.Getenv("PGTEST_CACHE_MARK"); f != "" {
		if err := appendLine(f, "setup ran"); err != nil {
			return err
		}
	}
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "create table t%d (id serial primary key, name text not null, at timestamptz default now()); create index on t%[1]d (name);", i)
	}
	b.WriteString(`create table events (id int primary key, payload text);
		insert into events select g, md5(g::text) from generate_series(1, 100000) g;
		create function touch() returns trigger language plpgsql as $$ begin new.at := now(); return new; end $$;
		create trigger t0_touch before update on t0 for each row execute function touch();`)
	_, err := conn.Exec(ctx, b.String())
	return err
}

func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// TestCacheChild is one process of TestTemplateCache: its first database, from the keyed
// template, and the time it took.
func TestCacheChild(t *testing.T) {
	if os.Getenv(cacheChildEnv) == "" {
		t.Skip("run by TestTemplateCache")
	}
	start := time.Now()
	db := pgtest.New(t, pgtest.WithTemplate(heavySetup), pgtest.WithTemplateKey("heavy-v1"))
	var n int
	if err := db.Conn().QueryRow(ctxT(t), "select count(*) from events").Scan(&n); err != nil || n != 100000 {
		t.Fatalf("events = %d (%v)", n, err)
	}
	if _, err := db.Conn().Exec(ctxT(t), "insert into t0 (name) values ('x'); update t0 set name = 'y'"); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("first database after %v\n", time.Since(start).Round(time.Millisecond))
}

// TestTemplateCache runs TestCacheChild in two fresh processes sharing one cache
// directory: the first runs the setup and stores the template, the second boots the stored
// one without running the setup. It logs both times.
func TestTemplateCache(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two test processes")
	}
	cache, mark := t.TempDir(), t.TempDir()+"/mark"
	run := func() time.Duration {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCacheChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), cacheChildEnv+"=1", "PGLITE_TEMPLATE_CACHE="+cache, "PGTEST_CACHE_MARK="+mark)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`first database after (\S+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("child printed no time:\n%s", out)
		}
		d, _ := time.ParseDuration(string(m[1]))
		return d
	}
	runs := func() int {
		b, _ := os.ReadFile(mark)
		return strings.Count(string(b), "setup ran")
	}
	cold := run()
	if n := runs(); n != 1 {
		t.Fatalf("setup ran %d times in the cold process, want 1", n)
	}
	warm := run()
	if n := runs(); n != 1 {
		t.Fatalf("setup ran again in the warm process (%d runs in all)", n)
	}
	t.Logf("first database: cold %v (setup run and stored), warm %v (stored template booted)", cold, warm)

	// An entry that does not boot is built again, not a failure.
	controls, _ := filepath.Glob(filepath.Join(cache, "*", "global", "pg_control"))
	if len(controls) != 1 {
		t.Fatalf("cache entries: %v", controls)
	}
	if err := os.Remove(controls[0]); err != nil {
		t.Fatal(err)
	}
	run()
	if n := runs(); n != 2 {
		t.Fatalf("setup ran %d times in all, want a second run for the broken entry", n)
	}
	run()
	if n := runs(); n != 2 {
		t.Fatalf("setup ran %d times in all, want the rebuilt entry used", n)
	}
}
