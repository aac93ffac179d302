package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// AssetsVersion is the PGlite npm release these assets come from.
const AssetsVersion = "0.5.16"

// ErrAssetsMissing means the PGlite assets were not found; run `make assets`.
var ErrAssetsMissing = errors.New("bridge: PGlite assets not found (run `make assets`, or set PGLITE_ASSETS_DIR)")

// Assets are the files a host needs: the backend, initdb, and the file bundle.
type Assets struct {
	Dir        string
	PgliteWasm []byte
	InitdbWasm []byte
	Bundle     *vfs.Bundle
	// Hash identifies this asset set (keys the template cluster cache).
	Hash string
}

var (
	assetsMu    sync.Mutex
	assetsCache = map[string]*Assets{}
	// embedded is set by the embed build tag.
	embedded func() (*Assets, error)
)

// assetDirName is the folder `make assets` fills.
var assetDirName = filepath.Join("assets", "pglite-"+AssetsVersion)

// findAssetsDir resolves the assets folder: explicit config, then PGLITE_ASSETS_DIR, then
// ./assets/pglite-<v> in the working directory or any parent (so tests in subpackages find
// the repository's copy), then the user's cache directory.
func findAssetsDir(configured string) (string, error) {
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
	if c, err := os.UserCacheDir(); err == nil {
		if dir, err := checkAssetsDir(filepath.Join(c, "pglite-go", assetDirName)); err == nil {
			return dir, nil
		}
	}
	return "", ErrAssetsMissing
}

func checkAssetsDir(dir string) (string, error) {
	for _, f := range []string{"pglite.wasm", "pglite.data", "initdb.wasm", "files.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("%w: %s", ErrAssetsMissing, filepath.Join(dir, f))
		}
	}
	return dir, nil
}

// LoadAssets loads (once per process and folder) the assets named by dir, or found as
// findAssetsDir describes when dir is empty.
func LoadAssets(dir string) (*Assets, error) {
	if dir == "" && embedded != nil && os.Getenv("PGLITE_ASSETS_DIR") == "" {
		return loadEmbedded()
	}
	dir, err := findAssetsDir(dir)
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
	a.Hash = assetsHash(a.PgliteWasm, a.InitdbWasm)
	assetsCache[dir] = a
	return a, nil
}

var embeddedOnce struct {
	sync.Once
	a   *Assets
	err error
}

func loadEmbedded() (*Assets, error) {
	embeddedOnce.Do(func() { embeddedOnce.a, embeddedOnce.err = embedded() })
	return embeddedOnce.a, embeddedOnce.err
}

func assetsHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
