//go:build pglite_embed

package bridge

import (
	_ "embed"
	"encoding/json"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// The embed build tag bakes the assets into the binary, so a self-contained pglited needs no
// files at run time. Build with: go build -tags pglite_embed ./cmd/pglited (after make assets;
// the files are copied next to this package by `make embed-assets`).

//go:embed embedded/pglite.wasm
var embPglite []byte

//go:embed embedded/initdb.wasm
var embInitdb []byte

//go:embed embedded/pglite.data
var embData []byte

//go:embed embedded/files.json
var embTable []byte

func init() {
	embedded = func() (*Assets, error) {
		var t struct {
			Files []vfs.BundleEntry `json:"files"`
		}
		if err := json.Unmarshal(embTable, &t); err != nil {
			return nil, err
		}
		b, err := vfs.NewBundle(embData, t.Files)
		if err != nil {
			return nil, err
		}
		return &Assets{Dir: "(embedded)", PgliteWasm: embPglite, InitdbWasm: embInitdb, Bundle: b, Hash: assetsHash(embPglite, embInitdb)}, nil
	}
}
