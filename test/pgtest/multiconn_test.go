package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/test/pgtest"
)

// migrateThroughAll is a template setup that, like goose or golang-migrate next to a
// seeder, opens more connections of its own: a database/sql pool and a pgxpool beside its
// pgx connection, all used at once, each inside transactions of its own.
func migrateThroughAll(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "create table schema_log (step text primary key)"); err != nil {
		return err
	}
	sqlDB := stdlib.OpenDB(*conn.Config())
	defer sqlDB.Close()
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return err
	}
	pcfg.ConnConfig = conn.Config()
	pcfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return err
	}
	defer pool.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	step := func(name string, run func(sql string) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sql := fmt.Sprintf(`create table %[1]s (id int primary key, v text);
				insert into %[1]s select g, md5(g::text) from generate_series(1, 200) g;
				insert into schema_log values ('%[1]s')`, name)
			if err := run(sql); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	for i := range 4 {
		step(fmt.Sprint("sql_", i), func(sql string) error {
			tx, err := sqlDB.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, sql); err != nil {
				_ = tx.Rollback()
				return err
			}
			return tx.Commit()
		})
		step(fmt.Sprint("pool_", i), func(sql string) error {
			return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql)
				return err
			})
		})
	}
	// The setup's own connection keeps working meanwhile.
	for i := range 20 {
		if _, err := conn.Exec(ctx, "insert into schema_log values ($1)", fmt.Sprint("conn_", i)); err != nil {
			errs <- err
		}
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// TestTemplateManyConnections: a template whose setup migrates through pgx, database/sql
// and a pgxpool at once; every clone has all of it. The first part builds a template of
// its own each run (pgtest's is built once per process), so -count=N builds N of them.
func TestTemplateManyConnections(t *testing.T) {
	tmpl, err := pglite.NewTemplate(ctxT(t), pglite.Options{}, migrateThroughAll)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pglite.Start(ctxT(t), pglite.Options{Template: tmpl, NoTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sqlDB := srv.OpenDB()
	defer sqlDB.Close()
	var steps int
	if err := sqlDB.QueryRow("select count(*) from schema_log").Scan(&steps); err != nil || steps != 28 {
		t.Fatalf("%d steps (%v), want 28", steps, err)
	}
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t, pgtest.WithTemplate(migrateThroughAll))
			ctx := ctxT(t)
			var steps, rows int
			err := db.Conn().QueryRow(ctx, `select (select count(*) from schema_log),
				(select count(*) from sql_0) + (select count(*) from sql_3) + (select count(*) from pool_0) + (select count(*) from pool_3)`).Scan(&steps, &rows)
			if err != nil {
				t.Fatal(err)
			}
			if steps != 28 || rows != 800 {
				t.Fatalf("%d steps and %d rows, want 28 and 800", steps, rows)
			}
		})
	}
}
