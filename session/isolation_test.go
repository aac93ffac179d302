package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// One test per rule of the isolation contract (doc.go), each with two or more scripted
// clients on one Backend.

func TestLease_transactionHoldsTheBackend(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	a.simple("create table t(v int)")
	a.simple("begin")
	a.simple("insert into t values (1)")
	// c's query waits for a's lease: it must see the row only after a commits, and its
	// answer must not arrive before then.
	c.send(&pgproto3.Query{String: "select count(*) from t"})
	got := make(chan []pgproto3.BackendMessage, 1)
	go func() { got <- until[*pgproto3.ReadyForQuery](c) }()
	select {
	case m := <-got:
		t.Fatalf("the second client ran inside the first one's transaction: %v", m)
	case <-time.After(200 * time.Millisecond):
	}
	a.simple("commit")
	for _, m := range <-got {
		if d, ok := m.(*pgproto3.DataRow); ok && string(d.Values[0]) != "1" {
			t.Fatalf("count after the commit: %s", d.Values[0])
		}
	}
}

func TestNames_statementsArePrivate(t *testing.T) {
	b := newBackend(t, nil)
	cases := []struct{ name, sqlA, sqlB string }{
		{"named", "select 'a'", "select 'b'"},
		{"", "select 'a'", "select 'b'"}, // the unnamed statement too
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) {
			a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
			a.send(&pgproto3.Parse{Name: tc.name, Query: tc.sqlA}, &pgproto3.Sync{})
			until[*pgproto3.ReadyForQuery](a)
			c.send(&pgproto3.Parse{Name: tc.name, Query: tc.sqlB}, &pgproto3.Sync{})
			if m := until[*pgproto3.ReadyForQuery](c); hasError(m) != "" {
				t.Fatalf("the second client's Parse of the same name: %s", hasError(m))
			}
			for _, x := range []struct {
				c    *scripted
				want string
			}{{a, "a"}, {c, "b"}} {
				x.c.send(&pgproto3.Bind{PreparedStatement: tc.name}, &pgproto3.Execute{}, &pgproto3.Sync{})
				if got := firstValue(until[*pgproto3.ReadyForQuery](x.c)); got != x.want {
					t.Fatalf("executing its own statement gave %q, want %q", got, x.want)
				}
			}
		})
	}
}

func TestNames_errorTextsNameTheClientsStatement(t *testing.T) {
	b := newBackend(t, nil)
	a := connectRaw(t, b.Backend, "postgres", nil)
	a.send(&pgproto3.Parse{Name: "mine", Query: "select 1"}, &pgproto3.Parse{Name: "mine", Query: "select 2"}, &pgproto3.Sync{})
	msg := hasError(until[*pgproto3.ReadyForQuery](a))
	if !strings.Contains(msg, `"mine" already exists`) {
		t.Fatalf("error: %q", msg)
	}
}

func TestSettings(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b *Backend)
	}{
		{"a SET is the client's own", func(t *testing.T, b *Backend) {
			a, c := connectRaw(t, b, "postgres", nil), connectRaw(t, b, "postgres", nil)
			a.one("select set_config('work_mem', '7MB', false)")
			if got := c.one("show work_mem"); got == "7MB" {
				t.Fatal("another client's SET leaked")
			}
			if got := a.one("show work_mem"); got != "7MB" {
				t.Fatalf("own SET lost: %s", got)
			}
		}},
		{"RESET returns to the startup option (B)", func(t *testing.T, b *Backend) {
			a := connectRaw(t, b, "postgres", map[string]string{"DateStyle": "Postgres, MDY"})
			other := connectRaw(t, b, "postgres", nil)
			a.simple("set datestyle = iso")
			other.one("select 1") // the backend passes to a client with other reset values
			a.simple("reset datestyle")
			if got := a.one("show datestyle"); got != "Postgres, MDY" {
				t.Fatalf("RESET gave %q", got)
			}
			a.simple("discard all")
			if got := a.one("show datestyle"); got != "Postgres, MDY" {
				t.Fatalf("DISCARD ALL gave %q", got)
			}
		}},
		{"ParameterStatus after SET (C)", func(t *testing.T, b *Backend) {
			a := connectRaw(t, b, "postgres", nil)
			a.send(&pgproto3.Query{String: "set standard_conforming_strings = off"})
			found := false
			for _, m := range until[*pgproto3.ReadyForQuery](a) {
				if p, ok := m.(*pgproto3.ParameterStatus); ok && p.Name == "standard_conforming_strings" && p.Value == "off" {
					found = true
				}
			}
			if !found {
				t.Fatal("no ParameterStatus for standard_conforming_strings")
			}
		}},
		{"no statement of the server's inside the transaction (D)", func(t *testing.T, b *Backend) {
			a := connectRaw(t, b, "postgres", nil)
			if _, code := a.simple("begin; set transaction read only; set transaction read write; commit"); code != "" {
				t.Fatal(code)
			}
			a.simple("begin")
			a.simple("set local work_mem = '9MB'")
			if _, code := a.simple("set transaction isolation level serializable"); code != "" {
				t.Fatalf("after a SET inside the transaction: %s", code)
			}
			a.simple("commit")
		}},
		{"RESET SESSION AUTHORIZATION and DISCARD ALL return to the login role (F)", func(t *testing.T, b *Backend) {
			a := connectRaw(t, b, "postgres", nil)
			a.simple("create role r1")
			a.simple("set session authorization r1")
			a.simple("reset session authorization")
			if got := a.one("select current_user"); got != "postgres" {
				t.Fatalf("after RESET SESSION AUTHORIZATION: %s", got)
			}
			a.simple("set role r1")
			a.simple("discard all")
			if got := a.one("select current_user"); got != "postgres" {
				t.Fatalf("after DISCARD ALL: %s", got)
			}
		}},
		{"each client runs as its login role", func(t *testing.T, b *Backend) {
			admin := connectRaw(t, b, "postgres", nil)
			admin.simple("create role app login")
			app := connectRaw(t, b, "app", nil)
			if got := app.one("select current_user"); got != "app" {
				t.Fatalf("current_user %s", got)
			}
			if got := admin.one("select current_user"); got != "postgres" {
				t.Fatalf("current_user %s", got)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend(t, nil).Backend) })
	}
}

