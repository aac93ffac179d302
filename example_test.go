package pglite_test

import (
	"context"
	"fmt"

	"github.com/pglite-go/pglite"
)

// Start an in-memory server on a free port of 127.0.0.1 and query it in-process.
func Example_start() {
	ctx := context.Background()
	srv, err := pglite.Start(ctx, pglite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	conn, err := srv.Connect(ctx) // no TCP round trip; srv.DSN() serves other clients
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close(ctx)
	var major int
	if err := conn.QueryRow(ctx, "select current_setting('server_version_num')::int / 10000").Scan(&major); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("PostgreSQL", major)
	// Output: PostgreSQL 18
}
