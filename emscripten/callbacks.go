package emscripten

import (
	"fmt"
	"sync"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// callbackSlots are the host functions a process can place in its function table, the way
// Emscripten's addFunction does. wazero has no API to set table entries, so the table helper
// module imports these and installs them with table.grow/table.set. A callback cannot learn
// which slot it sits in, so each slot is its own import; the process decides what each does.
var callbackSlots = [...]struct {
	name string
	typ  wasmbin.FuncType
}{
	{"cb0", fnType("ii", "i")}, {"cb1", fnType("ii", "i")}, {"cb2", fnType("ii", "i")}, {"cb3", fnType("ii", "i")},
	{"cb4", fnType("i", "i")}, {"cb5", fnType("i", "i")}, {"cb6", fnType("i", "i")}, {"cb7", fnType("i", "i")},
}

// Callback slot numbers for ProcessConfig.Callbacks.
const (
	CallbackII0 = iota // (i32, i32) -> i32
	CallbackII1
	CallbackII2
	CallbackII3
	CallbackI0 // (i32) -> i32
	CallbackI1
	CallbackI2
	CallbackI3
)

func fnType(params, results string) wasmbin.FuncType {
	return wasmbin.FuncType{Params: letters(params), Results: letters(results)}
}

func callbackDispatch(slot int) hostFuncImpl {
	return func(p *Process, s []uint64) {
		fn := p.cfg.Callbacks[slot]
		if fn == nil {
			panic(fmt.Sprintf("emscripten: callback slot %d called but not configured", slot))
		}
		fn(p, s)
	}
}

// InstallCallback places callback slot n in the function table and returns its index, for
// passing to C code that stores function pointers.
func (p *Process) InstallCallback(n int) (uint32, error) {
	r, err := p.callHelper(fmt.Sprintf("install_%s", callbackSlots[n].name))
	if err != nil {
		return 0, err
	}
	if int32(r) < 0 {
		return 0, fmt.Errorf("emscripten: function table cannot grow")
	}
	return uint32(r), nil
}

func (p *Process) callHelper(name string, args ...uint64) (uint64, error) {
	pool := p.helpers[name]
	if pool == nil {
		pool = &fnPool{name: name, mod: p.helper}
		p.helpers[name] = pool
	}
	if _, err := pool.get(); err != nil {
		return 0, fmt.Errorf("emscripten: table helper lacks %s", name)
	}
	r, err := pool.call(args...)
	if err != nil {
		return 0, p.classify(err)
	}
	return r, nil
}

// unresolvedName is the host import every trap stub calls with its ID before trapping.
const unresolvedName = "unresolved_import"

// unresolvedSym is a symbol a side module imports that nothing defines.
type unresolvedSym struct{ lib, name string }

var unresolved struct {
	sync.Mutex
	syms []unresolvedSym
	ids  map[unresolvedSym]int32
}

// unresolvedID gives a stable ID to an import name of the main module that no module
// provides.
func unresolvedID(name string) int32 { return unresolvedLibID("", name) }

// unresolvedLibID is unresolvedID for an import of side module lib; the stub passes the ID
// back so the error can name both the library and the symbol.
func unresolvedLibID(lib, name string) int32 {
	unresolved.Lock()
	defer unresolved.Unlock()
	if unresolved.ids == nil {
		unresolved.ids = map[unresolvedSym]int32{}
	}
	k := unresolvedSym{lib, name}
	if id, ok := unresolved.ids[k]; ok {
		return id
	}
	id := int32(len(unresolved.syms))
	unresolved.syms = append(unresolved.syms, k)
	unresolved.ids[k] = id
	return id
}

// UnresolvedImportError is the trap raised when the guest calls an import nobody defines, such
// as a symbol a side module expects from the main module that the main module does not
// export. It traps loudly instead of running into garbage.
type UnresolvedImportError struct{ Library, Name string }

func (e *UnresolvedImportError) Error() string {
	if e.Library != "" {
		return "emscripten: call to unresolved import " + e.Name + " of " + e.Library
	}
	return "emscripten: call to unresolved import " + e.Name
}

// unresolvedImport runs when a trap stub is called. ProcessConfig.OnUnresolved may turn the
// call into a guest-level error (it must not return normally); without it, or if it returns,
// the call traps and the process is broken.
func unresolvedImport(p *Process, s []uint64) {
	unresolved.Lock()
	sym := unresolvedSym{name: "?"}
	if id := int(int32(s[0])); id >= 0 && id < len(unresolved.syms) {
		sym = unresolved.syms[id]
	}
	unresolved.Unlock()
	if p.cfg.OnUnresolved != nil {
		p.cfg.OnUnresolved(p, sym.lib, sym.name)
	}
	panic(&UnresolvedImportError{Library: sym.lib, Name: sym.name})
}

// CallNested calls an export from inside a host function. Unlike Call it leaves failures
// unclassified and re-panics them, so an exit() or a longjmp raised by the callee keeps
// unwinding through the host function to the guest frames that catch it, as a JS exception
// would in Emscripten.
func (p *Process) CallNested(name string, args ...uint64) uint64 {
	return p.mustCall(name, args...)
}
