package pglite_test

import (
	"context"
	"testing"
	"time"

	"database/sql"
	"github.com/jackc/pgx/v5"
	_ "github.com/lib/pq"

	"github.com/pglite-go/pglite"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func start(t testing.TB, opts pglite.Options) *pglite.Server {
	t.Helper()
	srv, err := pglite.Start(ctxT(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// TestServer_reachableEveryWay uses the TCP DSN with pgx and lib/pq, the in-process Dial
// and database/sql, all against one database.
func TestServer_reachableEveryWay(t *testing.T) {
	srv := start(t, pglite.Options{})
	ctx := ctxT(t)
	viaTCP, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("%s: %v", srv.DSN(), err)
	}
	defer viaTCP.Close(ctx)
	if _, err := viaTCP.Exec(ctx, "create table t (v int); insert into t values (1)"); err != nil {
		t.Fatal(err)
	}
	inProc, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inProc.Close(ctx)
	if _, err := inProc.Exec(ctx, "insert into t values (2)"); err != nil {
		t.Fatal(err)
	}
	db := srv.OpenDB()
	defer db.Close()
	pq, err := sql.Open("postgres", srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pq.Close()
	for name, d := range map[string]*sql.DB{"stdlib": db, "lib/pq": pq} {
		var n int
		if err := d.QueryRow("select count(*) from t").Scan(&n); err != nil || n != 2 {
			t.Errorf("%s: count = %d, %v", name, n, err)
		}
	}
}

// TestServer_password requires the password from clients; the DSN and Connect carry it.
func TestServer_password(t *testing.T) {
	srv := start(t, pglite.Options{Password: "s3cret", NoTCP: true})
	ctx := ctxT(t)
	c, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	cfg := srv.ConnConfig()
	cfg.Password = "wrong"
	if c, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		c.Close(ctx)
		t.Fatal("wrong password accepted")
	}
	if srv.Addr().Network() != "unix" {
		t.Errorf("NoTCP serves on %v", srv.Addr())
	}
}

// TestServer_template starts servers from a template; each begins with the setup's data.
func TestServer_template(t *testing.T) {
	ctx := ctxT(t)
	tmpl, err := pglite.NewTemplate(ctx, pglite.Options{}, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "create table seed (v text); insert into seed values ('x')")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		srv := start(t, pglite.Options{Template: tmpl, NoTCP: true})
		c, err := srv.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if _, err := c.Exec(ctx, "insert into seed values ('y')"); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(ctx, "select count(*) from seed").Scan(&n); err != nil || n != 2 {
			t.Fatalf("count = %d, %v; want the seed row plus this server's", n, err)
		}
		c.Close(ctx)
	}
}

// TestServer_inProcessBatch: a pgx batch of 2,000 queries over the in-process connection,
// a net.Pipe with no buffer at all. The server runs a batch on the goroutine that read it
// and writes the answers before it reads on, so this only completes because pgx reads
// while it writes, as it must with any PostgreSQL server. A stall would end in the
// server's client read timeout or the test context's deadline, and fail.
func TestServer_inProcessBatch(t *testing.T) {
	srv := start(t, pglite.Options{})
	ctx := ctxT(t)
	conn, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	batch := &pgx.Batch{}
	for i := range 2000 {
		batch.Queue("select $1::int + 1, repeat('x', 100)", i)
	}
	start := time.Now()
	br := conn.SendBatch(ctx, batch)
	for i := range 2000 {
		var v int
		var s string
		if err := br.QueryRow().Scan(&v, &s); err != nil || v != i+1 || len(s) != 100 {
			t.Fatalf("query %d: %d %d %v", i, v, len(s), err)
		}
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("2,000 queries in %v", time.Since(start))
}
