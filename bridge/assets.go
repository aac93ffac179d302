package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/internal/assetinstall"
)

// AssetsVersion is the PGlite npm release these assets come from.
const AssetsVersion = assetinstall.Version

// ErrAssetsUnavailable means the PGlite assets could not be found or installed: not in a
// configured folder, not embedded, and fetching them failed (no npm, offline, a checksum
// mismatch, a disk error; the wrapped error says which). It reaches pglite.Start's caller
// through errors.Is.
var ErrAssetsUnavailable = errors.New("bridge: PGlite assets unavailable")

// ErrAssetsMissing is ErrAssetsUnavailable under its earlier name.
var ErrAssetsMissing = ErrAssetsUnavailable

// Assets are the files a host needs: the backend, initdb, and the file bundle.
type Assets struct {
	Dir        string
	PgliteWasm []byte
	InitdbWasm []byte
	Bundle     *vfs.Bundle
	// Hash identifies the modules (keys the compiled-code caches); ClusterKey adds the
	// share files (keys the template clusters).
	Hash    string
	cluster clusterKey
	// pgliteSum and initdbSum are the SHA-256 of the modules, computed once with Hash and
	// handed to the compiler's caches (emscripten.Runtime.CompileDigest).
	pgliteSum, initdbSum [sha256.Size]byte
	// files holds the extension bundles; nil means the folder Dir.
	files fs.FS
}

var (
	assetsMu    sync.Mutex
	assetsCache = map[string]*Assets{}
)

// assetDirName is the folder `make assets` fills.
var assetDirName = filepath.Join("assets", "pglite-"+AssetsVersion)

// findAssetsDir resolves the assets folder: explicit config, then PGLITE_ASSETS_DIR, then
// ./assets/pglite-<v> in the working directory or any parent (so tests in subpackages find
// the repository's copy), then the user's cache directory, where, with nothing configured,
// the assets are fetched on first use.
func findAssetsDir(ctx context.Context, configured string, log zerolog.Logger) (string, error) {
	if configured != "" {
		return checkAssetsDir(configured)
	}
	if env := os.Getenv("PGLITE_ASSETS_DIR"); env != "" {
		return checkAssetsDir(env)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if dir, err := checkAssetsDir(filepath.Join(d, assetDirName)); err == nil {
				return dir, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	// The cache holds installs made by assetinstall, whose marker also says whether an
	// install predates the current set of files (then it is installed again).
	if c, err := assetinstall.DefaultDir(); err == nil && assetinstall.IsComplete(c, assetinstall.Pinned) {
		if dir, err := checkAssetsDir(c); err == nil {
			return dir, nil
		}
	}
	return fetchAssets(ctx, log)
}

func checkAssetsDir(dir string) (string, error) {
	for _, f := range []string{"pglite.wasm", "pglite.data", "initdb.wasm", "files.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("%w: %s is missing (fill the folder with `%s -dir %s`)",
				ErrAssetsUnavailable, filepath.Join(dir, f), assetinstall.Command, dir)
		}
	}
	return dir, nil
}

// LoadAssets loads (once per process and folder) the assets named by dir, or, when dir is
// empty, the ones RegisterAssets handed over, or found (and on first use fetched) as
// findAssetsDir describes.
func LoadAssets(dir string) (*Assets, error) {
	return loadAssets(context.Background(), dir, zerolog.Nop())
}

// PrepareAssets loads the assets as an instance with this dir and logger would, fetching
// them on first use (progress in log). A daemon calls it before it listens, so that a
// machine without the assets fails at once with one error instead of after opening sockets.
func PrepareAssets(ctx context.Context, dir string, log zerolog.Logger) error {
	_, err := loadAssets(ctx, dir, log)
	return err
}

// loadAssets is LoadAssets with the opening instance's context and logger, for the fetch.
func loadAssets(ctx context.Context, dir string, log zerolog.Logger) (*Assets, error) {
	if dir == "" && os.Getenv("PGLITE_ASSETS_DIR") == "" {
		if a, ok, err := registeredAssets(); ok {
			return a, err
		}
	}
	dir, err := findAssetsDir(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	assetsMu.Lock()
	defer assetsMu.Unlock()
	if a, ok := assetsCache[dir]; ok {
		return a, nil
	}
	a := &Assets{Dir: dir}
	if a.PgliteWasm, err = os.ReadFile(filepath.Join(dir, "pglite.wasm")); err != nil {
		return nil, err
	}
	if a.InitdbWasm, err = os.ReadFile(filepath.Join(dir, "initdb.wasm")); err != nil {
		return nil, err
	}
	if a.Bundle, err = vfs.LoadBundle(filepath.Join(dir, "pglite.data"), filepath.Join(dir, "files.json")); err != nil {
		return nil, fmt.Errorf("bridge: bundle: %w", err)
	}
	a.setHash()
	assetsCache[dir] = a
	return a, nil
}

// setHash hashes each module once; Hash is derived from the two digests.
func (a *Assets) setHash() {
	a.pgliteSum, a.initdbSum = sha256.Sum256(a.PgliteWasm), sha256.Sum256(a.InitdbWasm)
	h := sha256.Sum256(append(a.pgliteSum[:], a.initdbSum[:]...))
	a.Hash = hex.EncodeToString(h[:8])
}
