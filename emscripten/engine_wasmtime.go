//go:build cgo && (linux || darwin) && (amd64 || arm64)

package emscripten

/*
#include "wasmtime_capi.h"

extern wasm_trap_t *pgliteWasmtimeHost(uintptr_t h, wasmtime_val_raw_t *raw, size_t n);

static wasm_trap_t *pg_trampoline(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *raw, size_t n) {
	return pgliteWasmtimeHost((uintptr_t)env, raw, n);
}

static void pg_func_new(wasmtime_context_t *cx, const wasm_functype_t *ty, uintptr_t h, wasmtime_func_t *out) {
	wasmtime_func_new_unchecked(cx, ty, pg_trampoline, (void *)h, NULL, out);
}

// The native stack check (see stackoverflow.go). pg_stack_floor is where, on this thread,
// the native stack counts as nearly used up; pg_call sets it on the outermost call into
// wasm and clears it when that call returns. Nested calls (from host functions) run on the
// same thread, on the same native stack.
static __thread uintptr_t pg_stack_floor;

// pg_stack_top is where the outermost call began, and pg_stack_limit_kb, when set, points at
// a limit in KiB (in linear memory) on how much of the stack below it the guest may use:
// PostgreSQL's max_stack_depth (see Process.SetStackLimit).
static __thread uintptr_t pg_stack_top;
static __thread const int32_t *pg_stack_limit_kb;

static wasm_trap_t *pg_stack_low(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *raw, size_t n) {
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	int low = pg_stack_floor != 0 && sp < pg_stack_floor;
	if (!low && pg_stack_floor != 0 && pg_stack_limit_kb != NULL) {
		int32_t kb = *pg_stack_limit_kb;
		low = kb > 0 && pg_stack_top - sp > (uintptr_t)kb * 1024;
	}
	raw[0].i32 = low;
	return NULL;
}

static void pg_stack_func_new(wasmtime_context_t *cx, const wasm_functype_t *ty, wasmtime_func_t *out) {
	wasmtime_func_new_unchecked(cx, ty, pg_stack_low, NULL, NULL, out);
}

static wasmtime_error_t *pg_call(wasmtime_context_t *cx, const wasmtime_func_t *f, wasmtime_val_raw_t *raw, size_t n,
		wasm_trap_t **trap, size_t budget, uintptr_t limit_kb) {
	int outer = pg_stack_floor == 0;
	if (outer) {
		pg_stack_top = (uintptr_t)__builtin_frame_address(0);
		pg_stack_floor = pg_stack_top - budget;
		pg_stack_limit_kb = (const int32_t *)limit_kb;
	}
	wasmtime_error_t *err = wasmtime_func_call_unchecked(cx, f, raw, n, trap);
	if (outer) {
		pg_stack_floor = 0;
		pg_stack_limit_kb = NULL;
	}
	return err;
}

static const char pg_unwind_msg[] = "pglite-go: unwinding through a host function";

static wasm_trap_t *pg_unwind_trap(void) {
	return wasmtime_trap_new(pg_unwind_msg, sizeof(pg_unwind_msg) - 1);
}

static wasm_functype_t *pg_functype(const uint8_t *params, size_t np, const uint8_t *results, size_t nr) {
	wasm_valtype_t *ps[64], *rs[64];
	if (np > 64 || nr > 64) return NULL;
	wasm_valtype_vec_t pv, rv;
	for (size_t i = 0; i < np; i++) ps[i] = wasm_valtype_new(params[i]);
	for (size_t i = 0; i < nr; i++) rs[i] = wasm_valtype_new(results[i]);
	if (np) wasm_valtype_vec_new(&pv, np, ps); else wasm_valtype_vec_new_empty(&pv);
	if (nr) wasm_valtype_vec_new(&rv, nr, rs); else wasm_valtype_vec_new_empty(&rv);
	return wasm_functype_new(&pv, &rv);
}

// pg_func_sig writes the kinds of f's params then results into kinds (at most cap), and
// their counts.
static void pg_func_sig(wasmtime_context_t *cx, const wasmtime_func_t *f, uint8_t *kinds, size_t cap, size_t *np, size_t *nr) {
	wasm_functype_t *ty = wasmtime_func_type(cx, f);
	const wasm_valtype_vec_t *p = wasm_functype_params(ty), *r = wasm_functype_results(ty);
	size_t k = 0;
	for (size_t i = 0; i < p->size && k < cap; i++) kinds[k++] = wasm_valtype_kind(p->data[i]);
	for (size_t i = 0; i < r->size && k < cap; i++) kinds[k++] = wasm_valtype_kind(r->data[i]);
	*np = p->size;
	*nr = r->size;
	wasm_functype_delete(ty);
}

static uint64_t pg_global_get(wasmtime_context_t *cx, const wasmtime_global_t *g) {
	wasmtime_val_t v;
	wasmtime_global_get(cx, g, &v);
	switch (v.kind) {
	case 0: return (uint64_t)(uint32_t)v.of.i32;
	case 1: return (uint64_t)v.of.i64;
	case 2: { uint32_t b; __builtin_memcpy(&b, &v.of.f32, 4); return b; }
	case 3: { uint64_t b; __builtin_memcpy(&b, &v.of.f64, 8); return b; }
	}
	return 0;
}

static wasmtime_error_t *pg_global_set(wasmtime_context_t *cx, const wasmtime_global_t *g, uint64_t bits) {
	wasmtime_val_t v;
	wasmtime_global_get(cx, g, &v);
	switch (v.kind) {
	case 0: v.of.i32 = (int32_t)(uint32_t)bits; break;
	case 1: v.of.i64 = (int64_t)bits; break;
	case 2: { uint32_t b = (uint32_t)bits; __builtin_memcpy(&v.of.f32, &b, 4); break; }
	case 3: __builtin_memcpy(&v.of.f64, &bits, 8); break;
	}
	return wasmtime_global_set(cx, g, &v);
}

static void pg_config(wasm_config_t *c, size_t max_stack, uint8_t profiler) {
	wasmtime_config_profiler_set(c, profiler);
	wasmtime_config_epoch_interruption_set(c, false);
	wasmtime_config_consume_fuel_set(c, false);
	wasmtime_config_max_wasm_stack_set(c, max_stack);
	wasmtime_config_cranelift_opt_level_set(c, 1); // speed
	wasmtime_config_parallel_compilation_set(c, true);
	wasmtime_config_memory_may_move_set(c, false);
	wasmtime_config_memory_reservation_set(c, (uint64_t)1 << 32);
	wasmtime_config_wasm_exceptions_set(c, true);
}
*/
import "C"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"

	// Links libwasmtime.a (the binding's cgo LDFLAGS name it); only the C API is used.
	_ "github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// WasmtimeAvailable reports whether this build has the wasmtime engine (cgo, on linux or
