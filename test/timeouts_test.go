package test

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestSessionTimeouts: transaction_timeout, idle_in_transaction_session_timeout and
// idle_session_timeout end only the session they belong to, with PostgreSQL's FATAL; the
// shared backend, another client's session and its open transaction go on.
func TestSessionTimeouts(t *testing.T) {
	s := startServer(t, nil)
	witness := connect(t, s.dsn(""))
	mustExec(t, witness, "create table kept(x int)")
	cases := []struct {
		name, code string
		run        func(t *testing.T, dsn string) error
	}{
		{"transaction_timeout", "25P04", func(t *testing.T, dsn string) error {
			c := connect(t, dsn)
			mustExec(t, c, "set transaction_timeout = '300ms'")
			mustExec(t, c, "begin")
			_, err := c.Exec(ctxT(t), "select pg_sleep(3)")
			return err
		}},
		{"idle_in_transaction_session_timeout", "25P03", func(t *testing.T, dsn string) error {
			c := connect(t, dsn)
			mustExec(t, c, "set idle_in_transaction_session_timeout = '300ms'")
			mustExec(t, c, "begin")
			mustExec(t, c, "select 1")
			time.Sleep(700 * time.Millisecond)
			_, err := c.Exec(ctxT(t), "select 2")
			return err
		}},
		{"idle_session_timeout", "57P05", func(t *testing.T, dsn string) error {
			c := connect(t, dsn)
			mustExec(t, c, "set idle_session_timeout = '300ms'")
			time.Sleep(700 * time.Millisecond)
			_, err := c.Exec(ctxT(t), "select 2")
			return err
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t, s.dsn(""))
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != tc.code || pgErr.Severity != "FATAL" {
				t.Fatalf("want FATAL %s, got %v", tc.code, err)
			}
			mustExec(t, witness, "insert into kept values ($1)", i)
			if n := scalar[int64](t, witness, "select count(*) from kept"); n != int64(i+1) {
				t.Fatalf("witness rows: %d", n)
			}
			if r := s.h.Metrics().Restarts(); r != 0 {
				t.Fatalf("the instance restarted %d times", r)
			}
		})
	}
}
