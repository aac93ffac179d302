package pgtest_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/test/pgtest"
)

// In a test, pgtest.New(t) gives the test its own database and closes it with t.Cleanup:
//
//	func TestOrders(t *testing.T) {
//		t.Parallel()
//		db := pgtest.New(t)
//		_, err := db.Conn().Exec(ctx, "create table orders (id int)")
//		...
//	}
//
// Outside a test, Open does the same and the caller closes the database.
func Example_pgtest() {
	ctx := context.Background()
	a, err := pgtest.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := pgtest.Open(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	// Two isolated databases: the same table name, different contents.
	for i, db := range []*pgtest.DB{a, b} {
		if _, err := db.Conn().Exec(ctx, fmt.Sprintf("create table t (v int); insert into t select generate_series(1, %d)", i+1)); err != nil {
			fmt.Println(err)
			return
		}
	}
	for _, db := range []*pgtest.DB{a, b} {
		var n int
		if err := db.Conn().QueryRow(ctx, "select count(*) from t").Scan(&n); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(n)
	}
	// Output:
	// 1
	// 2
}

// schema is a template setup: it runs once per process, and every database built with
// WithTemplate(schema) starts as a clone of its result.
func schema(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
		create table accounts (id int primary key, balance int not null);
		insert into accounts values (1, 100), (2, 50)`)
	return err
}

// Start every database from migrated and seeded state.
func Example_template() {
	ctx := context.Background()
	db, err := pgtest.Open(ctx, pgtest.WithTemplate(schema)) // in a test: pgtest.New(t, pgtest.WithTemplate(schema))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	var total int
	if err := db.Conn().QueryRow(ctx, "select sum(balance) from accounts").Scan(&total); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(total)
	// Output: 150
}