// macOS, amd64 or arm64).
const WasmtimeAvailable = true

// wasmtimeVersion is the library version; a serialized module loads only into the same
// version and configuration, so both name the cache directory.
const wasmtimeVersion = "v39.0.1"

// wasmtimeStackBudget is how much of wasmtimeMaxStack the guest may use before the native
// stack check (stackoverflow.go) raises PostgreSQL's stack depth error; the rest is room for
// the error's own handling.
const wasmtimeStackBudget = wasmtimeMaxStack - 1<<20

// wasmtimeMaxStack is max_wasm_stack: the native stack wasm code may use, counted from the
// outermost entry into the store. Host functions run on the goroutine's stack, so only wasm
// frames and wasmtime's trampolines count; the OS thread's stack (8 MiB) bounds it.
const wasmtimeMaxStack = 4 << 20

// wtEngine is the wasmtime engine: Cranelift, guard pages (no explicit bounds checks), no
// epoch interruption or fuel (cancellation writes PostgreSQL's interrupt flags into linear
// memory instead). Every process is its own store.
type wtEngine struct {
	e        *C.wasm_engine_t
	cacheDir string // serialized modules; empty: no disk cache

	mu    sync.Mutex
	types map[string]*C.wasm_functype_t // host function types by signature
}

func newWasmtimeEngine(cfg RuntimeConfig) (engine, error) {
	// A trap would capture a native backtrace with it set (a longjmp costs twice as much).
	for _, v := range []string{"RUST_BACKTRACE", "RUST_LIB_BACKTRACE"} {
		if _, ok := os.LookupEnv(v); ok {
			_ = os.Unsetenv(v)
		}
	}
	c := C.wasm_config_new()
	// PGLITE_WASMTIME_PROFILER=perfmap (or jitdump) tells perf where the compiled code is.
	profiler := C.uint8_t(0)
	switch os.Getenv("PGLITE_WASMTIME_PROFILER") {
	case "jitdump":
		profiler = 1
	case "perfmap":
		profiler = 3
	}
	C.pg_config(c, C.size_t(wasmtimeMaxStack), profiler)
	e := &wtEngine{e: C.wasm_engine_new_with_config(c), types: map[string]*C.wasm_functype_t{}}
	if e.e == nil {
		return nil, errors.New("emscripten: wasmtime engine could not be created")
	}
	if cfg.CacheDir != "" {
		// The directory names everything a serialized module depends on.
		conf := fmt.Sprintf("%s %s/%s stack=%d opt=speed noepoch nofuel reserve=4G fixed exceptions", wasmtimeVersion, runtime.GOOS, runtime.GOARCH, wasmtimeMaxStack)
		sum := sha256.Sum256([]byte(conf))
		e.cacheDir = filepath.Join(cfg.CacheDir, "wasmtime-"+wasmtimeVersion+"-"+hex.EncodeToString(sum[:6]))
		if err := os.MkdirAll(e.cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("emscripten: cache dir: %w", err)
		}
	}
	return e, nil
}

