package test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestIsolation_preparedStatements: two clients prepare different statements under the same
// name, and the unnamed statement of one survives the other's queries.
func TestIsolation_preparedStatements(t *testing.T) {
	s := startServer(t, nil)
	a, b := connect(t, s.dsn("")), connect(t, s.dsn(""))
	if _, err := a.Prepare(ctxT(t), "q", "select 'from a'::text"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(ctxT(t), "q", "select 'from b'::text, 2"); err != nil {
		t.Fatal(err)
	}
	if got := scalar[string](t, a, "q"); got != "from a" {
		t.Fatalf("a: %q", got)
	}
	var sb string
	var n int
	if err := b.QueryRow(ctxT(t), "q").Scan(&sb, &n); err != nil || sb != "from b" {
		t.Fatalf("b: %q %v", sb, err)
	}
	// Unnamed statement: a parses, b runs queries in between, a binds.
	pa := a.PgConn()
	if err := pa.Exec(ctxT(t), "select 1").Close(); err != nil {
		t.Fatal(err)
	}
	sd, err := pa.Prepare(ctxT(t), "", "select $1::int * 10", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Prepare(ctxT(t), "", "select 'b unnamed'"); err != nil {
		t.Fatal(err)
	}
	scalar[string](t, b, "select 'b runs'")
	res := pa.ExecPrepared(ctxT(t), sd.Name, [][]byte{[]byte("7")}, nil, nil).Read()
	if res.Err != nil || string(res.Rows[0][0]) != "70" {
		t.Fatalf("unnamed statement crossed: %v %q", res.Err, res.Rows)
	}
	// A statement of another client is not visible.
	_, err = b.Exec(ctxT(t), "q2")
	var pgErr *pgconn.PgError
	_ = errors.As(err, &pgErr)
	if _, err := b.PgConn().Prepare(ctxT(t), "only_a", "select 1", nil); err != nil {
		t.Fatal(err)
	}
	r := a.PgConn().ExecPrepared(ctxT(t), "only_a", nil, nil, nil).Read()
	if r.Err == nil {
		t.Fatal("a could run b's prepared statement")
	}
	if !errors.As(r.Err, &pgErr) || pgErr.Code != "26000" || pgErr.Message != `prepared statement "only_a" does not exist` {
		t.Fatalf("error text shows the private name: %v", r.Err)
	}
}

// TestIsolation_settings: SET, search_path, TimeZone and SET ROLE stay with their client.
func TestIsolation_settings(t *testing.T) {
	s := startServer(t, nil)
	a, b := connect(t, s.dsn("")), connect(t, s.dsn(""))
	mustExec(t, a, "create schema other; create role worker")
	mustExec(t, a, "set search_path = other, public; set timezone = 'Asia/Tokyo'; set role worker")
	if got := scalar[string](t, b, "show timezone"); got != "UTC" {
		t.Fatalf("b sees a's TimeZone: %q", got)
	}
	if got := scalar[string](t, b, "select current_user"); got != "postgres" {
		t.Fatalf("b sees a's role: %q", got)
	}
	mustExec(t, b, "set datestyle = 'German'")
	if got := scalar[string](t, a, "show timezone"); got != "Asia/Tokyo" {
		t.Fatalf("a lost TimeZone: %q", got)
	}
	if got := scalar[string](t, a, "show search_path"); got != "other, public" {
		t.Fatalf("a lost search_path: %q", got)
	}
	if got := scalar[string](t, a, "select current_user"); got != "worker" {
		t.Fatalf("a lost its role: %q", got)
	}
	if got := scalar[string](t, a, "show datestyle"); got != "ISO, MDY" {
		t.Fatalf("a sees b's DateStyle: %q", got)
	}
	if got := scalar[string](t, b, "show datestyle"); got != "German, DMY" {
		t.Fatalf("b lost DateStyle: %q", got)
	}
}

// TestIsolation_startupUserAndParams: the startup user is the session's role, unknown roles
// get 28000, and startup parameters apply to the session only.
func TestIsolation_startupUserAndParams(t *testing.T) {
	s := startServer(t, nil)
	admin := connect(t, s.dsn(""))
	mustExec(t, admin, "create role alice login")
	alice := connect(t, "postgres://alice@127.0.0.1:"+itoa(s.port)+"/postgres?sslmode=disable&application_name=alice_app&timezone=Europe/Paris")
	if got := scalar[string](t, alice, "select current_user || ' ' || session_user"); got != "alice alice" {
		t.Fatalf("user: %q", got)
	}
	if got := scalar[string](t, alice, "show application_name"); got != "alice_app" {
		t.Fatalf("application_name: %q", got)
	}
	if got := scalar[string](t, alice, "show timezone"); got != "Europe/Paris" {
		t.Fatalf("timezone: %q", got)
	}
	if got := scalar[string](t, admin, "show timezone"); got != "UTC" {
		t.Fatalf("admin sees alice's timezone: %q", got)
	}
	if alice.PgConn().ParameterStatus("application_name") != "alice_app" || alice.PgConn().ParameterStatus("session_authorization") != "alice" {
		t.Fatalf("parameter status: %q %q", alice.PgConn().ParameterStatus("application_name"), alice.PgConn().ParameterStatus("session_authorization"))
	}
	_, err := pgx.Connect(ctxT(t), "postgres://nobody@127.0.0.1:"+itoa(s.port)+"/postgres?sslmode=disable")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28000" {
		t.Fatalf("unknown role: %v", err)
	}
	_, err = pgx.Connect(ctxT(t), "postgres://postgres@127.0.0.1:"+itoa(s.port)+"/nodb?sslmode=disable")
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		t.Fatalf("unknown database: %v", err)
	}
	if a, b := admin.PgConn().PID(), alice.PgConn().PID(); a == b {
		t.Fatalf("BackendKeyData PIDs are not unique: %d", a)
	}
}

