package embedded_test

import (
	"context"
	"testing"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/test/pgtest"

	_ "example.com/consumer/pgliteassets"
)

// TestEmbedded runs on the assets the generated package carries: the runner forbids
// fetching and gives the process an empty HOME.
func TestEmbedded(t *testing.T) {
	a, err := bridge.LoadAssets("")
	if err != nil {
		t.Fatal(err)
	}
	if a.Dir != "(embedded)" {
		t.Fatalf("assets from %s, want the embedded ones (run go generate ./pgliteassets)", a.Dir)
	}
	for _, ext := range []string{"vector", "hstore"} {
		t.Run(ext, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t)
			if _, err := db.Conn().Exec(context.Background(), "create extension "+ext); err != nil {
				t.Fatal(err)
			}
		})
	}
}
