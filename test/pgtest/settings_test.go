package pgtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/test/pgtest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestWithSetting: a server setting holds for every connection (in-process, and by DSN as
// psql would connect), is what RESET returns to, and combines with a template.
func TestWithSetting(t *testing.T) {
	t.Parallel()
	show := func(t *testing.T, c *pgx.Conn, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRow(ctxT(t), "show "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	db := pgtest.New(t, pgtest.WithSetting("work_mem", "64MB"), pgtest.WithSetting("shared_buffers", "32MB"))
	if v := show(t, db.Conn(), "work_mem"); v != "64MB" {
		t.Fatalf("work_mem = %s", v)
	}
	if v := show(t, db.Conn(), "shared_buffers"); v != "32MB" {
		t.Fatalf("shared_buffers = %s, want 32MB (a setting that needs a boot)", v)
	}
	if _, err := db.Conn().Exec(ctxT(t), "set work_mem = '1MB'; reset work_mem"); err != nil {
		t.Fatal(err)
	}
	if v := show(t, db.Conn(), "work_mem"); v != "64MB" {
		t.Fatalf("work_mem after RESET = %s", v)
	}
	byDSN, err := pgx.Connect(ctxT(t), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer byDSN.Close(context.Background())
	if v := show(t, byDSN, "work_mem"); v != "64MB" {
		t.Fatalf("work_mem by DSN = %s", v)
	}

	tmpl := pgtest.New(t, pgtest.WithTemplate(migrate), pgtest.WithSetting("work_mem", "8MB"))
	var n int
	if err := tmpl.Conn().QueryRow(ctxT(t), "select count(*) from users").Scan(&n); err != nil || n != 2 {
		t.Fatalf("users = %d (%v)", n, err)
	}
	if v := show(t, tmpl.Conn(), "work_mem"); v != "8MB" {
		t.Fatalf("work_mem in a template's clone = %s", v)
	}
	if v := show(t, pgtest.New(t).Conn(), "work_mem"); v != "4MB" {
		t.Fatalf("work_mem without the option = %s, want the default", v)
	}
}

// TestPoolAndSQL: the pgxpool and database/sql helpers reach the same database as Conn,
// and the pool serves concurrent goroutines.
func TestPoolAndSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	if _, err := db.Conn().Exec(ctxT(t), "create table t (v int)"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := db.Pool().Exec(ctxT(t), "insert into t values ($1)", i)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.SQL().QueryRow("select count(*) from t").Scan(&n); err != nil || n != 8 {
		t.Fatalf("count = %d (%v)", n, err)
	}
	if err := pgtest.NewPool(t).QueryRow(ctxT(t), "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("NewPool: %d (%v)", n, err)
	}
	if err := pgtest.NewSQL(t).QueryRow("select 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("NewSQL: %d (%v)", n, err)
	}
}
