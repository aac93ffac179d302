package pgtest

import (
	"errors"
	"os"
	"testing"

	"github.com/pglite-go/pglite/bridge"
)

// skipEnv opts in to skipping, instead of failing, the tests that cannot get a database
// because the PGlite assets are unavailable (offline, no npm, nothing cached or embedded).
const skipEnv = "PGTEST_SKIP_UNAVAILABLE"

// skipOrFail fails the test with the real error. A test that silently skips hides a
// broken setup, so skipping needs PGTEST_SKIP_UNAVAILABLE=1, and then only for
// unavailable assets.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, bridge.ErrAssetsUnavailable) && os.Getenv(skipEnv) == "1" {
		t.Skipf("pgtest: %v (skipped: %s=1)", err, skipEnv)
	}
	t.Fatalf("pgtest: %v", err)
}