func (e *wtEngine) name() string       { return EngineWasmtime }
func (e *wtEngine) hoistsBounds() bool { return false }
func (e *wtEngine) exceptions() bool   { return true }

func (e *wtEngine) close(context.Context) error {
	// Compiled modules and stores hold their own references to the engine.
	C.wasm_engine_delete(e.e)
	return nil
}

type wtImport struct{ module, name string }

type wtCompiled struct {
	m       *C.wasmtime_module_t
	imports []wtImport
	modules []string
}

func (c *wtCompiled) importModules() []string { return c.modules }

func (e *wtEngine) compile(_ context.Context, wasm []byte, key string) (compiled, error) {
	var m *C.wasmtime_module_t
	path := ""
	if e.cacheDir != "" {
		if key == "" {
			sum := sha256.Sum256(wasm)
			key = hex.EncodeToString(sum[:16])
		}
		path = filepath.Join(e.cacheDir, key+".cwasm")
		if _, err := os.Stat(path); err == nil {
			cpath := C.CString(path)
			werr := C.wasmtime_module_deserialize_file(e.e, cpath, &m)
			C.free(unsafe.Pointer(cpath))
			if werr != nil {
				_ = wtError(werr, nil)
				m = nil
				_ = os.Remove(path) // stale or damaged; compile again
			}
		}
	}
	if m == nil {
		if len(wasm) == 0 {
			return nil, errors.New("empty module")
		}
		werr := C.wasmtime_module_new(e.e, (*C.uint8_t)(unsafe.Pointer(&wasm[0])), C.size_t(len(wasm)), &m)
		runtime.KeepAlive(wasm)
		if werr != nil {
			return nil, wtError(werr, nil)
		}
		if path != "" {
			e.serialize(m, path)
		}
	}
	c := &wtCompiled{m: m}
	var vec C.wasm_importtype_vec_t
	C.wasmtime_module_imports(m, &vec)
	seen := map[string]bool{}
	for _, it := range unsafe.Slice(vec.data, int(vec.size)) {
		im := wtImport{module: byteVecString(C.wasm_importtype_module(it)), name: byteVecString(C.wasm_importtype_name(it))}
		c.imports = append(c.imports, im)
		if !seen[im.module] {
			seen[im.module] = true
			c.modules = append(c.modules, im.module)
		}
	}
	C.wasm_importtype_vec_delete(&vec)
	return c, nil
}

