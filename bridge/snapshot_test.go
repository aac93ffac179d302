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
	inParallelClones(t, tmpl, 8, func(inst *Instance, i int) error {
		w := &queryRunner{inst: inst}
		w.run(fmt.Sprintf("insert into t select g, 'w%d' from generate_series(1, 1000) g", i))
		rows := w.run("select count(distinct who) || ':' || count(*) from t")
		if w.err == nil && (len(rows) != 1 || rows[0] != "1:1000") {
			w.err = fmt.Errorf("clone %d sees %v", i, rows)
		}
		return w.err
	})
}

// inParallelClones opens n clones of tmpl at once and runs check on each, reporting every
// error.
func inParallelClones(t *testing.T, tmpl *Template, n int, check func(inst *Instance, i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := OpenTemplate(context.Background(), tmpl, zerolog.Nop())
			if err != nil {
				errs <- err
				return
			}
			defer inst.Close()
			if err := check(inst, i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sideModuleSetup loads plpgsql (a function with an EXCEPTION block and a trigger),
// hstore and vector into the template, so clones must re-link all three.
var sideModuleSetup = []string{
	"create extension hstore",
	"create extension vector",
	`create function safe_div(a int, b int) returns int language plpgsql as $$
	begin
		return a / b;
	exception when division_by_zero then
		return -1;
	end $$`,
	`create table items (id int primary key, name text, attrs hstore default ''::hstore)`,
	`create function items_upper() returns trigger language plpgsql as $$
	begin
		new.name := upper(new.name);
		new.attrs := new.attrs || hstore('seen', 'yes');
		return new;
	end $$`,
	`create trigger items_upper before insert on items for each row execute function items_upper()`,
	"create table emb (id int, v vector(3))",
	"insert into emb values (1, '[1,2,3]')",
	"insert into items (id, name) values (0, 'template')",
	"select safe_div(1, 0)",
}

// checkSideModuleClone exercises every library the template loaded, then loads another
// extension and runs a DO block in the clone. It returns the first failure.
func checkSideModuleClone(inst *Instance, i int) error {
	w := &queryRunner{inst: inst}
	expect := func(sql, want string) {
		rows := w.run(sql)
		if w.err == nil && (len(rows) != 1 || rows[0] != want) {
			w.err = fmt.Errorf("clone %d: %s = %v, want %s", i, sql, rows, want)
		}
	}
	expect("select safe_div(10, 0)", "-1")
	expect("select safe_div(10, 5)", "2")
	w.run(fmt.Sprintf("insert into items (id, name, attrs) values (%d, 'clone%d', 'k=>v')", i+1, i))
	expect(fmt.Sprintf("select name || ',' || (attrs -> 'k') || ',' || (attrs -> 'seen') from items where id = %d", i+1),
		fmt.Sprintf("CLONE%d,v,yes", i))
	expect("select name from items where id = 0", "TEMPLATE")
	expect("select (akeys('a=>1,b=>2'::hstore))[2]", "b")
	expect("select v <-> '[1,2,4]' from emb", "1")
	expect("select count(*) from items", "2")
	w.run("create extension pg_trgm")
	expect("select similarity('hello', 'hallo') > 0.3", "t")
	w.run(`do $$ declare n int; begin
		n := safe_div(1, 0);
		if n <> -1 then raise exception 'got %', n; end if;
		begin
			perform 1 / 0;
		exception when division_by_zero then
			n := -2;
		end;
		create table did_do (v int);
		insert into did_do values (n);
	end $$`)
	expect("select v from did_do", "-2")
	return w.err
}

// TestSnapshot_sideModules snapshots an instance that has loaded plpgsql, hstore and vector
// and checks that parallel clones can use all of them, load another extension and run
// PL/pgSQL (including longjmp out of an EXCEPTION block) on their own.
func TestSnapshot_sideModules(t *testing.T) {
	tmpl := snapshotOf(t, sideModuleSetup...)
	if libs := tmpl.snap.Libraries(); len(libs) < 3 {
		t.Fatalf("template libraries = %v, want plpgsql, hstore and vector", libs)
	}
	inParallelClones(t, tmpl, 4, checkSideModuleClone)
}

// TestSnapshot_sideModulesChained snapshots a clone that loaded one more library, as
// pgtest does when a setup template is built from the pristine one.
func TestSnapshot_sideModulesChained(t *testing.T) {
	first := cloneTest(t, snapshotOf(t, sideModuleSetup...))
	query(t, first, "create extension pg_trgm")
	query(t, first, "create table words (w text)")
	query(t, first, "insert into words values ('postgres'), ('postgis'), ('sqlite')")
	query(t, first, "DISCARD ALL")
	second, err := first.Snapshot()
	if err != nil {
		t.Fatalf("snapshot of a clone: %v", err)
	}
	c := cloneTest(t, second)
	if got := query(t, c, "select w from words order by similarity(w, 'postgre') desc limit 1"); got[0][0] != "postgres" {
		t.Errorf("similarity ranking = %v", got)
	}
	if got := query(t, c, "select safe_div(3, 0)"); got[0][0] != "-1" {
		t.Errorf("safe_div = %v", got)
	}
	query(t, c, "create extension citext")
	if got := query(t, c, "select 'ABC'::citext = 'abc'::citext"); got[0][0] != "t" {
		t.Errorf("citext = %v", got)
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
	libs := snapshotOf(b, sideModuleSetup...)
	b.Run("clone_side_modules", func(b *testing.B) {
		for b.Loop() {
			inst, err := OpenTemplate(context.Background(), libs, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			(&queryRunner{inst: inst}).run("select safe_div(1, 0)")
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
