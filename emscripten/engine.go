package emscripten

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// The engine seam. Everything else in this package talks to a WebAssembly engine only
// through these interfaces, and no engine type leaves the package. Two engines implement
// them: wazero (pure Go, engine_wazero.go) and wasmtime (Cranelift through its C API, cgo
// only, engine_wasmtime.go).
//
// The seam is deliberately at the level both engines share: compile bytes (with an on-disk
// cache), instantiate a compiled module in a per-process store with its imports resolved by
// module name, and reach an instance's exported functions, globals and memory. Tables are
// reached from wasm, through the generated helper modules (table helper, slot installers),
// which work unchanged on both engines.

// engine compiles modules and creates stores. It is safe for concurrent use.
type engine interface {
	// name is "wazero" or "wasmtime".
	name() string
	// compile compiles wasm, through the engine's on-disk cache when it has one. key, when
	// not empty, identifies wasm's content for that cache (the caller has hashed it
	// already); empty means the engine hashes wasm itself.
	compile(ctx context.Context, wasm []byte, key string) (compiled, error)
	// newStore creates the store one process's instances live in. Host functions it
	// provides call back into p.
	newStore(p *Process) (store, error)
	// hoistsBounds reports whether the engine profits from wasmbin.HoistBoundsChecks
	// (an engine without guard pages checks every access).
	hoistsBounds() bool
	// exceptions reports whether the engine runs the exception-handling proposal, so that
	// invoke_* and longjmp stay inside WebAssembly (see invokeModule).
	exceptions() bool
	close(ctx context.Context) error
}

// compiled is an engine's compiled module. It may be instantiated in any store of its
// engine, concurrently.
type compiled interface {
	// imports lists the module names the module imports from, for engines that must set
	// up host modules before instantiation.
	importModules() []string
}

// store holds one process's instances. It is used from one goroutine at a time.
type store interface {
	// instantiate creates an instance of c, running its start function. An import from
	// module m is resolved against resolve(m) when that is not nil, and otherwise against
	// the host modules (hostModuleName and the invoke_* modules named by invokeModuleName).
	instantiate(c compiled, resolve func(module string) instance) (instance, error)
	close()
}

// instance is an instantiated module.
type instance interface {
	// function returns an exported function, or nil.
	function(name string) function
	// global returns an exported global, or nil.
	global(name string) global
	// memory returns the exported memory of that name, or nil.
	memory(name string) memory
	// close releases the instance where the engine allows it (wazero); on wasmtime
	// instances live as long as their store.
	close()
}

// function is an exported wasm function. It may be called re-entrantly: Emscripten code
// nests calls of the same export through host functions freely.
type function interface {
	// call runs the function. stack holds the parameters on entry and receives the results;
	// it has at least slots() elements. Values use wazero's encoding: i32 in the low 32
	// bits (results zero-extended), f32 and f64 as their bits.
	//
	// A host function that panics unwinds the wasm frames to here: the error is the panic
	// value (or wraps it), so errors.As finds a longjmpSignal or *ExitError raised deep
	// inside. The engine's own call stack running out comes back as *StackOverflowError.
	call(stack []uint64) error
	// slots is max(params, results, 1).
	slots() int
}

// global is an exported global holding an i32 (all PGlite uses).
type global interface {
	get() uint64
	// set panics on an immutable global.
	set(v uint64)
}

// memory is a linear memory.
type memory interface {
	// bytes returns the whole current memory. Growth never moves it (both engines reserve
	// the maximum up front), but a grown memory needs a new slice for its length.
	bytes() []byte
	// size is the current size in bytes.
	size() uint64
	// grow adds pages of 64 KiB; false when the memory cannot grow that far.
	grow(pages uint32) bool
}

// StackOverflowError is the engine's own call stack running out inside a guest call (as
// opposed to Emscripten's shadow stack in linear memory, which PostgreSQL checks itself).
type StackOverflowError struct{ Cause error }