func TestListen_routedToListenersOnly(t *testing.T) {
	b := newBackend(t, nil)
	a, c, n := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	a.simple("listen x")
	c.simple("listen y")
	c.simple("unlisten *") // must not end a's subscription on the shared backend
	n.simple("notify x, 'hello'; notify y, 'nobody'")
	a.send(&pgproto3.Query{String: "select 1"})
	var got []string
	for _, m := range until[*pgproto3.ReadyForQuery](a) {
		if nr, ok := m.(*pgproto3.NotificationResponse); ok {
			got = append(got, nr.Channel+":"+nr.Payload)
		}
	}
	if fmt.Sprint(got) != "[x:hello]" {
		t.Fatalf("a got %v", got)
	}
	c.send(&pgproto3.Query{String: "select 1"})
	for _, m := range until[*pgproto3.ReadyForQuery](c) {
		if nr, ok := m.(*pgproto3.NotificationResponse); ok {
			t.Fatalf("c got %s after UNLISTEN *", nr.Channel)
		}
	}
}

func TestCleanup(t *testing.T) {
	t.Run("a departed client's temp objects and statements go; others stay (I)", func(t *testing.T) {
		b := newBackend(t, nil)
		stay := connectRaw(t, b.Backend, "postgres", nil)
		stay.simple("create temp table kept(v int)")
		leave := connectRaw(t, b.Backend, "postgres", nil)
		leave.simple("create temp table gone(v int)")
		leave.send(&pgproto3.Parse{Name: "s", Query: "select 1"}, &pgproto3.Sync{})
		until[*pgproto3.ReadyForQuery](leave)
		leave.simple("begin; insert into kept values (1)") // an open transaction is rolled back
		leave.conn.Close()
		waitFor(t, func() bool {
			rows, _ := stay.simple("select count(*) from pg_prepared_statements")
			return len(rows) == 1 && rows[0][0] == "0"
		})
		if got := stay.one("select count(*) from pg_class where relname = 'gone' and relpersistence = 't'"); got != "0" {
			t.Fatalf("the departed client's temp table survived: %s", got)
		}
		if got := stay.one("select count(*) from kept"); got != "0" {
			t.Fatalf("the departed client's transaction was not rolled back: %s rows", got)
		}
	})
	t.Run("the last client takes everything with it", func(t *testing.T) {
		b := newBackend(t, nil)
		a := connectRaw(t, b.Backend, "postgres", nil)
		a.simple("create temp table t(v int); prepare p as select 1; select pg_advisory_lock(1)")
		a.conn.Close()
		waitFor(t, func() bool { return b.ClientCount() == 0 && b.Quiet() })
		n := connectRaw(t, b.Backend, "postgres", nil)
		if got := n.one("select count(*) from pg_class where relpersistence = 't'"); got != "0" {
			t.Fatalf("temp relations left: %s", got)
		}
		if got := n.one("select count(*) from pg_locks where locktype = 'advisory'"); got != "0" {
			t.Fatalf("advisory locks left: %s", got)
		}
	})
}

