package bridge

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// snapshotOf boots an instance, runs setup statements, resets the session and snapshots
// it. The source instance is closed by the test's cleanup.
func snapshotOf(t testing.TB, setup ...string) *Template {
	t.Helper()
	src := openTest(t, Config{})
	for _, sql := range setup {
		query(t, src, sql)
	}
	query(t, src, "DISCARD ALL")
	tmpl, err := src.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return tmpl
}

func cloneTest(t testing.TB, tmpl *Template) *Instance {
	t.Helper()
	inst, err := OpenTemplate(context.Background(), tmpl, zerolog.Nop())
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst
}

// TestSnapshot_clonesAreIndependent checks that clones start from the template's data and
// that writes in one clone, or in the source after the snapshot, are seen nowhere else.
func TestSnapshot_clonesAreIndependent(t *testing.T) {
	src := openTest(t, Config{})
	query(t, src, "create table t (v int); insert into t values (1)")
	tmpl, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	query(t, src, "insert into t values (100)")
	a, b := cloneTest(t, tmpl), cloneTest(t, tmpl)
	query(t, a, "insert into t values (2)")
	query(t, b, "insert into t values (3); create table only_b (x int)")
	for name, c := range map[string]struct {
		inst *Instance
		want string
	}{"a": {a, "1,2"}, "b": {b, "1,3"}, "src": {src, "1,100"}} {
		got := query(t, c.inst, "select string_agg(v::text, ',' order by v) from t")
		if got[0][0] != c.want {
			t.Errorf("%s sees %v, want %s", name, got, c.want)
		}
	}
	if got := query(t, a, "select count(*) from pg_class where relname = 'only_b'"); got[0][0] != "0" {
		t.Errorf("a sees b's table")
	}
}

// TestSnapshot_cloneSurvivesCheckpointAndClose runs the work that touches most of the host
// state (WAL segments, relation files, a checkpoint) and a clean shutdown in a clone.
func TestSnapshot_cloneSurvivesCheckpointAndClose(t *testing.T) {
	tmpl := snapshotOf(t)
	c := cloneTest(t, tmpl)
	query(t, c, "create table big as select g, md5(g::text) from generate_series(1, 50000) g")
	query(t, c, "checkpoint")
	query(t, c, "vacuum analyze big")
	if got := query(t, c, "select count(*) from big"); got[0][0] != "50000" {
		t.Fatalf("count = %v", got)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestSnapshot_parallelClones clones and uses instances from several goroutines at once.
func TestSnapshot_parallelClones(t *testing.T) {
	tmpl := snapshotOf(t, "create table t (id int primary key, who text)")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := OpenTemplate(context.Background(), tmpl, zerolog.Nop())
			if err != nil {
				errs <- err
				return
			}
			defer inst.Close()
			w := &queryRunner{inst: inst}
			w.run(fmt.Sprintf("insert into t select g, 'w%d' from generate_series(1, 1000) g", i))
			rows := w.run("select count(distinct who) || ':' || count(*) from t")
			if w.err == nil && (len(rows) != 1 || rows[0] != "1:1000") {
				w.err = fmt.Errorf("clone %d sees %v", i, rows)
			}
			if w.err != nil {
				errs <- w.err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSnapshot_refusesLoadedLibrary documents the limit: once a side module is loaded the
// instance cannot be snapshotted.
func TestSnapshot_refusesLoadedLibrary(t *testing.T) {
	src := openTest(t, Config{})
	query(t, src, "create function f() returns int language plpgsql as 'begin return 1; end'")
	if _, err := src.Snapshot(); err == nil {
		t.Skip("plpgsql is linked into the main module in this build; nothing to refuse")
	}
}

// BenchmarkNewDatabase compares a new database by clone against the plain path (Open from
// the cached template cluster: copy-on-write file system clone plus a PostgreSQL boot),
// each to its first query.
func BenchmarkNewDatabase(b *testing.B) {
	tmpl := snapshotOf(b)
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			inst, err := OpenTemplate(context.Background(), tmpl, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			(&queryRunner{inst: inst}).run("select 1")
			inst.Close()
		}
	})
	b.Run("boot", func(b *testing.B) {
		for b.Loop() {
			inst, err := Open(context.Background(), Config{Logger: zerolog.Nop()})
			if err != nil {
				b.Fatal(err)
			}
			(&queryRunner{inst: inst}).run("select 1")
			inst.Close()
		}
	})
}

// queryRunner runs simple queries from any goroutine (testing.T must not fail there) and
// keeps the first error.
type queryRunner struct {
	inst *Instance
	err  error
}

// run returns the first column of every row.
func (q *queryRunner) run(sql string) []string {
	if q.err != nil {
		return nil
	}
	msg, _ := (&pgproto3.Query{String: sql}).Encode(nil)
	var raw bytes.Buffer
	if q.err = q.inst.Exec(context.Background(), msg, func(b []byte) error { raw.Write(b); return nil }); q.err != nil {
		return nil
	}
	fe := pgproto3.NewFrontend(bytes.NewReader(raw.Bytes()), nil)
	var rows []string
	for {
		m, err := fe.Receive()
		if err != nil {
			return rows
		}
		switch m := m.(type) {
		case *pgproto3.DataRow:
			rows = append(rows, string(m.Values[0]))
		case *pgproto3.ErrorResponse:
			q.err = fmt.Errorf("%s: %s", sql, m.Message)
			return nil
		}
	}
}
