package bridge

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
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
	engines   = map[string]*engine{} // by engine name and assets hash
)

// DefaultEngine is the engine an empty Config.Engine selects: $PGLITE_ENGINE when set,
// else wasmtime where the build has it (cgo on linux or macOS, amd64 or arm64), else wazero.
func DefaultEngine() string {
	name, err := emscripten.ResolveEngine("")
	if err != nil {
		return emscripten.EngineWazero
	}
	return name
}

// EngineInfo names a WebAssembly engine and its release.
type EngineInfo struct{ Name, Version string }

// EnginesInUse lists the engines this process has started instances on, for metrics.
func EnginesInUse() []EngineInfo {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	seen := map[string]bool{}
	var out []EngineInfo
	for _, e := range engines {
		if n := e.rt.Engine(); !seen[n] {
			seen[n] = true
			out = append(out, EngineInfo{Name: n, Version: e.rt.EngineVersion()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// getEngine returns the shared engine for a set of assets on the named engine (see
// Config.Engine), compiling on first use.
func getEngine(ctx context.Context, a *Assets, name, cacheDir string, log zerolog.Logger) (*engine, error) {
	name, err := emscripten.ResolveEngine(name)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	enginesMu.Lock()
	defer enginesMu.Unlock()
	key := name + "/" + a.Hash
	if e, ok := engines[key]; ok {
		return e, nil
	}
	start := time.Now()
	if cacheDir == "" {
		cacheDir = emscripten.DefaultCacheDir()
	}
	rt, err := emscripten.NewRuntime(context.Background(), emscripten.RuntimeConfig{CacheDir: cacheDir, Engine: name})
	if err != nil {
		return nil, err
	}
	e := &engine{rt: rt, assets: a}
	// A first compile on this machine takes seconds; say why the start waits. The marker
	// only approximates wazero's cache, which has no way to ask.
	compiled := filepath.Join(cacheDir, "compiled-"+a.Hash)
	if name != emscripten.EngineWazero {
		compiled += "-" + name
	}
	if _, err := os.Stat(compiled); err != nil {
		log.Info().Str("engine", name).Msg("compiling PostgreSQL for this machine, once: ~4 s")
	}
	pg, idb, err := a.wasmModules()
	if err != nil {
		return nil, err
	}
	if e.pglite, err = rt.CompileDigest(ctx, "pglite.wasm", pg, a.pgliteSum); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	if e.initdb, err = rt.CompileDigest(ctx, "initdb.wasm", idb, a.initdbSum); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	for _, m := range []*emscripten.Module{e.pglite, e.initdb} {
		if m.BoundsPassErr != nil {
			log.Warn().Err(m.BoundsPassErr).Str("module", m.Name).Msg("bounds-check pass skipped; the module runs unmodified")
		}
	}
	e.compile = time.Since(start)
	_ = os.WriteFile(compiled, nil, 0o644)
	// The compiled modules are all that is needed from here on; drop 9 MB of bytes (another
	// engine in this process reads them again, see wasmModules).
	a.PgliteWasm, a.InitdbWasm = nil, nil
	engines[key] = e
	// Loading and rewriting the modules peaked at about 20 MB of Go heap that is garbage now;
	// give it back to the OS at once (as after any huge buffer, see README Memory) instead of
	// leaving it resident until the scavenger gets to it. Once per engine and process, ~1 ms.
	debug.FreeOSMemory()
	return e, nil
}

// wasmModules returns pglite.wasm and initdb.wasm: the bytes loaded with the assets or,
// once a first engine has compiled and dropped them, read again from where they came from.
func (a *Assets) wasmModules() (pglite, initdb []byte, err error) {
	if a.PgliteWasm != nil && a.InitdbWasm != nil {
		return a.PgliteWasm, a.InitdbWasm, nil
	}
	read := func(name string) ([]byte, error) {
		if a.files != nil {
			return fs.ReadFile(a.files, name)
		}
		return os.ReadFile(filepath.Join(a.Dir, name))
	}
	if pglite, err = read("pglite.wasm"); err == nil {
		initdb, err = read("initdb.wasm")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: read the wasm modules again: %w", err)
	}
	return pglite, initdb, nil
}
