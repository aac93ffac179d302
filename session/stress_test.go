package session

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Many clients at once, each with its own settings and cached statements, interleaved on
// the one backend: every answer must be the client's own.
func TestConcurrentClientsKeepTheirOwnState(t *testing.T) {
	b := newBackend(t, nil)
	ctx := context.Background()
	const clients, rounds = 6, 40
	setup := connectPgx(t, b.Backend, "postgres", nil)
	for i := range clients {
		if _, err := setup.Exec(ctx, fmt.Sprintf("create schema s%[1]d; create table s%[1]d.t(v int); insert into s%[1]d.t values (%[1]d)", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := connectPgx(t, b.Backend, "postgres", map[string]string{"application_name": fmt.Sprint("c", i)})
			if _, err := conn.Exec(ctx, fmt.Sprintf("set search_path = s%d; set work_mem = '%dMB'", i, i+1)); err != nil {
				errs <- err
				return
			}
			for r := range rounds {
				var v int
				var wm, app string
				// A cached statement (pgx prepares it once), inside and outside transactions.
				if r%3 == 0 {
					if _, err := conn.Exec(ctx, "begin"); err != nil {
						errs <- err
						return
					}
				}
				if err := conn.QueryRow(ctx, "select v, current_setting('work_mem'), current_setting('application_name') from t where v >= $1", 0).Scan(&v, &wm, &app); err != nil {
					errs <- err
					return
				}
				if r%3 == 0 {
					if _, err := conn.Exec(ctx, "commit"); err != nil {
						errs <- err
						return
					}
				}
				if v != i || wm != fmt.Sprintf("%dMB", i+1) || app != fmt.Sprint("c", i) {
					errs <- fmt.Errorf("client %d round %d saw v=%d work_mem=%s application_name=%s", i, r, v, wm, app)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestListen_departedListenerKeepsOthersSubscribed(t *testing.T) {
	b := newBackend(t, nil)
	stay, leave, n := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	stay.simple("listen shared")
	leave.simple("listen shared; listen solo")
	leave.conn.Close()
	waitFor(t, func() bool { return b.ClientCount() == 2 })
	waitFor(t, func() bool {
		rows, _ := n.simple("select count(*) from pg_listening_channels() where pg_listening_channels = 'solo'")
		return len(rows) == 1 && rows[0][0] == "0"
	})
	n.simple("notify shared, 'still'")
	stay.send(&pgproto3.Query{String: "select 1"})
	got := false
	for _, m := range until[*pgproto3.ReadyForQuery](stay) {
		if nr, ok := m.(*pgproto3.NotificationResponse); ok && nr.Payload == "still" {
			got = true
		}
	}
	if !got {
		t.Fatal("the remaining listener lost its subscription when the other left")
	}
}

func TestSettings_statementTimeoutIsPerClient(t *testing.T) {
	b := newBackend(t, nil)
	a, c := connectRaw(t, b.Backend, "postgres", nil), connectRaw(t, b.Backend, "postgres", nil)
	a.simple("set statement_timeout = '50ms'")
	if _, code := c.simple("select pg_sleep(0.3)"); code != "" {
		t.Fatalf("another client's statement_timeout applied: %s", code)
	}
	if _, code := a.simple("select pg_sleep(5)"); len(code) < 5 || code[:5] != "57014" {
		t.Fatalf("own statement_timeout: %q", code)
	}
}
