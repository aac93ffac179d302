package test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Each client must see exactly the PostgreSQL it would see alone. These tests pin the session
// semantics the shared backend used to get wrong, with a second client in between so that the
// backend passes between sessions whose state differs.

// TestFidelity_resetReturnsToStartupValues: startup parameters are a session's reset values,
// so RESET, RESET ALL and DISCARD ALL return to them, not to the server's defaults.
func TestFidelity_resetReturnsToStartupValues(t *testing.T) {
	s := startServer(t, nil)
	// Simple protocol: DISCARD ALL deallocates pgx's cached statements, as on any server.
	c := connect(t, s.dsn("datestyle=Postgres,%20MDY&timezone=America/Los_Angeles&default_query_exec_mode=simple_protocol"))
	other := connect(t, s.dsn("default_query_exec_mode=simple_protocol"))
	for _, reset := range []string{"reset datestyle", "reset all", "discard all"} {
		mustExec(t, c, "set datestyle = iso")
		mustExec(t, c, "set timezone = 'Asia/Tokyo'")
		mustExec(t, other, "select 1") // the backend goes to the other session and back
		mustExec(t, c, reset)
		if got := scalar[string](t, c, "show datestyle"); got != "Postgres, MDY" {
			t.Fatalf("after %s: datestyle %q", reset, got)
		}
		if reset != "reset datestyle" {
			if got := scalar[string](t, c, "show timezone"); got != "America/Los_Angeles" {
				t.Fatalf("after %s: timezone %q", reset, got)
			}
		}
		if got := scalar[string](t, other, "show datestyle"); got != "ISO, MDY" {
			t.Fatalf("the other session's datestyle: %q", got)
		}
	}
}

// TestFidelity_parameterStatus: a SET of a reported parameter sends ParameterStatus, as
// PostgreSQL does, and one that changes nothing sends none.
func TestFidelity_parameterStatus(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	other := connect(t, s.dsn(""))
	pc := c.PgConn()
	mustExec(t, c, "set standard_conforming_strings = off")
	if got := pc.ParameterStatus("standard_conforming_strings"); got != "off" {
		t.Fatalf("standard_conforming_strings reported as %q", got)
	}
	mustExec(t, other, "set datestyle = 'German'")
	mustExec(t, c, "set datestyle = 'SQL, DMY'")
	if got := pc.ParameterStatus("DateStyle"); got != "SQL, DMY" {
		t.Fatalf("DateStyle reported as %q", got)
	}
	mustExec(t, c, "reset all")
	if got := pc.ParameterStatus("standard_conforming_strings"); got != "on" {
		t.Fatalf("after RESET ALL: %q", got)
	}
	if got := other.PgConn().ParameterStatus("DateStyle"); got != "German, DMY" {
		t.Fatalf("the other session's DateStyle: %q", got)
	}
}

// TestFidelity_noServerStatementInTransaction: the server reads a client's settings only
// outside its transaction, so SET TRANSACTION after SET TRANSACTION still works.
func TestFidelity_noServerStatementInTransaction(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	for _, q := range []string{"begin", "set transaction read only", "set transaction read write",
		"set local work_mem = '7MB'", "set search_path = pg_catalog, public", "commit"} {
		mustExec(t, c, q)
	}
	other := connect(t, s.dsn(""))
	mustExec(t, other, "select 1")
	if got := scalar[string](t, c, "show search_path"); got != "pg_catalog, public" {
		t.Fatalf("search_path set in the transaction: %q", got)
	}
	if got := scalar[string](t, c, "show work_mem"); got != "4MB" {
		t.Fatalf("SET LOCAL outlived its transaction: %q", got)
	}
}

// TestFidelity_sessionAuthorization: RESET SESSION AUTHORIZATION and DISCARD ALL return to
// the login user, for the boot user and for another login role.
func TestFidelity_sessionAuthorization(t *testing.T) {
	s := startServer(t, nil)
	admin := connect(t, s.dsn(""))
	mustExec(t, admin, "create role r1; create role app login superuser")
	app := connect(t, "postgres://app@127.0.0.1:"+itoa(s.port)+"/postgres?sslmode=disable")
	for _, c := range []struct {
		name string
		conn *pgx.Conn
	}{{"postgres", admin}, {"app", app}} {
		mustExec(t, c.conn, "set session authorization r1")
		mustExec(t, admin, "select 1")
		mustExec(t, app, "select 1")
		if got := scalar[string](t, c.conn, "select current_user || ' ' || session_user"); got != "r1 r1" {
			t.Fatalf("%s after SET SESSION AUTHORIZATION: %q", c.name, got)
		}
		mustExec(t, c.conn, "reset session authorization")
		if got := scalar[string](t, c.conn, "select current_user || ' ' || session_user"); got != c.name+" "+c.name {
			t.Fatalf("%s after RESET SESSION AUTHORIZATION: %q", c.name, got)
		}
		mustExec(t, c.conn, "set role r1")
		mustExec(t, c.conn, "discard all")
		if got := scalar[string](t, c.conn, "select current_user"); got != c.name {
			t.Fatalf("%s after SET ROLE; DISCARD ALL: %q", c.name, got)
		}
	}
}

