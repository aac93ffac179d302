package emscripten

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// wzEngine is the wazero engine: one wazero.Runtime holds every process's instances, and
// the host modules are instantiated in it once, by name. Host functions find their process
// through the context each call runs with.
type wzEngine struct {
	r       wazero.Runtime
	cache   wazero.CompilationCache
	workers int

	mu    sync.Mutex
	hosts map[string]api.Module // host modules by name: hostModuleName and invoke modules
}

func newWazeroEngine(ctx context.Context, cfg RuntimeConfig) (*wzEngine, error) {
	rc := wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(false)
	e := &wzEngine{hosts: map[string]api.Module{}, workers: cfg.CompilationWorkers}
	if e.workers <= 0 {
		e.workers = 2
	}
	if cfg.CacheDir != "" {
		if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("emscripten: cache dir: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("emscripten: cache dir: %w", err)
		}
		e.cache = c
		rc = rc.WithCompilationCache(c)
	}
	e.r = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := e.hostModule(ctx, hostModuleName); err != nil {
		e.r.Close(ctx)
		return nil, err
	}
	return e, nil
}

func (e *wzEngine) name() string       { return EngineWazero }
func (e *wzEngine) hoistsBounds() bool { return true }
func (e *wzEngine) exceptions() bool   { return false }

func (e *wzEngine) close(ctx context.Context) error {
	err := e.r.Close(ctx)
	if e.cache != nil {
		_ = e.cache.Close(ctx)
	}
	return err
}

type wzCompiled struct {
	c       wazero.CompiledModule
	modules []string
}

func (c *wzCompiled) importModules() []string { return c.modules }

// compile ignores key: wazero's cache hashes the bytes itself.
func (e *wzEngine) compile(ctx context.Context, wasm []byte, _ string) (compiled, error) {
	c, err := e.r.CompileModule(experimental.WithCompilationWorkers(ctx, e.workers), wasm)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var mods []string
	for _, f := range c.ImportedFunctions() {
		if m, _, ok := f.Import(); ok && !seen[m] {
			seen[m] = true
			mods = append(mods, m)
		}
	}
	return &wzCompiled{c: c, modules: mods}, nil
}

// hostModule returns the host module of that name, instantiating it on first use. Side
// modules can import invoke_* signatures the main module never uses, and Emscripten
// synthesises any of them, so those modules are made on demand.
func (e *wzEngine) hostModule(ctx context.Context, name string) (api.Module, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.hosts[name]; ok {
		return m, nil
	}
	b := e.r.NewHostModuleBuilder(name)
	switch {
	case name == hostModuleName:
		for n, hf := range baseHost {
			addHostFunc(b, n, hf)
		}
	case strings.HasPrefix(name, "invoke:"):
		for _, sig := range strings.Split(strings.TrimPrefix(name, "invoke:"), ",") {
			if sig == "" {
				continue
			}
			hf, ok := invokeHostFunc(sig)
			if !ok {
				return nil, fmt.Errorf("emscripten: bad invoke signature %q", sig)
			}
			addHostFunc(b, "invoke_"+sig, hf)
		}
	default:
		return nil, nil
	}
	m, err := b.Instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("emscripten: host module %s: %w", name, err)
	}
	e.hosts[name] = m
	return m, nil
}