func (e *StackOverflowError) Error() string { return "stack overflow: " + e.Cause.Error() }
func (e *StackOverflowError) Unwrap() error { return e.Cause }

// isStackOverflow reports whether err is, or wraps, the engine's call stack running out.
func isStackOverflow(err error) bool {
	var so *StackOverflowError
	return errors.As(err, &so)
}

// Engine names for RuntimeConfig.Engine and $PGLITE_ENGINE.
const (
	EngineWazero   = "wazero"
	EngineWasmtime = "wasmtime"
)

// EngineEnv is the environment variable choosing the engine when RuntimeConfig.Engine is
// empty.
const EngineEnv = "PGLITE_ENGINE"

// wazeroVersion is the wazero release in go.mod, for EngineVersion.
const wazeroVersion = "v1.12.0"

// EngineVersion names the release of an engine in this build ("" for an unknown name).
func EngineVersion(name string) string {
	switch name {
	case EngineWazero:
		return wazeroVersion
	case EngineWasmtime:
		if WasmtimeAvailable {
			return wasmtimeVersion
		}
	}
	return ""
}

// ResolveEngine says which engine a RuntimeConfig.Engine value selects: the value itself,
// else $PGLITE_ENGINE, else DefaultEngine. An unknown name, or wasmtime in a build without
// it, is an error.
func ResolveEngine(name string) (string, error) { return chooseEngine(name) }

// DefaultEngine is the engine used when neither the configuration nor $PGLITE_ENGINE names
// one: wasmtime where the build has it (cgo on linux or macOS, amd64 or arm64), else wazero.
func DefaultEngine() string {
	if WasmtimeAvailable {
		return EngineWasmtime
	}
	return EngineWazero
}

// chooseEngine resolves the configured engine name: the config, then $PGLITE_ENGINE, then
// DefaultEngine.
func chooseEngine(name string) (string, error) {
	if name == "" {
		name = strings.TrimSpace(os.Getenv(EngineEnv))
	}
	if name == "" {
		name = DefaultEngine()
	}
	switch strings.ToLower(name) {
	case EngineWazero:
		return EngineWazero, nil
	case EngineWasmtime:
		if !WasmtimeAvailable {
			return "", fmt.Errorf("emscripten: engine wasmtime is not in this build (it needs cgo on linux or macOS, amd64 or arm64)")
		}
		return EngineWasmtime, nil
	}
	return "", fmt.Errorf("emscripten: unknown engine %q (want wazero or wasmtime)", name)
}

// hostImport returns the Go function a host module exports under name: module is
// hostModuleName (every import of hostFuncs, the callback slots and the unresolved-import
// hook) or an invoke module (invoke_<sig> for the signatures in its name).
func hostImport(module, name string) (hostFunc, bool) {
	if module == hostModuleName || module == rethrowHostModule {
		hf, ok := baseHost[name]
		return hf, ok
	}
	if _, ok := strings.CutPrefix(module, "invoke:"); ok {
		sig, ok := strings.CutPrefix(name, "invoke_")
		if !ok {
			return hostFunc{}, false
		}
		return invokeHostFunc(sig)
	}
	return hostFunc{}, false
}

// baseHost is the content of the host module named hostModuleName.
var baseHost map[string]hostFunc

// buildBaseHost fills baseHost; hostfuncs.go's init calls it once hostFuncs is complete.
func buildBaseHost() {
	baseHost = make(map[string]hostFunc, len(hostFuncs)+len(callbackSlots)+1)
	for name, hf := range hostFuncs {
		baseHost[name] = hf
	}
	for i := range callbackSlots {
		cs := callbackSlots[i]
		baseHost[cs.name] = hostFunc{params: cs.typ.Params, results: cs.typ.Results, fn: callbackDispatch(i)}
	}
	baseHost[unresolvedName] = hostFunc{params: letters("i"), fn: unresolvedImport}
	baseHost[stackRaiseName] = hostFunc{results: letters("i"), fn: stackRaise}
	baseHost[driverMoreName] = hostFunc{results: letters("i"), fn: driverMore}
}
