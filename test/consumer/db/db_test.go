package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite/test/pgtest"
)

// migrate is the schema every test's database starts from; it runs once per process.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
		create table orders (id serial primary key, customer text not null, total numeric not null);
		create index on orders (customer);
		insert into orders (customer, total) values ('seed', 1);`)
	return err
}

// TestOrders: twenty parallel tests, each with its own database cloned from the migrated
// template, each seeing only its own rows.
func TestOrders(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := pgtest.New(t, pgtest.WithTemplate(migrate))
			conn := db.Conn()
			if _, err := conn.Exec(ctx, "insert into orders (customer, total) values ($1, $2)", fmt.Sprint("c", i), i); err != nil {
				t.Fatal(err)
			}
			var n int
			var customers string
			if err := conn.QueryRow(ctx, "select count(*), string_agg(customer, ',' order by id) from orders").Scan(&n, &customers); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprint("seed,c", i); n != 2 || customers != want {
				t.Fatalf("orders: %d rows, %q; want 2, %q", n, customers, want)
			}
		})
	}
}
