package emscripten

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// Module is a compiled Emscripten main module (pglite.wasm or initdb.wasm) together with the
// generated modules every process of it needs: the env shim that re-exports the Go imports
// and the table helper that places host callbacks in the function table and calls table
// entries for invoke_*.
type Module struct {
	Name     string
	Info     *wasmbin.Module
	compiled compiled
	shim     compiled
	helper   compiled
	// invoke implements invoke_* in WebAssembly on an engine with exception handling (the
	// shim forwards to it); nil elsewhere, where invoke_* are host functions.
	invoke compiled
	// stackCheck says the module was given the native stack check (see rewriteGuest).
	stackCheck bool
	// invokeSigs lists the invoke_<sig> signatures the module imports, in letters.
	invokeSigs []string
	// unresolved names the imports no host function provides; calling one traps loudly.
	unresolved []string
	// memoryExport names the guest's export of the linear memory side modules import.
	memoryExport string
	// BoundsPassErr is why wasmbin.HoistBoundsChecks could not rewrite the module (which
	// then runs as built, a few percent slower), or nil.
	BoundsPassErr error
}

// guestMemoryExport names the memory export added to a guest that imported its memory.
const guestMemoryExport = "memory"

// guestModuleName is how the table helper names the process's main instance in its imports.
const guestModuleName = "guest"

// Compile compiles a main module and its per-module helpers.
func (rt *Runtime) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	return rt.CompileDigest(ctx, name, wasm, sha256.Sum256(wasm))
}

// CompileDigest is Compile for a caller that has hashed wasm already: sum must be its
// SHA-256. Every cache on the way (the rewritten module, wasmtime's compiled code) is keyed
// by it, so a start hashes the 9 MB of pglite.wasm once instead of once per cache.
func (rt *Runtime) CompileDigest(ctx context.Context, name string, wasm []byte, sum [sha256.Size]byte) (*Module, error) {
	wasm, key, hoistErr, err := rt.rewriteGuest(wasm, sum)
	if err != nil {
		return nil, fmt.Errorf("emscripten: %s: %w", name, err)
	}
	info, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, fmt.Errorf("emscripten: parse %s: %w", name, err)
	}
	m := &Module{Name: name, Info: info, memoryExport: guestMemoryExport, BoundsPassErr: hoistErr}
	for _, e := range info.Exports {
		if e.Kind == wasmbin.KindMemory {
			m.memoryExport = e.Name
		}
	}
	if m.compiled, err = rt.eng.compile(ctx, wasm, key); err != nil {
		return nil, fmt.Errorf("emscripten: compile %s: %w", name, err)
	}
	exc := rt.eng.exceptions()
	if exc {
		for _, e := range info.Exports {
			m.stackCheck = m.stackCheck || (e.Kind == wasmbin.KindGlobal && e.Name == stackSlotExport)
		}
	}
	shimBytes := m.buildShim(exc)
	if m.shim, err = rt.compileBytes(ctx, shimBytes); err != nil {
		return nil, fmt.Errorf("emscripten: compile %s env shim: %w", name, err)
	}
	if m.helper, err = rt.compileHelper(ctx, m.invokeSigs); err != nil {
		return nil, fmt.Errorf("emscripten: compile %s table helper: %w", name, err)
	}
	if exc && len(m.invokeSigs) > 0 {
		inv, err := wasmbin.InvokeModule(wasmbin.InvokeSpec{Guest: guestModuleName, Sigs: m.invokeSigs,
			ForwardModule: shimModuleName, ForwardName: invokeTableExport, DepthExport: invokeDepthExport})
		if err != nil {
			return nil, fmt.Errorf("emscripten: %s invoke module: %w", name, err)
		}
		if m.invoke, err = rt.compileBytes(ctx, inv); err != nil {
			return nil, fmt.Errorf("emscripten: compile %s invoke module: %w", name, err)
		}
	}
	return m, nil
}

