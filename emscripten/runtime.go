package emscripten

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// hostModuleName is the wazero host module that holds every Go import. Guests never import it
// directly: generated shims re-export its functions under the names the guest expects, because
// a wazero host module cannot also export the memory that Emscripten imports from "env".
const hostModuleName = "pglite-go.host"

// RuntimeConfig configures a Runtime. The zero value compiles without a cache.
type RuntimeConfig struct {
	// CacheDir holds wazero's compilation cache. Empty disables the on-disk cache.
	CacheDir string
	// CompilationWorkers is the number of goroutines compiling one module (default: 2).
	CompilationWorkers int
}

// Runtime compiles modules once and creates any number of processes from them. It is safe for
// concurrent use; processes are not.
type Runtime struct {
	r     wazero.Runtime
	cache wazero.CompilationCache

	mu        sync.Mutex
	compileMu sync.Mutex            // serialises compiles of cached modules (see compileCached)
	hosts     map[string]api.Module // invoke_<sig> host modules by signature, plus the base one
	dyncalls  map[string]wazero.CompiledModule
	sides     map[[32]byte]wazero.CompiledModule
	// generated holds compiled shims and slot installers, see compileGenerated.
	generated map[[32]byte]wazero.CompiledModule
	workers   int
	// rewriteDir keeps rewritten main modules (see rewriteGuest); empty: no disk cache.
	rewriteDir string
}

// NewRuntime creates the wazero runtime and instantiates the Go host module.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (*Runtime, error) {
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(false)
	rt := &Runtime{hosts: map[string]api.Module{}, dyncalls: map[string]wazero.CompiledModule{}, sides: map[[32]byte]wazero.CompiledModule{}, generated: map[[32]byte]wazero.CompiledModule{}}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("emscripten: cache dir: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("emscripten: cache dir: %w", err)
		}
		rt.cache = c
		rc = rc.WithCompilationCache(c)
		rt.rewriteDir = filepath.Join(cfg.CacheDir, "rewritten")
	}
	rt.r = wazero.NewRuntimeWithConfig(ctx, rc)
	rt.workers = cfg.CompilationWorkers
	if rt.workers <= 0 {
		rt.workers = 2
	}
	host, err := rt.buildHost(ctx)
	if err != nil {
		rt.r.Close(ctx)
		return nil, err
	}
	rt.hosts[""] = host
	return rt, nil
}

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
	err := rt.r.Close(ctx)
	if rt.cache != nil {
		_ = rt.cache.Close(ctx)
	}
	return err
}

// buildHost instantiates the host module with every registered import.
func (rt *Runtime) buildHost(ctx context.Context) (api.Module, error) {
	b := rt.r.NewHostModuleBuilder(hostModuleName)
	for name, hf := range hostFuncs {
		addHostFunc(b, name, hf)
	}
	for i := range callbackSlots {
		cs := callbackSlots[i]
		addHostFunc(b, cs.name, hostFunc{params: cs.typ.Params, results: cs.typ.Results, fn: callbackDispatch(i)})
	}
	addHostFunc(b, unresolvedName, hostFunc{params: []wasmbin.ValType{wasmbin.I32}, fn: unresolvedImport})
	m, err := b.Instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("emscripten: host module: %w", err)
	}
	return m, nil
}

// invokeHost returns a host module that exports invoke_<sig> for every signature in sigs,
// building it on first use. Side modules can import signatures the main module never uses,
// and Emscripten synthesises any of them, so these are made on demand.
func (rt *Runtime) invokeHost(ctx context.Context, sigs []string) (api.Module, error) {
	key := strings.Join(sigs, ",")
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if m, ok := rt.hosts[key]; ok {
		return m, nil
	}
	b := rt.r.NewHostModuleBuilder(invokeModuleName(sigs))
	for _, sig := range sigs {
		ft, err := wasmbin.SigFromLetters(sig)
		if err != nil {
			return nil, err
		}
		params := append([]wasmbin.ValType{wasmbin.I32}, ft.Params...)
		addHostFunc(b, "invoke_"+sig, hostFunc{params: params, results: ft.Results, fn: invokeFn(sig)})
	}
	m, err := b.Instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("emscripten: invoke host: %w", err)
	}
	rt.hosts[key] = m
	return m, nil
}

func addHostFunc(b wazero.HostModuleBuilder, name string, hf hostFunc) {
	fn := hf.fn
	b.NewFunctionBuilder().
		WithGoFunction(api.GoFunc(func(ctx context.Context, stack []uint64) {
			fn(processFrom(ctx), stack)
		}), toAPI(hf.params), toAPI(hf.results)).
		Export(name)
}

func toAPI(ts []wasmbin.ValType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// compileBytes compiles guest bytes with the runtime's cache.
func (rt *Runtime) compileBytes(ctx context.Context, wasm []byte) (wazero.CompiledModule, error) {
	return rt.r.CompileModule(experimental.WithCompilationWorkers(ctx, rt.workers), wasm)
}

type processKey struct{}

func processFrom(ctx context.Context) *Process {
	p, _ := ctx.Value(processKey{}).(*Process)
	if p == nil {
		panic("emscripten: host call without a process in its context")
	}
	return p
}
