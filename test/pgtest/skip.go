package pgtest

import (
	"errors"
	"testing"

	"github.com/pglite-go/pglite/bridge"
)

// skipOrFail skips the test when the PGlite assets are not installed (run `make assets`),
// and fails it for any other error.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, bridge.ErrAssetsMissing) {
		t.Skipf("pgtest: %v", err)
	}
	t.Fatalf("pgtest: %v", err)
}
