package actors

import (
	"context"
	"testing"
)

func TestTree_pgxQuery(t *testing.T) {
	_, dsn := startTree(t, nil)
	c := connect(t, dsn)
	var n int
	if err := c.QueryRow(context.Background(), "select $1::int + 1", 41).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 42 {
		t.Fatalf("got %d", n)
	}
	var v string
	if err := c.QueryRow(context.Background(), "select version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Log(v)
}
