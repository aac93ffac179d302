package assetinstall_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/internal/assetinstall"
)

// e2eEnv enables TestEndToEnd_realNpm, which needs npm and its registry.
const e2eEnv = "PGLITE_E2E_NPM"

// TestEndToEnd_realNpm is a first use on a new machine: an empty HOME (so npm's cache and
// the user cache are empty too), no assets anywhere; pglite.Start fetches them with the
// real npm, and the install passes its full check.
func TestEndToEnd_realNpm(t *testing.T) {
	if os.Getenv(e2eEnv) == "" {
		t.Skipf("set %s=1 to fetch the real packages with npm", e2eEnv)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("PGLITE_ASSETS_DIR", "")
	t.Setenv("PGLITE_NO_FETCH", "")
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := pglite.Start(ctx, pglite.Options{NoTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn, err := srv.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "create extension vector"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "select '[1,2,3]'::vector::text").Scan(&v); err != nil || v != "[1,2,3]" {
		t.Fatalf("vector: %q, %v", v, err)
	}
	dir, err := assetinstall.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := assetinstall.Check(dir, nil); err != nil {
		t.Fatal(err)
	}
}
