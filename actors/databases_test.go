package actors

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestDatabases_routingIsolationAndCrash(t *testing.T) {
	h, dsn := startTree(t, func(c *Config) {
		c.Databases = DatabasesConfig{Enabled: true, Declared: []string{"app"}, CreateOnConnect: true}
	})
	base := strings.TrimSuffix(dsn, "/postgres?sslmode=disable")
	open := func(db string) *pgx.Conn { return connect(t, base+"/"+db+"?sslmode=disable") }
	app, one, two := open("app"), open("one"), open("two")
	for i, c := range []*pgx.Conn{app, one, two} {
		if _, err := c.Exec(context.Background(), "create table t(x int)"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(context.Background(), "insert into t values ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
	// Each instance is its own database, under the name clients connect to.
	for name, c := range map[string]*pgx.Conn{"app": app, "one": one, "two": two} {
		var cur, catalog string
		if err := c.QueryRow(context.Background(), "select current_database(), (select catalog_name from information_schema.information_schema_catalog_name)").Scan(&cur, &catalog); err != nil || cur != name || catalog != name {
			t.Fatalf("database %s calls itself %q / %q: %v", name, cur, catalog, err)
		}
		if _, err := c.Exec(context.Background(), "alter database "+name+" set work_mem = '8MB'"); err != nil {
			t.Fatalf("alter database %s: %v", name, err)
		}
	}
	for i, c := range []*pgx.Conn{app, one, two} {
		var n, x int
		if err := c.QueryRow(context.Background(), "select count(*), max(x) from t").Scan(&n, &x); err != nil || n != 1 || x != i {
			t.Fatalf("db %d sees %d rows, max %d: %v", i, n, x, err)
		}
	}
	// A crash in one database does not touch the others.
	h.system.Root.Send(h.Supervisor(), &InjectFault{Trap: true, Database: "one"})
	_, err := one.Exec(context.Background(), "select pg_sleep(1)")
	if err == nil {
		t.Fatal("the crashed database's client got no error")
	}
	var x int
	if err := two.QueryRow(context.Background(), "select max(x) from t").Scan(&x); err != nil || x != 2 {
		t.Fatalf("other database affected: %v", err)
	}
	again := open("one")
	if err := again.QueryRow(context.Background(), "select max(x) from t").Scan(&x); err != nil || x != 1 {
		t.Fatalf("crashed database after restart: %d %v", x, err)
	}
}

func TestDatabases_declaredOnlyAndIdleStop(t *testing.T) {
	h, dsn := startTree(t, func(c *Config) {
		c.Databases = DatabasesConfig{Enabled: true, Declared: []string{"app"}, IdleTimeout: 300 * time.Millisecond}
	})
	base := strings.TrimSuffix(dsn, "/postgres?sslmode=disable")
	_, err := pgx.Connect(context.Background(), base+"/nope?sslmode=disable")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		t.Fatalf("undeclared database: %v", err)
	}
	stopped := make(chan string, 4)
	sub := h.system.EventStream.Subscribe(func(evt any) {
		if e, ok := evt.(*DatabaseStopped); ok {
			stopped <- e.Name
		}
	})
	defer h.system.EventStream.Unsubscribe(sub)
	c, err := pgx.Connect(context.Background(), base+"/app?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	c.Exec(context.Background(), "create table kept(x int); insert into kept values (42)")
	c.Close(context.Background())
	select {
	case name := <-stopped:
		if name != "app" {
			t.Fatalf("stopped %q", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle database was not stopped")
	}
	c = connect(t, base+"/app?sslmode=disable")
	var x int
	if err := c.QueryRow(context.Background(), "select x from kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("data after idle stop: %d %v", x, err)
	}
}