// serialize writes a compiled module to the cache, through a temporary file and a rename.
// A cache that cannot be written costs time, nothing else.
func (e *wtEngine) serialize(m *C.wasmtime_module_t, path string) {
	var out C.wasm_byte_vec_t
	if werr := C.wasmtime_module_serialize(m, &out); werr != nil {
		_ = wtError(werr, nil)
		return
	}
	defer C.wasm_byte_vec_delete(&out)
	f, err := os.CreateTemp(filepath.Dir(path), ".cwasm-*")
	if err != nil {
		return
	}
	_, err1 := f.Write(unsafe.Slice((*byte)(unsafe.Pointer(out.data)), int(out.size)))
	err2 := f.Close()
	if err1 != nil || err2 != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}

func byteVecString(v *C.wasm_byte_vec_t) string {
	if v == nil || v.size == 0 {
		return ""
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(v.data)), C.int(v.size))
}

// wtError turns a wasmtime error or trap into a Go error and frees it.
func wtError(werr *C.wasmtime_error_t, trap *C.wasm_trap_t) error {
	var msg C.wasm_byte_vec_t
	switch {
	case werr != nil:
		C.wasmtime_error_message(werr, &msg)
		C.wasmtime_error_delete(werr)
	case trap != nil:
		var code C.uint8_t
		hasCode := bool(C.wasmtime_trap_code(trap, &code))
		C.wasm_trap_message(trap, &msg)
		C.wasm_trap_delete(trap)
		text := byteVecString(&msg)
		C.wasm_byte_vec_delete(&msg)
		err := errors.New("wasm trap: " + text)
		if hasCode && code == C.PG_TRAP_STACK_OVERFLOW {
			return &StackOverflowError{Cause: err}
		}
		return err
	default:
		return errors.New("wasmtime: unknown failure")
	}
	text := byteVecString(&msg)
	C.wasm_byte_vec_delete(&msg)
	return errors.New("wasmtime: " + text)
}

// functype returns the (cached, engine-wide) type of a host function.
func (e *wtEngine) functype(params, results []wasmbin.ValType) *C.wasm_functype_t {
	key := wasmbin.FuncType{Params: params, Results: results}.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.types[key]; ok {
		return t
	}
	kind := func(ts []wasmbin.ValType) []C.uint8_t {
		out := make([]C.uint8_t, len(ts), len(ts)+1)
		for i, t := range ts {
			out[i] = C.uint8_t(valKind(t))
		}
		return append(out, 0) // never empty, so &out[0] is valid
	}
	ps, rs := kind(params), kind(results)
	t := C.pg_functype(&ps[0], C.size_t(len(params)), &rs[0], C.size_t(len(results)))
	e.types[key] = t
	return t
}

// valKind maps a wasm value type to wasm_valkind_t (i32 0, i64 1, f32 2, f64 3).
func valKind(t wasmbin.ValType) uint8 {
	switch t {
	case wasmbin.I64:
		return 1
	case wasmbin.F32:
		return 2
	case wasmbin.F64:
		return 3
	}
	return 0
}

// kindMask is the bits of a raw value that hold a value of kind k.
func kindMask(k uint8) uint64 {
	if k == 0 || k == 2 {
		return 0xffffffff
	}
	return ^uint64(0)
}