// TestDisconnect_rollsBack: a client vanishing mid-transaction, holding a row lock, is
// rolled back and the backend is free for the next client at once.
func TestDisconnect_rollsBack(t *testing.T) {
	s := startServer(t, nil)
	setup := connect(t, s.dsn(""))
	mustExec(t, setup, "create table d(id int primary key, v text)")
	mustExec(t, setup, "insert into d values (1, 'committed')")
	gone := connect(t, s.dsn(""))
	mustExec(t, gone, "begin")
	mustExec(t, gone, "update d set v = 'uncommitted' where id = 1")
	mustExec(t, gone, "insert into d values (2, 'uncommitted')")
	if _, err := gone.Prepare(ctxT(t), "gone_stmt", "select 1"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, gone, "listen gone_channel")
	// Vanish without Terminate.
	gone.PgConn().Conn().Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var v string
	if err := setup.QueryRow(ctx, "select v from d where id = 1").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("backend free after %v", time.Since(start))
	if v != "committed" {
		t.Fatalf("uncommitted update visible: %q", v)
	}
	if n := scalar[int64](t, setup, "select count(*) from d"); n != 1 {
		t.Fatalf("uncommitted insert visible: %d rows", n)
	}
	waitFor(t, func() bool {
		return scalar[int64](t, setup, "select count(*) from pg_prepared_statements where name like '%gone_stmt'") == 0
	})
	waitFor(t, func() bool {
		return scalar[int64](t, setup, "select count(*) from pg_listening_channels() c where c = 'gone_channel'") == 0
	})
	// Half a message, then vanish.
	raw, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
	if err != nil {
		t.Fatal(err)
	}
	half := connectRaw(t, raw)
	half.Write([]byte{'Q', 0, 0, 0, 100, 's', 'e', 'l'})
	half.Close()
	if got := scalar[int](t, setup, "select 5"); got != 5 {
		t.Fatal(got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIsolation_deallocateAll: one client's DEALLOCATE ALL or DISCARD ALL (a pooler's reset
// query) deallocates every statement in the shared backend; the other clients' cached
// statements are prepared again before they next run, so they never notice.
func TestIsolation_deallocateAll(t *testing.T) {
	s := startServer(t, nil)
	resetter := connect(t, s.dsn("default_query_exec_mode=simple_protocol"))
	cached := connect(t, s.dsn("")) // pgx caches its prepared statements
	for i, reset := range []string{"deallocate all", "discard all", "deallocate all"} {
		if got := scalar[int32](t, cached, "select $1::int + 1", int32(i)); got != int32(i)+1 {
			t.Fatalf("before %s: %d", reset, got)
		}
		mustExec(t, resetter, reset)
		if got := scalar[int32](t, cached, "select $1::int + 1", int32(i)); got != int32(i)+1 {
			t.Fatalf("after %s: %d", reset, got)
		}
	}
	// The resetter's own statements are gone, as it asked.
	mustExec(t, resetter, "prepare mine as select 1")
	mustExec(t, resetter, "deallocate all")
	if n := scalar[int64](t, resetter, "select count(*) from pg_prepared_statements where name = 'mine'"); n != 0 {
		t.Fatalf("the resetter's statement survived: %d", n)
	}
}
