package pglite

import (
	"errors"
	"fmt"
	"os"

	"github.com/pglite-go/pglite/bridge"
)

// loadDataDir applies Options.LoadDataDir before the server starts. Without a DataDir it
// points opts at a temporary cluster directory; done removes it (Start calls it once the
// database is up, or failed: either way the files were copied into memory or are unused).
func loadDataDir(opts *Options) (done func(), err error) {
	done = func() {}
	if opts.LoadDataDir == "" {
		return done, nil
	}
	if opts.Template != nil {
		return done, errors.New("pglite: Template and LoadDataDir exclude each other")
	}
	if opts.DataDir != "" {
		return done, bridge.LoadDataDir(opts.LoadDataDir, opts.DataDir)
	}
	tmp, err := os.MkdirTemp("", "pglite-load-")
	if err != nil {
		return done, fmt.Errorf("pglite: LoadDataDir: %w", err)
	}
	if err := bridge.LoadDataDir(opts.LoadDataDir, tmp); err != nil {
		os.RemoveAll(tmp)
		return done, err
	}
	opts.cluster = tmp
	return func() {
		bridge.ForgetCluster(tmp)
		os.RemoveAll(tmp)
	}, nil
}
