package test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestStackDepth: recursion deep enough to exhaust the engine's call stack before PostgreSQL's
// own check_stack_depth fires gets PostgreSQL's 54001 error, the session goes on, another
// client's session survives, and the instance never restarts. The cases are the worst
// recursive paths: SQL functions, the expression evaluator, the parser and analyser, the
// planner, PL/pgSQL, and the nested JSON of the regression suite.
func TestStackDepth(t *testing.T) {
	s := startServer(t, nil)
	witness := connect(t, s.dsn(""))
	mustExec(t, witness, "create table kept(n int)")
	c := connect(t, s.dsn(""))
	mustExec(t, c, `create function r(int) returns int language sql as
		'select case when $1 <= 0 then 0 else r($1 - 1) + 1 end'`)
	mustExec(t, c, `create function infinite_recurse() returns int as 'select infinite_recurse()' language sql`)
	mustExec(t, c, `create function p(n int) returns int language plpgsql as
		$$ begin if n <= 0 then return 0; end if; return p(n - 1) + 1; end $$`)
	mustExec(t, c, `create view v0 as select 1 as x`)
	nest := func(open, inner, close string, n int) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	cases := []struct{ name, sql string }{
		{"sql function", "select r(100000)"},
		{"infinite sql recursion", "select infinite_recurse()"},
		{"plpgsql", "select p(1000000)"},
		{"nested sub-selects", "select " + nest("(select ", "1", ")", 3000)},
		{"long expression", "select " + strings.Repeat("1+", 100000) + "1"},
		{"nested unary minus", "select " + strings.Repeat("-", 100000) + "1"},
		{"nested parentheses", "select " + nest("(", "1", ")", 9000)},
		{"nested case", "select " + nest("case when true then ", "1", " end", 1000)},
		{"nested function calls", "select " + nest("abs(", "1", ")", 4000)},
		{"nested arrays", "select " + nest("array[", "1", "]", 4000)},
		{"planner: nested subqueries", "select * from " + nest("(select * from ", "v0", " s) s", 1000)},
		{"json array", "select repeat('[', 10000)::json"},
		{"json object", `select repeat('{"a":', 10000)::json`},
		{"jsonb array", "select repeat('[', 100000)::jsonb"},
		{"jsonb object", `select repeat('{"a":', 100000)::jsonb`},
		{"balanced jsonb, printed", "select jsonb_pretty((repeat('[', 100000) || repeat(']', 100000))::jsonb)"},
		{"balanced json, walked", "select json_strip_nulls((repeat('{\"a\":', 100000) || '1' || repeat('}', 100000))::json)"},
		{"jsonpath", "select jsonb_path_query('{}', (repeat('(', 5000) || '1' || repeat(')', 5000))::jsonpath)"},
		{"nested jsonb in a small stack", "set max_stack_depth = '100kB'; select repeat('[', 10000)::jsonb"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Exec(ctxT(t), tc.sql)
			var pgErr *pgconn.PgError
			if err != nil && !errors.As(err, &pgErr) {
				t.Fatalf("not a clean SQL error: %v", err)
			}
			if pgErr != nil {
				t.Logf("%s %s", pgErr.Code, pgErr.Message)
				if pgErr.Severity != "ERROR" {
					t.Fatalf("severity %s: %s", pgErr.Severity, pgErr.Message)
				}
			}
			if got := scalar[int32](t, c, "select 41 + 1"); got != 42 {
				t.Fatalf("session after the error: %d", got)
			}
			// The other session survived: its connection is the one it had before.
			mustExec(t, witness, "begin")
			mustExec(t, witness, "insert into kept values ($1)", i)
			mustExec(t, witness, "commit")
			if n := scalar[int64](t, witness, "select count(*) from kept where n = $1", i); n != 1 {
				t.Fatalf("witness row %d: %d", i, n)
			}
			if r := s.h.Metrics().Restarts(); r != 0 {
				t.Fatalf("the instance restarted %d times", r)
			}
		})
	}
	// The infinite recursion must be PostgreSQL's own error, word for word.
	_, err := c.Exec(ctxT(t), "select infinite_recurse()")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "54001" || pgErr.Message != "stack depth limit exceeded" ||
		!strings.HasPrefix(pgErr.Hint, `Increase the configuration parameter "max_stack_depth" (currently 2048kB)`) {
		t.Fatalf("infinite_recurse: %#v", err)
	}
}
