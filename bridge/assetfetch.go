package bridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// The first use on a machine with no assets installs them into the user's cache, so that a
// module that merely imports this one gets a working database. The install runs the user's
// npm (their registry, mirror or proxy), checks every sha256 and is shared by every process
// through a file lock; see internal/assetinstall.

// fetchRetry is how long a failed fetch is remembered in a process, so that many
// instances opening at once do not each run npm into the same failure.
const fetchRetry = 10 * time.Second

var fetched struct {
	sync.Mutex
	err error
	at  time.Time
}

// offlineHint tells where the assets can come from when this machine cannot fetch them.
var offlineHint = fmt.Sprintf("where npm and its registry are reachable, run `%s` (it fills the user cache; "+
	"with -dir DIR it fills DIR, for PGLITE_ASSETS_DIR), or embed the assets with its -embed flag", assetinstall.Command)

// fetchAssets installs the assets into the user's cache and returns that folder.
func fetchAssets(ctx context.Context, log zerolog.Logger) (string, error) {
	dir, err := assetinstall.DefaultDir()
	if err != nil {
		return "", fmt.Errorf("%w: %w; set PGLITE_ASSETS_DIR to an assets folder (%s -dir DIR fills one)",
			ErrAssetsUnavailable, err, assetinstall.Command)
	}
	if os.Getenv("PGLITE_NO_FETCH") != "" {
		return "", fmt.Errorf("%w: none in %s, and PGLITE_NO_FETCH is set; %s", ErrAssetsUnavailable, dir, offlineHint)
	}
	fetched.Lock()
	defer fetched.Unlock()
	if fetched.err != nil && time.Since(fetched.at) < fetchRetry {
		return "", fetched.err
	}
	err = assetinstall.Install(ctx, dir, assetinstall.Options{Progress: notice(log)})
	if err != nil {
		err = explainFetch(err, dir)
		if ctx.Err() == nil {
			fetched.err, fetched.at = err, time.Now()
		}
		return "", err
	}
	fetched.err = nil
	return dir, nil
}

// explainFetch says what failed and what to do about it.
func explainFetch(err error, dir string) error {
	var npmErr *assetinstall.NpmError
	var sumErr *assetinstall.ChecksumError
	switch {
	case errors.Is(err, assetinstall.ErrNpmMissing), errors.As(err, &npmErr):
		return fmt.Errorf("%w: cannot fetch PGlite %s into %s: %w; %s", ErrAssetsUnavailable, AssetsVersion, dir, err, offlineHint)
	case errors.As(err, &sumErr):
		return fmt.Errorf("%w: PGlite %s from npm is not the pinned release: %w (check the registry or mirror your npm configuration names)",
			ErrAssetsUnavailable, AssetsVersion, err)
	default:
		return fmt.Errorf("%w: cannot install PGlite %s into %s: %w", ErrAssetsUnavailable, AssetsVersion, dir, err)
	}
}

// notice logs the install's progress at Info. A process that logs nothing still gets the
// lines on stderr: a first fetch takes a while, and silence would look like a hang.
func notice(log zerolog.Logger) func(string) {
	return func(msg string) {
		if log.GetLevel() == zerolog.Disabled {
			fmt.Fprintln(os.Stderr, "pglite-go:", msg)
			return
		}
		log.Info().Msg(msg)
	}
}
