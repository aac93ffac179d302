package pgdump_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"testing"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/internal/pgdump"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	srv, err := pglite.Start(ctx, pglite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exec(ctx, "create table t(a int primary key, b text); insert into t values (1,'x'); create sequence s; select setval('s', 42)")
	if err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	var out bytes.Buffer
	err = pgdump.Run(ctx, &out, pgdump.Config{Dial: func(ctx context.Context) (net.Conn, error) { return srv.Dial(ctx) }, Stderr: os.Stderr})
	t.Logf("%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
}
