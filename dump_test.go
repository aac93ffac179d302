package pglite_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pglite-go/pglite"
)

// TestServer_Dump dumps a server that requires a password, with options, and refuses an
// option that does not fit.
func TestServer_Dump(t *testing.T) {
	srv := start(t, pglite.Options{Password: "s3cret", NoTCP: true})
	c, err := srv.Connect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctxT(t))
	if _, err := c.Exec(ctxT(t), "create table a(x int); create table b(y int); insert into a values (1)"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := srv.Dump(ctxT(t), &out, pglite.DumpTable("a"), pglite.DumpNoOwner()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "CREATE TABLE public.a") || strings.Contains(s, "public.b") || strings.Contains(s, "OWNER TO") {
		t.Fatalf("dump:\n%s", s)
	}
	err = srv.Dump(ctxT(t), &bytes.Buffer{}, pglite.DumpArgs("--format=custom"))
	if err == nil || !strings.Contains(err.Error(), "plain format") {
		t.Fatalf("custom format: %v", err)
	}
}
