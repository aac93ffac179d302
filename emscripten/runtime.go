package emscripten

import (
	"context"
	"os"
	"path/filepath"
	"sync"
)

// hostModuleName is the host module that holds every Go import. Guests never import it
// directly: generated shims re-export its functions under the names the guest expects,
// because a wazero host module cannot also export the memory that Emscripten imports from
// "env".
const hostModuleName = "pglite-go.host"

// RuntimeConfig configures a Runtime. The zero value compiles without a cache, on the
// engine $PGLITE_ENGINE names (DefaultEngine when unset).
type RuntimeConfig struct {
	// CacheDir holds the engine's compilation cache. Empty disables the on-disk cache.
	CacheDir string
	// CompilationWorkers is the number of goroutines compiling one module (default: 2).
	CompilationWorkers int
	// Engine is EngineWazero or EngineWasmtime; empty reads $PGLITE_ENGINE, then takes
	// DefaultEngine.
	Engine string
}

// Runtime compiles modules once and creates any number of processes from them. It is safe for
// concurrent use; processes are not.
type Runtime struct {
	eng engine

	mu        sync.Mutex
	compileMu sync.Mutex // serialises compiles of cached modules (see compileCached)
	dyncalls  map[string]compiled
	sides     map[[32]byte]compiled
	// generated holds compiled shims and slot installers, see compileGenerated.
	generated map[[32]byte]compiled
	// rewriteDir keeps rewritten main modules (see rewriteGuest); empty: no disk cache.
	rewriteDir string
}

// NewRuntime creates the engine's runtime.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	name, err := chooseEngine(cfg.Engine)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{dyncalls: map[string]compiled{}, sides: map[[32]byte]compiled{}, generated: map[[32]byte]compiled{}}
	if cfg.CacheDir != "" {
		rt.rewriteDir = filepath.Join(cfg.CacheDir, "rewritten")
	}
	switch name {
	case EngineWasmtime:
		rt.eng, err = newWasmtimeEngine(cfg)
	default:
		rt.eng, err = newWazeroEngine(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// Engine names the WebAssembly engine the runtime runs on.
func (rt *Runtime) Engine() string { return rt.eng.name() }

// EngineVersion is the release of the runtime's engine, such as "v39.0.1".
func (rt *Runtime) EngineVersion() string { return EngineVersion(rt.eng.name()) }

// DefaultCacheDir is the user's cache directory for compiled modules.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "pglite-go", "wazero")
}

// Close releases every process and compiled module.
func (rt *Runtime) Close(ctx context.Context) error {
	return rt.eng.close(ctx)
}

// compileBytes compiles guest bytes with the runtime's cache.
func (rt *Runtime) compileBytes(ctx context.Context, wasm []byte) (compiled, error) {
	return rt.eng.compile(ctx, wasm, "")
}
