package bridge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// ToolWasm returns a client program of the assets' tools/ folder (pglite-tools'
// "pg_dump.wasm"), from the same assets an instance uses: a configured folder (dir, then
// PGLITE_ASSETS_DIR), the embedded set, the repository's assets folder or the user cache,
// fetched on first use. A folder installed before the tools were pinned lacks it; the error
// says how to install it again.
func ToolWasm(ctx context.Context, dir, name string, log zerolog.Logger) ([]byte, error) {
	a, err := loadAssets(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	rel := path.Join("tools", name)
	var b []byte
	if a.files != nil {
		b, err = fs.ReadFile(a.files, rel)
	} else {
		b, err = os.ReadFile(filepath.Join(a.Dir, filepath.FromSlash(rel)))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s (it predates the pglite-tools pin): install it again with `%s -dir %s`",
			ErrAssetsUnavailable, a.Dir, rel, assetinstall.Command, a.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("bridge: %s: %w", rel, err)
	}
	return b, nil
}
