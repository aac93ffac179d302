package bridge

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/pglite-go/pglite/emscripten/vfs"
	"github.com/pglite-go/pglite/internal/assetinstall"
)

// registeredDir is Assets.Dir for assets handed over by RegisterAssets.
const registeredDir = "(embedded)"

var registered struct {
	sync.Mutex
	fsys fs.FS
	a    *Assets
	err  error
}

// RegisterAssets makes the library use the PGlite assets in fsys, laid out as the package
// `pglite-assets -embed` writes (pglite.wasm, initdb.wasm, pglite.data, files.json, the
// contrib/ and extensions/ bundles, VERSION), whenever no folder is configured
// (Config.AssetsDir, PGLITE_ASSETS_DIR). That generated package calls it from init with an
// embed.FS, so that a binary, or a test binary, needs no asset files, npm or network.
// RegisterAssets(nil) removes them again.
func RegisterAssets(fsys fs.FS) {
	registered.Lock()
	defer registered.Unlock()
	registered.fsys, registered.a, registered.err = fsys, nil, nil
}

// registeredAssets loads the registered assets once; ok is false when none are.
func registeredAssets() (a *Assets, ok bool, err error) {
	registered.Lock()
	defer registered.Unlock()
	if registered.fsys == nil {
		return nil, false, nil
	}
	if registered.a == nil && registered.err == nil {
		registered.a, registered.err = loadFS(registered.fsys)
	}
	return registered.a, true, registered.err
}

// loadFS reads an assets set from fsys, refusing one made for another PGlite release.
func loadFS(fsys fs.FS) (*Assets, error) {
	want := assetinstall.Pinned.Stamp()
	stamp, err := fs.ReadFile(fsys, assetinstall.StampFile)
	if err != nil {
		return nil, fmt.Errorf("%w: the registered assets have no %s: %w", ErrAssetsUnavailable, assetinstall.StampFile, err)
	}
	if got := strings.TrimSpace(string(stamp)); got != want {
		return nil, fmt.Errorf("%w: the embedded assets are PGlite %s, this library needs %s: run `go generate` (%s -embed DIR) again",
			ErrAssetsUnavailable, got, want, assetinstall.Command)
	}
	read := func(name string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%w: embedded %s: %w", ErrAssetsUnavailable, name, err)
		}
		return b, nil
	}
	a := &Assets{Dir: registeredDir, files: fsys}
	if a.PgliteWasm, err = read("pglite.wasm"); err != nil {
		return nil, err
	}
	if a.InitdbWasm, err = read("initdb.wasm"); err != nil {
		return nil, err
	}
	data, err := read("pglite.data")
	if err != nil {
		return nil, err
	}
	table, err := read("files.json")
	if err != nil {
		return nil, err
	}
	var t struct {
		Files []vfs.BundleEntry `json:"files"`
	}
	if err := json.Unmarshal(table, &t); err != nil {
		return nil, fmt.Errorf("bridge: embedded files.json: %w", err)
	}
	if a.Bundle, err = vfs.NewBundle(data, t.Files); err != nil {
		return nil, fmt.Errorf("bridge: bundle: %w", err)
	}
	a.setHash()
	a.setClusterSum(table, data)
	return a, nil
}