// buildShim generates the "env"/"wasi_snapshot_preview1" module for this guest: every
// imported function is re-exported from the Go host module (or a trap stub when no Go
// function of that name and type exists).
//
// With exceptions (wasmtime), longjmp stays inside WebAssembly: the shim defines the
// exception tag and _emscripten_throw_longjmp (a throw), invoke_* forward to the invoke
// module instantiated after the guest, and every host function is wrapped so that a longjmp
// raised inside it (a host hook calling into the guest, whose error longjmps) is thrown
// again at its caller: the host sets the rethrow flag and returns (see hostRethrow).
func (m *Module) buildShim(exc bool) []byte {
	var spec wasmbin.ShimSpec
	sigs := map[string]bool{}
	host, trapHost := hostModuleName, hostModuleName
	if exc {
		host, trapHost = rethrowHostModule, rethrowHostModule
		spec.Rethrow = &wasmbin.RethrowSpec{Define: true, FlagName: rethrowFlagExport, ThrowName: throwLongjmpName}
		spec.ForwardTable = invokeTableExport
	}
	for _, im := range m.Info.Imports {
		switch im.Kind {
		case wasmbin.KindFunc:
			if sig, ok := strings.CutPrefix(im.Name, "invoke_"); ok {
				sigs[sig] = true
				if !exc {
					spec.Reexports = append(spec.Reexports, wasmbin.Reexport{From: invokeModuleName(nil), Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
				}
				continue
			}
			if exc && im.Name == throwLongjmpName {
				continue // defined by the shim
			}
			if hf, ok := hostFuncs[im.Name]; ok && sameType(hf, im.Func) {
				spec.Reexports = append(spec.Reexports, wasmbin.Reexport{From: host, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func, Wrap: exc})
				continue
			}
			m.unresolved = append(m.unresolved, im.Name)
			spec.Traps = append(spec.Traps, wasmbin.TrapFunc{Name: im.Name, Type: im.Func, ID: unresolvedID(im.Module + "." + im.Name)})
		}
	}
	spec.TrapHost = wasmbin.HostFuncRef{Module: trapHost, Name: unresolvedName}
	for s := range sigs {
		m.invokeSigs = append(m.invokeSigs, s)
	}
	sort.Strings(m.invokeSigs)
	if exc {
		for _, s := range m.invokeSigs {
			ft, _ := wasmbin.SigFromLetters(s)
			outer := wasmbin.FuncType{Params: append([]wasmbin.ValType{wasmbin.I32}, ft.Params...), Results: ft.Results}
			spec.Forwards = append(spec.Forwards, wasmbin.Forward{Name: "invoke_" + s, Type: outer})
		}
	}
	// invoke_* come from a host module keyed by the signature set.
	for i := range spec.Reexports {
		if strings.HasPrefix(spec.Reexports[i].Name, "invoke_") {
			spec.Reexports[i].From = invokeModuleName(m.invokeSigs)
		}
	}
	return wasmbin.EnvShim(spec)
}

// Names of the exceptions machinery (engines with exception handling, see buildShim).
const (
	// shimModuleName is how generated modules name the main shim in their imports.
	shimModuleName = "pglite-go.shim"
	// rethrowHostModule exports the same host functions as hostModuleName; a function
	// imported through it is called by a wrapper that rethrows a longjmp the host caught.
	rethrowHostModule = "pglite-go.host.rethrow"
	rethrowFlagExport = "__pglite_rethrow"
	throwLongjmpName  = "_emscripten_throw_longjmp"
	invokeTableExport = "__pglite_invokes"
	invokeDepthExport = "__pglite_invoke_depth"
	// stackSlotExport and stackRaiseExport are the guest globals AddStackCheck adds.
	stackSlotExport  = "__pglite_stack_check"
	stackRaiseExport = "__pglite_stack_raise"
	// nativeModuleName provides the engine's native stack check (not a Go function).
	nativeModuleName = "pglite-go.native"
)

// invokeModuleName is the import-resolver name of the host module exporting the invoke_*
// functions for one signature set.
func invokeModuleName(sigs []string) string { return "invoke:" + strings.Join(sigs, ",") }

func sameType(hf hostFunc, t wasmbin.FuncType) bool {
	return equalTypes(hf.params, t.Params) && equalTypes(hf.results, t.Results)
}

func equalTypes(a, b []wasmbin.ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compileHelper builds the table helper for a set of invoke signatures: install_cb<N> for
// every callback slot, dyncall_<sig> for every signature, grow and clear.
func (rt *Runtime) compileHelper(ctx context.Context, sigs []string) (compiled, error) {
	key := strings.Join(sigs, ",")
	rt.compileMu.Lock() // see compileCached
	defer rt.compileMu.Unlock()
	rt.mu.Lock()
	c, ok := rt.dyncalls[key]
	rt.mu.Unlock()
	if ok {
		return c, nil
	}
	spec := wasmbin.TableSpec{TableModule: guestModuleName, TableName: "__indirect_function_table"}
	for _, cs := range callbackSlots {
		spec.Callbacks = append(spec.Callbacks, wasmbin.HostFunc{Module: hostModuleName, Name: cs.name, Type: cs.typ})
	}
	for _, s := range sigs {
		ft, err := wasmbin.SigFromLetters(s)
		if err != nil {
			return nil, err
		}
		spec.Dyncalls = append(spec.Dyncalls, ft)
	}
	c, err := rt.compileBytes(ctx, wasmbin.TableHelper(spec))
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.dyncalls[key] = c
	rt.mu.Unlock()
	return c, nil
}
