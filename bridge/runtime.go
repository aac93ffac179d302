package bridge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten"
)

// engine is the process-wide wazero runtime with pglite.wasm and initdb.wasm compiled once.
// Compiling pglite.wasm takes seconds; every Instance in the process shares the result, and
// wazero's on-disk cache makes the next process's load take about 100 ms.
type engine struct {
	rt      *emscripten.Runtime
	pglite  *emscripten.Module
	initdb  *emscripten.Module
	assets  *Assets
	compile time.Duration
}

var (
	enginesMu sync.Mutex
	engines   = map[string]*engine{}
)

// getEngine returns the shared engine for a set of assets, compiling on first use.
func getEngine(ctx context.Context, a *Assets, cacheDir string, log zerolog.Logger) (*engine, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if e, ok := engines[a.Hash]; ok {
		return e, nil
	}
	start := time.Now()
	if cacheDir == "" {
		cacheDir = emscripten.DefaultCacheDir()
	}
	rt, err := emscripten.NewRuntime(context.Background(), emscripten.RuntimeConfig{CacheDir: cacheDir})
	if err != nil {
		return nil, err
	}
	e := &engine{rt: rt, assets: a}
	// A first compile on this machine takes seconds; say why the start waits. The marker
	// only approximates wazero's cache, which has no way to ask.
	compiled := filepath.Join(cacheDir, "compiled-"+a.Hash)
	if _, err := os.Stat(compiled); err != nil {
		log.Info().Msg("compiling PostgreSQL for this machine, once: ~4 s")
	}
	if e.pglite, err = rt.Compile(ctx, "pglite.wasm", a.PgliteWasm); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	if e.initdb, err = rt.Compile(ctx, "initdb.wasm", a.InitdbWasm); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	for _, m := range []*emscripten.Module{e.pglite, e.initdb} {
		if m.BoundsPassErr != nil {
			log.Warn().Err(m.BoundsPassErr).Str("module", m.Name).Msg("bounds-check pass skipped; the module runs unmodified")
		}
	}
	e.compile = time.Since(start)
	_ = os.WriteFile(compiled, nil, 0o644)
	// The compiled modules are all that is needed from here on; drop 9 MB of bytes.
	a.PgliteWasm, a.InitdbWasm = nil, nil
	engines[a.Hash] = e
	return e, nil
}
