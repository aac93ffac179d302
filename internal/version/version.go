// Package version names what a build of pglite-go is made of: its own release, the PGlite
// release whose assets it runs and the PostgreSQL inside them. pglited --version prints
// them with the WebAssembly engine; the template cache keys its entries by them.
package version

import (
	"fmt"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// Version is this module's release. Bump it with each CHANGELOG.md entry.
const Version = "0.1.0"

// PGlite is the PGlite release whose WebAssembly build and data files are pinned.
const PGlite = assetinstall.Version

// PostgreSQL is the PostgreSQL release PGlite's build is made from.
const PostgreSQL = "18.7"

// Summary is the line pglited --version prints after its name, for the engine that runs
// PostgreSQL and its release.
func Summary(engine, engineVersion string) string {
	return fmt.Sprintf("%s (PGlite %s, PostgreSQL %s, %s %s)", Version, PGlite, PostgreSQL, engine, engineVersion)
}