// wtStore is one process's store. Host functions are made per store, on first import.
type wtStore struct {
	e   *wtEngine
	p   *Process
	s   *C.wasmtime_store_t
	cx  *C.wasmtime_context_t
	fns map[wtImport]C.wasmtime_func_t
	// handles name each host function's wtHost for the trampoline.
	handles []cgo.Handle
	// pending is the panic of a host function that is unwinding the wasm frames above it as
	// a trap; the call that receives the trap returns it instead.
	pending error
	// raws and stacks are pooled call buffers, one per nesting level in use.
	raws   [][]uint64
	stacks [][]uint64
	// stackLimit is the host address of the guest's stack limit in KiB (setStackLimit), or 0.
	stackLimit uintptr
	// clocks are the C state of the fast clock imports (engine_wasmtime_clock.go).
	clocks clockSet
}

// setStackLimit makes the native stack check also count the guest int32 at addr: a limit in
// KiB on the native stack below the outermost call. Linear memory never moves (the maximum is
// reserved up front), so its host address stays valid.
func (s *wtStore) setStackLimit(addr uint32) {
	if addr == 0 {
		s.stackLimit = 0
		return
	}
	s.stackLimit = uintptr(unsafe.Pointer(&s.p.mem[addr]))
}

// wtHost is one host function of one store.
type wtHost struct {
	st        *wtStore
	fn        hostFuncImpl
	paramMask []uint64
	nresults  int
	slots     int
	// rethrows: the function's caller is a wrapper that throws when the rethrow flag is set
	// (see buildShim), so a longjmp that unwound to it is handed back as the flag.
	rethrows bool
}

func (e *wtEngine) newStore(p *Process) (store, error) {
	s := C.wasmtime_store_new(e.e, nil, nil)
	if s == nil {
		return nil, errors.New("wasmtime: cannot create a store")
	}
	return &wtStore{e: e, p: p, s: s, cx: C.wasmtime_store_context(s), fns: map[wtImport]C.wasmtime_func_t{}}, nil
}

func (s *wtStore) close() {
	if s.s == nil {
		return
	}
	C.wasmtime_store_delete(s.s)
	s.s, s.cx = nil, nil
	s.freeClocks()
	for _, h := range s.handles {
		h.Delete()
	}
	s.handles = nil
}

// hostFunc returns the store's function for a host import, creating it on first use.
func (s *wtStore) hostFunc(im wtImport, hf hostFunc) C.wasmtime_func_t {
	if f, ok := s.fns[im]; ok {
		return f
	}
	h := &wtHost{st: s, fn: hf.fn, nresults: len(hf.results), slots: max(len(hf.params), len(hf.results), 1),
		rethrows: im.module == rethrowHostModule}
	for _, t := range hf.params {
		h.paramMask = append(h.paramMask, kindMask(valKind(t)))
	}
	handle := cgo.NewHandle(h)
	s.handles = append(s.handles, handle)
	var f C.wasmtime_func_t
	if im.name == fastClockName {
		f = s.newClockFunc(s.e.functype(hf.params, hf.results), uintptr(handle))
	} else {
		C.pg_func_new(s.cx, s.e.functype(hf.params, hf.results), C.uintptr_t(handle), &f)
	}
	s.fns[im] = f
	return f
}

func (s *wtStore) instantiate(c compiled, resolve func(string) instance) (instance, error) {
	wc := c.(*wtCompiled)
	n := len(wc.imports)
	var externs []C.wasmtime_extern_t
	var ptr *C.wasmtime_extern_t
	if n > 0 {
		ptr = (*C.wasmtime_extern_t)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.wasmtime_extern_t{}))))
		defer C.free(unsafe.Pointer(ptr))
		externs = unsafe.Slice(ptr, n)
	}
	for i, im := range wc.imports {
		if inst, ok := resolve(im.module).(*wtInstance); ok && inst != nil {
			if !inst.export(im.name, &externs[i]) {
				return nil, fmt.Errorf("import %s.%s: no such export", im.module, im.name)
			}
			continue
		}
		var f C.wasmtime_func_t
		if im.module == nativeModuleName && im.name == stackLowName {
			C.pg_stack_func_new(s.cx, s.e.functype(nil, []wasmbin.ValType{wasmbin.I32}), &f)
		} else {
			hf, ok := hostImport(im.module, im.name)
			if !ok {
				return nil, fmt.Errorf("%q is not exported in module %q", im.name, im.module)
			}
			f = s.hostFunc(im, hf)
		}
		externs[i].kind = 0
		*(*C.wasmtime_func_t)(unsafe.Pointer(&externs[i].of)) = f
	}
	inst := &wtInstance{s: s}
	var trap *C.wasm_trap_t
	werr := C.wasmtime_instance_new(s.cx, wc.m, ptr, C.size_t(n), &inst.inst, &trap)
	if werr != nil || trap != nil {
		return nil, s.failure(werr, trap)
	}
	return inst, nil
}

