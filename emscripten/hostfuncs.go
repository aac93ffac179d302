package emscripten

import (
	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// hostFuncImpl is a Go import. The stack holds the wasm parameters on entry and receives the
// results, in wazero's uint64 encoding (i32 in the low 32 bits, f64 as its bits). Host
// functions never see the engine: this is the seam that keeps wazero out of the syscall layer.
type hostFuncImpl func(p *Process, stack []uint64)

type hostFunc struct {
	params, results []wasmbin.ValType
	fn              hostFuncImpl
}

// hf declares a host function with Emscripten signature letters: params then results,
// e.g. hf("iii", "i", fn) for (i32, i32, i32) -> i32.
func hf(params, results string, fn hostFuncImpl) hostFunc {
	return hostFunc{params: letters(params), results: letters(results), fn: fn}
}

func letters(s string) []wasmbin.ValType {
	out := make([]wasmbin.ValType, 0, len(s))
	for _, c := range s {
		switch c {
		case 'i':
			out = append(out, wasmbin.I32)
		case 'j':
			out = append(out, wasmbin.I64)
		case 'f':
			out = append(out, wasmbin.F32)
		case 'd':
			out = append(out, wasmbin.F64)
		}
	}
	return out
}

// hostFuncs is every import PGlite's modules take from "env" and "wasi_snapshot_preview1"
// except the memory and invoke_* (made per signature). Side modules also import from here.
var hostFuncs map[string]hostFunc

func init() {
	hostFuncs = map[string]hostFunc{}
	for _, group := range []map[string]hostFunc{processFuncs, fileFuncs, pathFuncs, wasiFuncs, timeFuncs, memoryFuncs, netFuncs, dylinkFuncs} {
		for name, f := range group {
			hostFuncs[name] = f
		}
	}
	buildBaseHost()
}

// processFuncs end or abort the program, or do nothing by design.
var processFuncs = map[string]hostFunc{
	"exit":                                hf("i", "", func(p *Process, s []uint64) { panic(&ExitError{Status: int32(s[0])}) }),
	"proc_exit":                           hf("i", "", func(p *Process, s []uint64) { panic(&ExitError{Status: int32(s[0])}) }),
	"_abort_js":                           hf("", "", func(p *Process, s []uint64) { panic(&abortSignal{msg: "abort()"}) }),
	"__assert_fail":                       hf("iiii", "", assertFail),
	"_emscripten_runtime_keepalive_clear": hf("", "", func(p *Process, s []uint64) {}),
	"_emscripten_throw_longjmp":           hf("", "", throwLongjmp),
	"__call_sighandler":                   hf("ii", "", callSighandler),
	"emscripten_force_exit":               hf("i", "", func(p *Process, s []uint64) { panic(&ExitError{Status: int32(s[0])}) }),
	"sched_yield":                         hf("", "i", func(p *Process, s []uint64) { s[0] = 0 }),
	"getTempRet0":                         hf("", "i", func(p *Process, s []uint64) { s[0] = p.mustCall("_emscripten_tempret_get") }),
	"setTempRet0":                         hf("i", "", func(p *Process, s []uint64) { p.mustCall("_emscripten_tempret_set", s[0]) }),
}

func assertFail(p *Process, s []uint64) {
	msg := p.CString(uint32(s[0])) + " at " + p.CString(uint32(s[1])) + " in " + p.CString(uint32(s[3]))
	panic(&abortSignal{msg: "assertion failed: " + msg})
}

// callSighandler calls a signal handler (a table entry of type (i32)->()).
func callSighandler(p *Process, s []uint64) {
	p.mustCallTable("vi", uint32(s[0]), s[1])
}

// mustCall calls an export from inside a host function; failures keep unwinding.
func (p *Process) mustCall(name string, args ...uint64) uint64 {
	r, err := p.exportPool(name).call(args...)
	if err != nil {
		panic(err)
	}
	return r
}

// mustCallTable calls table entry idx with the given signature letters (result first).
func (p *Process) mustCallTable(sig string, idx uint32, args ...uint64) uint64 {
	pool := p.invokes[sig]
	if pool == nil {
		pool = &fnPool{name: "dyncall_" + sig, mod: p.helperFor(sig)}
		p.invokes[sig] = pool
	}
	r, err := pool.call(append([]uint64{uint64(idx)}, args...)...)
	if err != nil {
		panic(err)
	}
	return r
}

// ProvideImport adds a host function that side modules may import by name, for symbols the
// main module does not export. Call it from an init function: the host module is built from
// this set the first time an engine needs it.
func ProvideImport(name, params, results string, fn CallbackFunc) {
	hf := hf(params, results, func(p *Process, s []uint64) { fn(p, s) })
	hostFuncs[name] = hf
	baseHost[name] = hf
}

// CallTableNested calls the function in table slot idx from inside a host function, with the
// signature letters of invoke_* (result first: "ii" takes and returns an i32). Like CallNested
// it re-panics failures, so a longjmp raised by the callee keeps unwinding to its setjmp.
func (p *Process) CallTableNested(sig string, idx uint32, args ...uint64) uint64 {
	return p.mustCallTable(sig, idx, args...)
}