func TestPrepared_anotherClientsDeallocateAll(t *testing.T) {
	b := newBackend(t, nil)
	ctx := context.Background()
	a := connectPgx(t, b.Backend, "postgres", nil) // pgx caches prepared statements
	c := connectRaw(t, b.Backend, "postgres", nil)
	var v int
	if err := a.QueryRow(ctx, "select $1::int + 1", 1).Scan(&v); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"deallocate all", "discard all"} {
		c.simple(stmt)
		if err := a.QueryRow(ctx, "select $1::int + 1", 2).Scan(&v); err != nil || v != 3 {
			t.Fatalf("after another client's %s: %v, %d", stmt, err, v)
		}
	}
}

func TestCancel_onlyTheKeysSession(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	a.send(&pgproto3.Query{String: "select pg_sleep(30)"})
	time.Sleep(100 * time.Millisecond)
	b.Cancel(c.pid, c.key) // c runs nothing: no effect
	time.Sleep(100 * time.Millisecond)
	b.Cancel(a.pid, append([]byte(nil), c.key...)) // the wrong key
	start := time.Now()
	time.Sleep(100 * time.Millisecond)
	b.Cancel(a.pid, a.key)
	msg := hasError(until[*pgproto3.ReadyForQuery](a))
	if !strings.HasPrefix(msg, "57014") {
		t.Fatalf("a's query ended with %q", msg)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatal("the cancel did not stop the query")
	}
	if got := c.one("select 1"); got != "1" {
		t.Fatal(got)
	}
}

func TestFailure_brokenInstanceEndsEverySession(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	b.Instance().InjectFault()
	a.send(&pgproto3.Query{String: "select now()"})
	for _, s := range []*scripted{a, c} {
		var code string
		for code == "" {
			m, err := s.fe.Receive()
			if err != nil {
				t.Fatalf("no FATAL before the close: %v", err)
			}
			if e, ok := m.(*pgproto3.ErrorResponse); ok {
				code = e.Code
			}
		}
		if code != "XX000" {
			t.Fatalf("code %s", code)
		}
	}
	// The sessions hear first, then the owner.
	waitFor(t, func() bool { err, _ := b.broken.Load().(error); return err != nil })
	if _, err := b.Attach(Attach{ID: 99, User: "postgres", Database: "postgres", Client: newPipeClient(nopConn())}); !errors.Is(err, ErrClosed) {
		t.Fatalf("attach to a broken backend: %v", err)
	}
}

func TestAttach(t *testing.T) {
	b := newBackend(t, nil)
	admin := connectRaw(t, b.Backend, "postgres", nil)
	cases := []struct {
		user, db, want string
	}{
		{"nobody", "postgres", "28000"},
		{"postgres", "nodb", "3D000"},
	}
	for _, tc := range cases {
		res, err := b.Attach(Attach{ID: 1000, User: tc.user, Database: tc.db, Client: newPipeClient(nopConn())})
		if err != nil || res.Fatal == nil || !strings.Contains(string(res.Fatal), tc.want) {
			t.Fatalf("%s@%s: %v %q", tc.user, tc.db, err, res.Fatal)
		}
	}
	// A role created a moment ago by another session is found (the roles are read again).
	admin.simple("create role fresh login")
	if got := connectRaw(t, b.Backend, "fresh", nil).one("select session_user"); got != "fresh" {
		t.Fatal(got)
	}
}

func TestTasks_queryAndSnapshotWaitForTheLease(t *testing.T) {
	b := newBackend(t, nil)
	a := connectRaw(t, b.Backend, "postgres", nil)
	a.simple("begin")
	a.simple("create table inside(v int)")
	if _, err := b.Query(context.Background(), "select 1", nil, true); !errors.Is(err, ErrBusy) {
		t.Fatalf("NoWait while a client holds the backend: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Snapshot(context.Background(), false)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the snapshot ran inside a client's transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	a.simple("commit")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res, err := b.Query(context.Background(), "select count(*) from pg_class where relname = $1", []any{"inside"}, false)
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "1" {
		t.Fatalf("query: %v %v", res, err)
	}
	var qe *QueryError
	if _, err := b.Query(context.Background(), "select 1/0", nil, false); !errors.As(err, &qe) || qe.Code != "22012" {
		t.Fatalf("error: %v", err)
	}
}

func TestIdleInTransactionTimeout(t *testing.T) {
	b := newBackend(t, func(c *Config) { c.IdleInTransactionTimeout = 200 * time.Millisecond })
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	a.simple("begin")
	if got := c.one("select 2"); got != "2" { // waits for the timeout to free the backend
		t.Fatal(got)
	}
	for {
		m, err := a.fe.Receive()
		if err != nil {
			t.Fatal("closed without the FATAL")
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			if e.Code != "25P03" {
				t.Fatalf("code %s", e.Code)
			}
			return
		}
	}
}

func TestCopyFromStdin_manyClients(t *testing.T) {
	b := newBackend(t, nil)
	ctx := context.Background()
	setup := connectPgx(t, b.Backend, "postgres", nil)
	if _, err := setup.Exec(ctx, "create table c(id int, who text)"); err != nil {
		t.Fatal(err)
	}
	const clients, rows = 4, 2000
	errs := make(chan error, clients)
	for i := range clients {
		go func() {
			conn := connectPgx(t, b.Backend, "postgres", nil)
			src := make([][]any, rows)
			for r := range src {
				src[r] = []any{r, fmt.Sprint("client", i)}
			}
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"c"}, []string{"id", "who"}, pgx.CopyFromRows(src))
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			var pe *pgconn.PgError
			errors.As(err, &pe)
			t.Fatal(err, pe)
		}
	}
	var n int
	if err := setup.QueryRow(ctx, "select count(*) from c").Scan(&n); err != nil || n != clients*rows {
		t.Fatalf("rows: %d %v", n, err)
	}
}