// failure is the error of a call or instantiation that returned werr or trap: the pending
// host panic that caused it, or the engine's own trap.
func (s *wtStore) failure(werr *C.wasmtime_error_t, trap *C.wasm_trap_t) error {
	err := wtError(werr, trap)
	if werr != nil && err.Error() == "wasmtime: thrown Wasm exception" {
		// A longjmp (the only exception thrown) that no invoke_* inside this call caught:
		// it goes on unwinding through the Go frames below, as a longjmpSignal.
		err = longjmpSignal{}
	}
	if s.pending != nil {
		err, s.pending = s.pending, nil
	}
	return err
}

type wtInstance struct {
	s    *wtStore
	inst C.wasmtime_instance_t
}

func (i *wtInstance) close() {}

func (i *wtInstance) export(name string, out *C.wasmtime_extern_t) bool {
	if i.s.cx == nil {
		return false
	}
	var p *C.char
	if len(name) > 0 {
		p = (*C.char)(unsafe.Pointer(unsafe.StringData(name)))
	}
	ok := C.wasmtime_instance_export_get(i.s.cx, &i.inst, p, C.size_t(len(name)), out)
	runtime.KeepAlive(name)
	return bool(ok)
}

func (i *wtInstance) function(name string) function {
	var ext C.wasmtime_extern_t
	if !i.export(name, &ext) || ext.kind != 0 {
		return nil
	}
	f := &wtFunc{s: i.s, fn: *(*C.wasmtime_func_t)(unsafe.Pointer(&ext.of))}
	var kinds [128]C.uint8_t
	var np, nr C.size_t
	C.pg_func_sig(i.s.cx, &f.fn, &kinds[0], C.size_t(len(kinds)), &np, &nr)
	if int(np+nr) > len(kinds) {
		panic(fmt.Sprintf("emscripten: export %s has %d params and results", name, np+nr))
	}
	f.nparams = int(np)
	for k := range int(nr) {
		f.resultMask = append(f.resultMask, kindMask(uint8(kinds[int(np)+k])))
	}
	f.size = max(int(np), int(nr), 1)
	return f
}

func (i *wtInstance) global(name string) global {
	var ext C.wasmtime_extern_t
	if !i.export(name, &ext) || ext.kind != 1 {
		return nil
	}
	return &wtGlobal{s: i.s, g: *(*C.wasmtime_global_t)(unsafe.Pointer(&ext.of))}
}

func (i *wtInstance) memory(name string) memory {
	var ext C.wasmtime_extern_t
	if !i.export(name, &ext) || ext.kind != 3 {
		return nil
	}
	return &wtMemory{s: i.s, m: *(*C.wasmtime_memory_t)(unsafe.Pointer(&ext.of))}
}

type wtFunc struct {
	s          *wtStore
	fn         C.wasmtime_func_t
	nparams    int
	resultMask []uint64
	size       int
}

func (f *wtFunc) slots() int { return f.size }