func addHostFunc(b wazero.HostModuleBuilder, name string, hf hostFunc) {
	fn := hf.fn
	b.NewFunctionBuilder().
		WithGoFunction(api.GoFunc(func(ctx context.Context, stack []uint64) {
			p := processFrom(ctx)
			p.hostCalls++
			fn(p, stack)
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

type processKey struct{}

func processFrom(ctx context.Context) *Process {
	p, _ := ctx.Value(processKey{}).(*Process)
	if p == nil {
		panic("emscripten: host call without a process in its context")
	}
	return p
}

// wzStore is one process's view of the shared runtime: the context its calls run with
// (which names the process for host functions and carries the memory allocator).
type wzStore struct {
	e    *wzEngine
	ctx  context.Context // the process, for host functions and calls
	actx context.Context // ctx with the mmap allocator, for instantiation
}

func (e *wzEngine) newStore(p *Process) (store, error) {
	ctx := context.WithValue(p.ctx, processKey{}, p)
	p.ctx = ctx
	return &wzStore{e: e, ctx: ctx, actx: experimental.WithMemoryAllocator(ctx, newMmapAllocator(func(b []byte) { p.mem = b }))}, nil
}

func (s *wzStore) close() {}

var anonModule = wazero.NewModuleConfig().WithName("").WithStartFunctions()

func (s *wzStore) instantiate(c compiled, resolve func(string) instance) (instance, error) {
	wc := c.(*wzCompiled)
	// Host modules are found by their registered names; an import resolver may only
	// return guest instances.
	for _, m := range wc.modules {
		if resolve(m) == nil {
			if _, err := s.e.hostModule(s.ctx, m); err != nil {
				return nil, err
			}
		}
	}
	ctx := experimental.WithImportResolver(s.actx, func(name string) api.Module {
		if inst, ok := resolve(name).(*wzInstance); ok && inst != nil {
			return inst.m
		}
		return nil
	})
	m, err := s.e.r.InstantiateModule(ctx, wc.c, anonModule)
	if err != nil {
		return nil, err
	}
	return &wzInstance{s: s, m: m}, nil
}

type wzInstance struct {
	s *wzStore
	m api.Module
}

func (i *wzInstance) close() { _ = i.m.Close(context.Background()) }

func (i *wzInstance) function(name string) function {
	f := i.m.ExportedFunction(name)
	if f == nil {
		return nil
	}
	d := f.Definition()
	return &wzFunction{s: i.s, m: i.m, name: name, free: []api.Function{f},
		size: max(len(d.ParamTypes()), len(d.ResultTypes()), 1)}
}

func (i *wzInstance) global(name string) global {
	g := i.m.ExportedGlobal(name)
	if g == nil {
		return nil
	}
	return wzGlobal{g}
}

func (i *wzInstance) memory(name string) memory {
	m := i.m.ExportedMemory(name)
	if m == nil {
		m = i.m.Memory()
	}
	if m == nil {
		return nil
	}
	return wzMemory{m}
}

// wzFunction hands out api.Function objects of one export. wazero forbids re-entering the
// same api.Function while it runs (under the compiler that kills the process), and
// Emscripten code nests invoke_* calls of one signature freely, so every nesting level takes
// its own object. Objects are reused, because creating one costs over a microsecond.
type wzFunction struct {
	s    *wzStore
	m    api.Module
	name string
	free []api.Function
	size int
}

func (f *wzFunction) slots() int { return f.size }

func (f *wzFunction) call(stack []uint64) error {
	var fn api.Function
	if n := len(f.free); n > 0 {
		fn = f.free[n-1]
		f.free[n-1] = nil
		f.free = f.free[:n-1]
	} else {
		fn = f.m.ExportedFunction(f.name)
	}
	err := fn.CallWithStack(f.s.ctx, stack)
	if err != nil && isWazeroStackOverflow(err) {
		// fn's engine stack grew to wazero's ceiling; let it go rather than keep that
		// memory pooled.
		return &StackOverflowError{Cause: err}
	}
	f.free = append(f.free, fn)
	return err
}

// isWazeroStackOverflow reports whether err is wazero's call stack running out: its
// internal runtime error "stack overflow", wrapped once per host frame it crossed.
func isWazeroStackOverflow(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fmt.Sprintf("%T", e) == "*wasmruntime.Error" && e.Error() == "stack overflow" {
			return true
		}
	}
	return false
}

type wzGlobal struct{ g api.Global }

func (g wzGlobal) get() uint64 { return g.g.Get() }
func (g wzGlobal) set(v uint64) {
	mg, ok := g.g.(api.MutableGlobal)
	if !ok {
		panic("emscripten: set of an immutable global")
	}
	mg.Set(v)
}

type wzMemory struct{ m api.Memory }

func (m wzMemory) bytes() []byte {
	b, _ := m.m.Read(0, m.m.Size())
	return b
}
func (m wzMemory) size() uint64 { return uint64(m.m.Size()) }
func (m wzMemory) grow(pages uint32) bool {
	_, ok := m.m.Grow(pages)
	return ok
}