// TestFidelity_psqlLexesAfterParameterStatus: psql sees standard_conforming_strings = off
// through ParameterStatus and lexes backslashes in strings accordingly.
func TestFidelity_psqlLexesAfterParameterStatus(t *testing.T) {
	s := startServer(t, nil)
	out, ok := psql(t, "", "-h", "127.0.0.1", "-p", itoa(s.port), "-U", "postgres", "-d", "postgres", "-X", "-At",
		"-c", "set standard_conforming_strings = off", "-c", `select 'a\'b'`)
	if !ok || !strings.HasSuffix(out, "\na'b\n") {
		t.Fatalf("psql: %q", out)
	}
}

// TestFidelity_temporaryObjectsEndWithTheConnection: what a connection leaves in its backend
// (temporary tables, SQL-level prepared statements, cursors WITH HOLD, advisory locks) is gone
// for the next connection, as with a backend per connection.
func TestFidelity_temporaryObjectsEndWithTheConnection(t *testing.T) {
	s := startServer(t, nil)
	first := connect(t, s.dsn(""))
	mustExec(t, first, "create temp table scratch(x int)")
	mustExec(t, first, "prepare p as select 1")
	mustExec(t, first, "begin; declare c cursor with hold for select 1; commit")
	mustExec(t, first, "select pg_advisory_lock(42)")
	if err := first.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Let the server see the disconnect before the next client attaches: with another
	// client attached these objects would belong to the shared session.
	time.Sleep(300 * time.Millisecond)
	next := connect(t, s.dsn(""))
	var n int64
	for q, want := range map[string]int64{
		"select count(*) from pg_class where relname = 'scratch'":      0,
		"select count(*) from pg_prepared_statements where name = 'p'": 0,
		"select count(*) from pg_cursors where name = 'c'":             0,
		"select count(*) from pg_locks where locktype = 'advisory'":    0,
	} {
		if n = scalar[int64](t, next, q); n != want {
			t.Errorf("%s: %d", q, n)
		}
	}
	mustExec(t, next, "create temp table scratch(x int)") // the name is free again
}

// TestFidelity_noStatementRestartsTheInstance: statements that used to end the shared
// instance get a clean error: CREATE SUBSCRIPTION (libpqwalreceiver needs a variable this
// build lacks) and a conversion whose module cannot load; client encodings whose modules
// need the host's radix-tree converters now work, in both directions.
func TestFidelity_noStatementRestartsTheInstance(t *testing.T) {
	s := startServer(t, nil)
	witness := connect(t, s.dsn(""))
	c := connect(t, s.dsn("default_query_exec_mode=simple_protocol"))
	for _, q := range []string{
		"create subscription sub connection 'host=127.0.0.1 dbname=x' publication pub",
		`select convert('\xb1', 'LATIN2', 'WIN1250')`,
	} {
		if _, err := c.Exec(ctxT(t), q); err == nil {
			t.Fatalf("%s: no error", q)
		}
		if got := scalar[string](t, c, "select 'é'"); got != "é" {
			t.Fatalf("after %s: %q", q, got)
		}
	}
	mustExec(t, witness, "select 1")
	if r := s.h.Metrics().Restarts(); r != 0 {
		t.Fatalf("the instance restarted %d times", r)
	}
}

// TestFidelity_temporaryObjectsWithOthersAttached: a client that leaves while others stay
// attached drops the temporary tables, views and sequences it created (and only those).
func TestFidelity_temporaryObjectsWithOthersAttached(t *testing.T) {
	s := startServer(t, nil)
	stays := connect(t, s.dsn(""))
	mustExec(t, stays, "create temp table kept(x int)")
	leaves := connect(t, s.dsn(""))
	mustExec(t, leaves, "create temp table gone(x int)")
	mustExec(t, leaves, "create temporary view gone_v as select 1 as x")
	mustExec(t, leaves, "begin")
	mustExec(t, leaves, "create temp sequence gone_s")
	mustExec(t, leaves, "create table pg_temp.gone_in_tx(x int)")
	mustExec(t, leaves, "commit")
	mustExec(t, leaves, "create temp table gone_as as select 1 as x")
	if err := leaves.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server sees the disconnect and cleans up
	if got := scalar[string](t, stays, "select coalesce(string_agg(relname, ',' order by relname), '') from pg_class where relnamespace = pg_my_temp_schema() and relkind in ('r','v','S')"); got != "kept" {
		t.Fatalf("temporary relations left: %q", got)
	}
	mustExec(t, stays, "insert into kept values (1)")
}