func (f *wtFunc) call(stack []uint64) error {
	s := f.s
	// The raw buffer holds size 16-byte values and, after them, the trap pointer.
	buf := s.takeRaw(2*f.size + 1)
	for i := range f.nparams {
		buf[2*i] = stack[i]
	}
	trapSlot := (**C.wasm_trap_t)(unsafe.Pointer(&buf[2*f.size]))
	*trapSlot = nil
	werr := C.pg_call(s.cx, &f.fn, (*C.wasmtime_val_raw_t)(unsafe.Pointer(&buf[0])), C.size_t(f.size), trapSlot, C.size_t(wasmtimeStackBudget), C.uintptr_t(s.stackLimit))
	if trap := *trapSlot; werr != nil || trap != nil {
		s.putRaw(buf)
		return s.failure(werr, trap)
	}
	for i, m := range f.resultMask {
		stack[i] = buf[2*i] & m
	}
	s.putRaw(buf)
	return nil
}

func (s *wtStore) takeRaw(n int) []uint64 {
	if k := len(s.raws); k > 0 && cap(s.raws[k-1]) >= n {
		b := s.raws[k-1][:n]
		s.raws = s.raws[:k-1]
		return b
	}
	return make([]uint64, n, max(n, 17))
}

func (s *wtStore) putRaw(b []uint64) { s.raws = append(s.raws, b) }

func (s *wtStore) takeStack(n int) []uint64 {
	if k := len(s.stacks); k > 0 && cap(s.stacks[k-1]) >= n {
		b := s.stacks[k-1][:n]
		s.stacks = s.stacks[:k-1]
		return b
	}
	return make([]uint64, n, max(n, 8))
}

func (s *wtStore) putStack(b []uint64) { s.stacks = append(s.stacks, b) }

// hostCall runs a host function for the trampoline. A panic becomes the store's pending
// error and a trap that unwinds the wasm frames up to the Go call below them.
func hostCall(h *wtHost, raw *C.wasmtime_val_raw_t, n int) (trap *C.wasm_trap_t) {
	s := h.st
	s.p.hostCalls++
	words := unsafe.Slice((*uint64)(unsafe.Pointer(raw)), 2*n)
	stack := s.takeStack(h.slots)
	for i, m := range h.paramMask {
		stack[i] = words[2*i] & m
	}
	clear(stack[len(h.paramMask):])
	defer func() {
		if r := recover(); r != nil {
			err := recoveredError(r)
			var lj longjmpSignal
			if h.rethrows && errors.As(err, &lj) && s.p.rethrowFlag != nil {
				s.p.rethrowFlag.set(1)
				for i := range h.nresults {
					words[2*i] = 0
				}
				return
			}
			s.pending = err
			trap = C.pg_unwind_trap()
		}
	}()
	h.fn(s.p, stack)
	for i := range h.nresults {
		words[2*i] = stack[i]
	}
	s.putStack(stack)
	return nil
}

// recoveredError is a host function's panic value as an error.
func recoveredError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return fmt.Errorf("emscripten: host function panicked: %v", r)
}

type wtGlobal struct {
	s *wtStore
	g C.wasmtime_global_t
}

func (g *wtGlobal) get() uint64 { return uint64(C.pg_global_get(g.s.cx, &g.g)) }

func (g *wtGlobal) set(v uint64) {
	if werr := C.pg_global_set(g.s.cx, &g.g, C.uint64_t(v)); werr != nil {
		panic(wtError(werr, nil))
	}
}

type wtMemory struct {
	s *wtStore
	m C.wasmtime_memory_t
}

func (m *wtMemory) bytes() []byte {
	n := int(C.wasmtime_memory_data_size(m.s.cx, &m.m))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(C.wasmtime_memory_data(m.s.cx, &m.m))), n)
}

func (m *wtMemory) size() uint64 { return uint64(C.wasmtime_memory_data_size(m.s.cx, &m.m)) }

func (m *wtMemory) grow(pages uint32) bool {
	var prev C.uint64_t
	if werr := C.wasmtime_memory_grow(m.s.cx, &m.m, C.uint64_t(pages), &prev); werr != nil {
		C.wasmtime_error_delete(werr)
		return false
	}
	return true
}
