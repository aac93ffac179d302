package test

import (
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lib/pq"
)

func TestClients_pgxEveryExecMode(t *testing.T) {
	s := startServer(t, nil)
	setup := connect(t, s.dsn(""))
	mustExec(t, setup, "create table modes(id int primary key, v text, b bytea, ts timestamptz)")
	modes := map[string]pgx.QueryExecMode{
		"cache_statement": pgx.QueryExecModeCacheStatement, "cache_describe": pgx.QueryExecModeCacheDescribe,
		"describe_exec": pgx.QueryExecModeDescribeExec, "exec": pgx.QueryExecModeExec, "simple_protocol": pgx.QueryExecModeSimpleProtocol,
	}
	i := 0
	for name, mode := range modes {
		i++
		t.Run(name, func(t *testing.T) {
			c := connect(t, s.dsn("default_query_exec_mode="+name))
			if c.Config().DefaultQueryExecMode != mode {
				t.Fatalf("mode %v", c.Config().DefaultQueryExecMode)
			}
			for j := 0; j < 3; j++ {
				id := i*100 + j
				mustExec(t, c, "insert into modes values ($1, $2, $3, now())", id, fmt.Sprint("v", id), []byte{0, 1, byte(j)})
				var v string
				var b []byte
				if err := c.QueryRow(ctxT(t), "select v, b from modes where id = $1", id).Scan(&v, &b); err != nil {
					t.Fatal(err)
				}
				if v != fmt.Sprint("v", id) || len(b) != 3 || b[2] != byte(j) {
					t.Fatalf("row %d: %q %v", id, v, b)
				}
			}
		})
	}
	if n := scalar[int64](t, setup, "select count(*) from modes"); n != 15 {
		t.Fatalf("rows: %d", n)
	}
}

func TestClients_databaseSQLAndLibPQ(t *testing.T) {
	s := startServer(t, nil)
	for _, driver := range []string{"pgx", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			db, err := sql.Open(driver, s.dsn(""))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			table := "t_" + driver
			if _, err := db.Exec("create table " + table + "(id serial primary key, name text)"); err != nil {
				t.Fatal(err)
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"a", "b", "c"} {
				if _, err := tx.Exec("insert into "+table+"(name) values ($1)", n); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query("select name from " + table + " order by id")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				got = append(got, n)
			}
			rows.Close()
			if strings.Join(got, "") != "abc" {
				t.Fatalf("got %v", got)
			}
			var e error
			_, e = db.Exec("select 1/0")
			if e == nil || !strings.Contains(e.Error(), "division by zero") {
				t.Fatalf("want division by zero, got %v", e)
			}
		})
	}
}

func TestClients_psql(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed (make test installs postgresql-client)")
	}
	s := startServer(t, nil)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("psql", append([]string{"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	port := fmt.Sprint(s.port)
	run("-h", "127.0.0.1", "-p", port, "-U", "postgres", "-c", "create table p(x int)", "-c", "insert into p select generate_series(1,10)")
	if got := run("-h", "127.0.0.1", "-p", port, "-U", "postgres", "-c", "select sum(x) from p"); got != "55" {
		t.Fatalf("tcp: %q", got)
	}
	if got := run("-h", s.dir, "-p", port, "-U", "postgres", "-c", "select count(*) from p"); got != "10" {
		t.Fatalf("unix socket: %q", got)
	}
	copyOut := run("-h", "127.0.0.1", "-p", port, "-U", "postgres", "-c", `\copy (select x from p where x <= 3 order by x) to stdout`)
	if copyOut != "1\n2\n3" {
		t.Fatalf("copy: %q", copyOut)
	}
}