func hasError(msgs []pgproto3.BackendMessage) string {
	for _, m := range msgs {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			return e.Code + " " + e.Message
		}
	}
	return ""
}

func firstValue(msgs []pgproto3.BackendMessage) string {
	for _, m := range msgs {
		if d, ok := m.(*pgproto3.DataRow); ok && len(d.Values) > 0 {
			return string(d.Values[0])
		}
	}
	return ""
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCleanup_departedClientsStatisticsAreFlushed(t *testing.T) {
	b := newBackend(t, nil)
	stay := connectRaw(t, b.Backend, "postgres", nil)
	stay.simple("create table counted(v int)")
	stay.simple("select pg_stat_force_next_flush()")
	before := stay.one("select coalesce(seq_scan, 0) from pg_stat_user_tables where relname = 'counted'")
	leave := connectRaw(t, b.Backend, "postgres", nil)
	leave.simple("set stats_fetch_consistency = none")
	leave.simple("select * from counted")
	leave.conn.Close()
	waitFor(t, func() bool { return b.ClientCount() == 1 })
	// The flush happens at the backend's next idle point: the next batch's end.
	stay.simple("select 1")
	stay.simple("select pg_stat_clear_snapshot()")
	if got := stay.one("select coalesce(seq_scan, 0) from pg_stat_user_tables where relname = 'counted'"); got == before {
		t.Fatalf("seq_scan still %s after the other client left", got)
	}
}

// TestRunsAtOnce: only the client that holds the backend (inside its transaction) would have
// its next query run at once, so only its reader polls its socket; once the lease is free,
// every idle client's would.
func TestRunsAtOnce(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	sessions := func() []*Session {
		b.mu.Lock()
		defer b.mu.Unlock()
		var out []*Session
		for _, s := range b.sessions {
			out = append(out, s)
		}
		return out
	}
	count := func() (n int) {
		for _, s := range sessions() {
			if s.RunsAtOnce() {
				n++
			}
		}
		return n
	}
	if n := len(sessions()); n != 2 {
		t.Fatalf("%d sessions", n)
	}
	// A client has its answer a moment before the backend's bookkeeping ends.
	settles := func(want int, when string) {
		for deadline := time.Now().Add(5 * time.Second); count() != want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d sessions would run at once, want %d", when, count(), want)
			}
		}
	}
	settles(2, "idle backend")
	a.simple("begin")
	if n := count(); n != 1 {
		t.Fatalf("inside a's transaction: %d sessions would run at once, want a only", n)
	}
	a.simple("commit")
	c.simple("select 1")
	settles(2, "after the commit")
}

// TestWakeReader: a batch that another client's goroutine ran, after which its client holds
// the backend, wakes that client's reader to poll for the next query; batches that a client's
// own reader ran wake nobody.
func TestWakeReader(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	wakes := func(s *scripted) int32 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.sessions[uint64(s.pid)].client.(*pipeClient).wakes.Load()
	}
	a.simple("begin")
	c.send(&pgproto3.Query{String: "begin"}) // waits for a's lease
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		queued := len(b.waiting) > 0
		b.mu.Unlock()
		if queued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("c's query never waited")
		}
	}
	a.simple("commit") // a's reader runs c's BEGIN, and c then holds the backend
	until[*pgproto3.ReadyForQuery](c)
	// The wake follows the answer: the backend's bookkeeping ends a moment later.
	for deadline := time.Now().Add(5 * time.Second); wakes(c) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := wakes(c); n != 1 {
		t.Fatalf("c's reader was woken %d times, want 1", n)
	}
	c.simple("commit")
	if n := wakes(a) + wakes(c); n != 1 {
		t.Fatalf("%d wakes in all after batches that clients' own readers ran, want 1", n)
	}
}
