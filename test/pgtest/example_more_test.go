package pgtest_test

import (
	"context"
	"fmt"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/test/pgtest"
)

// Run SQL migration files in the template. In a real module the files come from an
// embed.FS (//go:embed migrations/*.sql, then fs.Sub(files, "migrations")). The files'
// contents key the template across processes too: the next `go test` run boots the
// migrated database from the user cache instead of migrating again.
func ExampleWithMigrations() {
	migrations := fstest.MapFS{
		"0001_accounts.sql":      {Data: []byte("create table accounts (id int primary key, owner text not null)")},
		"0002_seed.sql":          {Data: []byte("insert into accounts values (1, 'ada'), (2, 'grace')")},
		"0002_seed.down.sql":     {Data: []byte("delete from accounts")}, // down migrations are skipped
		"0010_accounts_note.sql": {Data: []byte("alter table accounts add column note text")},
	}
	ctx := context.Background()
	db, err := pgtest.Open(ctx, pgtest.WithMigrations(migrations)) // in a test: pgtest.New(t, ...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var n int
	if err := db.Conn().QueryRow(ctx, "select count(*) from accounts where note is null").Scan(&n); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n)
	// Output: 2
}

// seedV3 is a setup whose result WithTemplateKey keeps across processes.
func seedV3(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "create table plans (name text primary key); insert into plans values ('free'), ('pro')")
	return err
}

// Name a setup's template to keep it across test runs: change the key when the setup
// changes (a version, or a hash of the files it reads).
func ExampleWithTemplateKey() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx, pgtest.WithTemplate(seedV3), pgtest.WithTemplateKey("plans-v3"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var plans string
	if err := db.Conn().QueryRow(ctx, "select string_agg(name, ',' order by name) from plans").Scan(&plans); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plans)
	// Output: free,pro
}

// Start the server with a setting, for every connection of the database.
func ExampleWithSetting() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx, pgtest.WithSetting("work_mem", "64MB"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var v string
	if err := db.Conn().QueryRow(ctx, "show work_mem").Scan(&v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v)
	// Output: 64MB
}

// A pgxpool on the test's database, for code that takes one; it is closed with the
// database. In a test, pgtest.NewPool(t) is the short form.
func ExampleDB_Pool() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	pool := db.Pool()
	var sum int
	if err := pool.QueryRow(ctx, "select sum(g) from generate_series(1, 10) g").Scan(&sum); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum)
	// Output: 55
}

// A database/sql pool on the test's database (pgx's stdlib driver), for code written
// against *sql.DB; it is closed with the database. In a test, pgtest.NewSQL(t).
func ExampleDB_SQL() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var version string
	if err := db.SQL().QueryRowContext(ctx, "select split_part(current_setting('server_version'), '.', 1)").Scan(&version); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(version)
	// Output: 18
}

// Tools that connect by URL (psql, a migration CLI, another driver) use DSN: a Unix
// socket in a private directory, or a TCP port on 127.0.0.1 with WithTCP.
func ExampleWithTCP() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx, pgtest.WithTCP())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	conn, err := pgx.Connect(ctx, db.DSN())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)
	var addr string
	if err := conn.QueryRow(ctx, "select 'connected by URL'").Scan(&addr); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(addr)
	// Output: connected by URL
}
