package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/pglite-go/pglite/test/pgtest"
)

// TestMain checks that the tests leave no goroutine behind and no file in the temporary
// directory.
// The temporary directory is a private one, so that other processes' files do not count.
func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "pgtest-leakcheck-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("TMPDIR", tmp)
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
			code = 1
		}
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			fmt.Fprintln(os.Stderr, "files left in the temporary directory:", names(ents))
			code = 1
		}
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

func names(ents []os.DirEntry) []string {
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestParallelIsolation: 16 parallel tests write different rows to a table of the same
// name; each sees only its own.
func TestParallelIsolation(t *testing.T) {
	for i := range 16 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t)
			c := db.Conn()
			ctx := ctxT(t)
			if _, err := c.Exec(ctx, "create table items (owner int, n int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, "insert into items select $1, g from generate_series(1, $2) g", i, 10+i); err != nil {
				t.Fatal(err)
			}
			var owners, rows int
			if err := c.QueryRow(ctx, "select count(distinct owner), count(*) from items where owner = $1 or true", i).Scan(&owners, &rows); err != nil {
				t.Fatal(err)
			}
			if owners != 1 || rows != 10+i {
				t.Fatalf("test %d sees %d owners and %d rows, want 1 and %d", i, owners, rows, 10+i)
			}
		})
	}
}

// migrate is a template setup: schema plus seed rows.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
		create table users (id serial primary key, name text not null unique);
		insert into users (name) values ('ada'), ('grace');
		set search_path = nowhere`) // must not leak into the template's sessions
	return err
}

var setupRuns int

func countedMigrate(ctx context.Context, conn *pgx.Conn) error {
	setupRuns++
	return migrate(ctx, conn)
}

// TestTemplate: every database starts from the setup's state, the setup runs once, and
// writes stay in their database.
func TestTemplate(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t, pgtest.WithTemplate(countedMigrate))
			c := db.Conn()
			ctx := ctxT(t)
			if _, err := c.Exec(ctx, "insert into users (name) values ($1)", fmt.Sprint("user", i)); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.QueryRow(ctx, "select count(*) from users").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("%d users, want the 2 seeded plus this test's", n)
			}
		})
	}
	t.Cleanup(func() {
		if setupRuns != 1 {
			t.Errorf("setup ran %d times, want once", setupRuns)
		}
	})
}

// TestDSN reaches the database through its Unix socket and, with WithTCP, over TCP, and
// through database/sql.
func TestDSN(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]pgtest.Option{nil, {pgtest.WithTCP()}} {
		db := pgtest.New(t, opts...)
		c, err := pgx.Connect(ctxT(t), db.DSN())
		if err != nil {
			t.Fatalf("%s: %v", db.DSN(), err)
		}
		var one int
		if err := c.QueryRow(ctxT(t), "select 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("select 1: %v %v", one, err)
		}
		c.Close(ctxT(t))
		if err := db.SQL().QueryRow("select 2").Scan(&one); err != nil || one != 2 {
			t.Fatalf("database/sql: %v %v", one, err)
		}
	}
}

// migrateWithLibraries is a template setup that loads side modules, as real migrations
// do: PL/pgSQL functions and triggers, and extensions with C code.
func migrateWithLibraries(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
		create extension hstore;
		create extension vector;
		create function safe_div(a int, b int) returns int language plpgsql as $$
		begin
			return a / b;
		exception when division_by_zero then
			return -1;
		end $$;
		create table docs (id int primary key, title text, tags hstore, emb vector(2));
		create function docs_title() returns trigger language plpgsql as $$
		begin
			new.title := initcap(new.title);
			return new;
		end $$;
		create trigger docs_title before insert on docs for each row execute function docs_title();
		insert into docs values (1, 'first doc', 'lang=>en', '[0,1]');`)
	return err
}

// TestTemplateWithLibraries: databases cloned from a template whose setup loaded plpgsql,
// hstore and vector use all three, and load further extensions of their own.
func TestTemplateWithLibraries(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t, pgtest.WithTemplate(migrateWithLibraries))
			c := db.Conn()
			ctx := ctxT(t)
			var div, divOK int
			if err := c.QueryRow(ctx, "select safe_div(1, 0), safe_div(9, 3)").Scan(&div, &divOK); err != nil || div != -1 || divOK != 3 {
				t.Fatalf("safe_div = %d, %d (%v)", div, divOK, err)
			}
			if _, err := c.Exec(ctx, "insert into docs values ($1, $2, 'lang=>de', '[1,0]')", 10+i, fmt.Sprint("clone doc ", i)); err != nil {
				t.Fatal(err)
			}
			var title, lang string
			var dist float64
			err := c.QueryRow(ctx, "select title, tags -> 'lang', emb <-> '[0,1]' from docs where id = $1", 10+i).Scan(&title, &lang, &dist)
			if err != nil || title != fmt.Sprint("Clone Doc ", i) || lang != "de" || dist < 1.41 || dist > 1.42 {
				t.Fatalf("row = %q %q %v (%v)", title, lang, dist, err)
			}
			var n int
			if err := c.QueryRow(ctx, "select count(*) from docs").Scan(&n); err != nil || n != 2 {
				t.Fatalf("%d docs (%v), want the seeded one and this test's", n, err)
			}
			if _, err := c.Exec(ctx, "create extension pg_trgm"); err != nil {
				t.Fatal(err)
			}
			var sim float64
			if err := c.QueryRow(ctx, "select similarity(title, 'First Dok') from docs where id = 1").Scan(&sim); err != nil || sim < 0.3 {
				t.Fatalf("similarity = %v (%v)", sim, err)
			}
			if _, err := c.Exec(ctx, `do $$ begin
				perform 1 / 0;
			exception when division_by_zero then
				insert into docs values (100, 'from do', '', '[0,0]');
			end $$`); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRow(ctx, "select title from docs where id = 100").Scan(&title); err != nil || title != "From Do" {
				t.Fatalf("do block row = %q (%v)", title, err)
			}
		})
	}
}
