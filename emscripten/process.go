package emscripten

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/emscripten/vfs"
)

// ProcessConfig describes one instance of a main module.
type ProcessConfig struct {
	// Name tags log lines ("main", "helper", "initdb").
	Name string
	// FS is the process's file system. Several processes may share one FS if they are never
	// called concurrently (the initdb flow does this).
	FS *vfs.FS
	// Env is the environment, read once by the guest's constructors.
	Env []string
	// Stdout and Stderr receive fd 1 and fd 2. Nil discards.
	Stdout, Stderr io.Writer
	// Callbacks are host functions the guest calls through its function table
	// (Emscripten's addFunction); see Process.InstallCallback.
	Callbacks [len(callbackSlots)]CallbackFunc
	// Logger receives diagnostics.
	Logger zerolog.Logger
	// OnUnresolved runs when a side module calls a symbol nothing defines; it may raise a
	// guest error (unwinding with CallNested) instead of the default trap.
	OnUnresolved func(p *Process, lib, symbol string)
	// OnStackOverflow runs inside the innermost invoke_* frame whose callee exhausted the
	// engine's call stack, after the stack pointer is restored. It should raise a guest error
	// (unwinding with CallNested); if it returns, the overflow ends the process as a trap.
	OnStackOverflow func(p *Process)
	// StrictLibrary names side modules that must not load with a function nothing defines:
	// dlopen fails instead of binding a stub that raises an error when called, for
	// libraries whose functions run where an error cannot be reported.
	StrictLibrary func(path string) bool
	// AfterTimer runs after each delivery of an expired timer (setitimer's signal), on the
	// goroutine running the guest, before the guest goes on.
	AfterTimer func(p *Process)
}

// CallbackFunc is a host callback reached through the guest's function table. Its stack holds
// the parameters on entry and receives the results.
type CallbackFunc func(p *Process, stack []uint64)

// Process is one instantiated Emscripten main module with its host state: memory, fd table,
// cwd, umask, timers and loaded side modules. A Process is not safe for concurrent use: all
// calls into it, and all host functions it calls back, run on the caller's goroutine.
type Process struct {
	rt     *Runtime
	module *Module
	cfg    ProcessConfig
	ctx    context.Context
	log    zerolog.Logger

	mem    []byte // current linear memory; replaced on growth
	store  store
	guest  instance
	shim   instance
	helper instance
	memory memory
	sp     global

	exports map[string]*fnPool
	invokes map[string]*fnPool
	helpers map[string]*fnPool
	// extraHelpers call table entries of signatures only side modules use.
	extraHelpers map[string]instance

	fs    *vfs.FS
	fds   *fdTable
	cwd   string
	umask uint32

	timers           map[int32]float64 // setitimer deadlines (ms, monotonic) by timer id
	deadline         atomic.Uint64     // earliest deadline as float64 bits, for watchdogs
	onDeadline       func()
	inTimer          bool
	fault            atomic.Bool
	interruptPending func() bool
	driverMore       func() bool // set while a Driver's loop runs
	calls            uint64      // calls from Go into the guest (Call, Driver)
	hostCalls        uint64      // calls from the guest into Go
	hugeAdvised      int         // bytes of linear memory advised for huge pages (refreshMem)
	dl               *linker
	broken           error

	// With exceptions (see buildShim): the invoke module, and the shim's rethrow flag.
	invokes2     instance
	invokeDepth  global // wasm invoke frames running now (see wasmbin.InvokeSpec.DepthExport)
	rethrowFlag  global
	inStackRaise bool
}

// NewProcess instantiates m: its env shim (defining the memory, backed by a reserved mapping),
// the guest itself (whose start function clears BSS), and the table helper. The guest's
// constructors are not run; call RunCtors once the file system and environment are final.
func (rt *Runtime) NewProcess(ctx context.Context, m *Module, cfg ProcessConfig) (*Process, error) {
	p := &Process{
		rt: rt, module: m, cfg: cfg, fs: cfg.FS, cwd: "/", umask: 0o022,
		exports: map[string]*fnPool{}, invokes: map[string]*fnPool{}, timers: map[int32]float64{},
		helpers: map[string]*fnPool{}, extraHelpers: map[string]instance{},
		log: cfg.Logger.With().Str("process", cfg.Name).Logger(),
	}
	p.fds = newFDTable(p)
	p.deadline.Store(math.Float64bits(math.Inf(1)))
	p.ctx = ctx
	var err error
	if p.store, err = rt.eng.newStore(p); err != nil {
		return nil, fmt.Errorf("emscripten: %s: %w", cfg.Name, err)
	}
	none := func(string) instance { return nil }
	p.shim, err = p.store.instantiate(m.shim, none)
	if err != nil {
		p.store.close()
		return nil, fmt.Errorf("emscripten: %s: instantiate env shim: %w", cfg.Name, err)
	}
	p.guest, err = p.store.instantiate(m.compiled, func(name string) instance {
		if name == "env" || name == "wasi_snapshot_preview1" {
			return p.shim
		}
		return nil
	})
	if err != nil {
		p.store.close()
		return nil, fmt.Errorf("emscripten: %s: instantiate: %w", cfg.Name, err)
	}
	if p.memory = p.guest.memory(m.memoryExport); p.memory != nil {
		p.refreshMem()
	}
	p.helper, err = p.store.instantiate(m.helper, func(name string) instance {
		if name == guestModuleName {
			return p.guest
		}
		return nil
	})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("emscripten: %s: instantiate table helper: %w", cfg.Name, err)
	}
	p.sp = p.guest.global("__stack_pointer")
	if m.invoke != nil {
		p.invokes2, err = p.store.instantiate(m.invoke, func(name string) instance {
			switch name {
			case guestModuleName:
				return p.guest
			case shimModuleName:
				return p.shim
			}
			return nil
		})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("emscripten: %s: instantiate invoke module: %w", cfg.Name, err)
		}
		p.invokeDepth = p.invokes2.global(invokeDepthExport)
	}
	p.rethrowFlag = p.shim.global(rethrowFlagExport)
	if m.stackCheck {
		if err := p.installStackCheck(); err != nil {
			p.Close()
			return nil, fmt.Errorf("emscripten: %s: native stack check: %w", cfg.Name, err)
		}
	}
	p.dl = newLinker(p)
	return p, nil
}

// Close releases the instance. It does not run the guest's atexit handlers.
func (p *Process) Close() {
	if p.dl != nil {
		p.dl.close()
	}
	for _, m := range []instance{p.invokes2, p.helper, p.guest, p.shim} {
		if m != nil {
			m.close()
		}
	}
	if p.store != nil {
		p.store.close()
	}
	p.fds.closeAll()
	p.helper, p.guest, p.shim, p.store, p.invokes2 = nil, nil, nil, nil, nil
}

// Broken reports why the process may not be used any more, or nil.
func (p *Process) Broken() error { return p.broken }

// FS returns the process's file system.
func (p *Process) FS() *vfs.FS { return p.fs }

// Memory returns the current linear memory. The slice is invalidated by growth.
func (p *Process) Memory() []byte { return p.mem }

// Context is the context every call into the guest runs with.
func (p *Process) Context() context.Context { return p.ctx }

// RunCtors runs __wasm_call_ctors, which reads the environment.
func (p *Process) RunCtors() error {
	_, err := p.Call("__wasm_call_ctors")
	return err
}

// Call calls an exported function. An exit() comes back as *ExitError and leaves the process
// usable; any other failure comes back as *TrapError and marks the process broken.
func (p *Process) Call(name string, args ...uint64) (uint64, error) {
	return p.callPool(p.exportPool(name), args...)
}

// Calls counts the calls from Go into the guest so far. Each costs a transition into the
// engine, so the count per query is worth keeping low (see Driver).
func (p *Process) Calls() uint64 { return p.calls }

// HostCalls counts the calls from the guest into Go host functions so far; an engine may
// answer some imports without Go (wasmtime's clock, see clockGate).
func (p *Process) HostCalls() uint64 { return p.hostCalls }

// callPool is Call for a function already looked up.
func (p *Process) callPool(pool *fnPool, args ...uint64) (uint64, error) {
	if p.broken != nil {
		return 0, p.broken
	}
	p.calls++
	sp := p.StackPointer()
	depth := p.wasmInvokeDepth()
	r, err := pool.call(args...)
	if err != nil {
		skipped := p.unwoundInvokes(depth)
		if _, ok := ExitStatus(err); ok && p.invokes2 != nil {
			// exit() unwound every frame of this call, and no host invoke_* frame on the
			// way restored the stack pointer (see buildShim): restore it here.
			p.SetStackPointer(sp)
		}
		if isStackOverflow(err) && !skipped {
			// No invoke_* frame was below: handle it here, as the innermost one would.
			p.SetStackPointer(sp)
			err = p.recoverStackOverflow(err)
		}
		return 0, p.classify(err)
	}
	return r, nil
}

// wasmInvokeDepth reads how many wasm invoke_* frames are running (0 without them).
func (p *Process) wasmInvokeDepth() uint64 {
	if p.invokeDepth == nil {
		return 0
	}
	return p.invokeDepth.get()
}

// unwoundInvokes is called by a Go frame whose call into the guest failed: it reports whether
// the failure unwound wasm invoke_* frames (a trap, which they cannot catch, went through
// them), and sets the count back to what it was when that call started.
func (p *Process) unwoundInvokes(depth uint64) bool {
	if p.invokeDepth == nil {
		return false
	}
	if p.invokeDepth.get() == depth {
		return false
	}
	p.invokeDepth.set(depth)
	return true
}

// classify turns an error from a guest call into *ExitError (instance alive) or *TrapError
// (instance broken).
func (p *Process) classify(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee
	}
	te := &TrapError{Cause: err}
	p.broken = te
	return te
}

// StackPointer reads __stack_pointer (Emscripten's stackSave).
func (p *Process) StackPointer() uint32 {
	if p.sp != nil {
		return uint32(p.sp.get())
	}
	return uint32(p.mustCall("emscripten_stack_get_current"))
}

// SetStackPointer writes __stack_pointer, as Emscripten's stackRestore does.
func (p *Process) SetStackPointer(v uint32) {
	if p.sp != nil {
		p.sp.set(uint64(v))
		return
	}
	p.mustCall("_emscripten_stack_restore", uint64(v))
}

// GlobalAddress returns the value of an exported immutable global: for Emscripten data
// symbols, the symbol's address in linear memory.
func (p *Process) GlobalAddress(name string) (uint32, bool) {
	g := p.guest.global(name)
	if g == nil {
		return 0, false
	}
	return uint32(g.get()), true
}

// Malloc allocates n bytes with the guest's allocator.
func (p *Process) Malloc(n uint32) (uint32, error) {
	r, err := p.Call("malloc", uint64(n))
	return uint32(r), err
}

// Free releases a Malloc'd pointer.
func (p *Process) Free(ptr uint32) error {
	_, err := p.Call("free", uint64(ptr))
	return err
}

// StackAlloc reserves n bytes on the guest stack (Emscripten's stackAlloc).
func (p *Process) StackAlloc(n uint32) (uint32, error) {
	r, err := p.Call("_emscripten_stack_alloc", uint64(n))
	return uint32(r), err
}

// StackString copies s with a NUL onto the guest stack.
func (p *Process) StackString(s string) (uint32, error) {
	ptr, err := p.StackAlloc(uint32(len(s) + 1))
	if err != nil {
		return 0, err
	}
	copy(p.mem[ptr:], s)
	p.mem[ptr+uint32(len(s))] = 0
	return ptr, nil
}

// CallMain runs __main_argc_argv with argv built on the guest stack, as Emscripten's callMain
// does. A normal return and exit() both yield the status.
func (p *Process) CallMain(args []string) (int32, error) {
	argv, err := p.StackAlloc(uint32(4 * (len(args) + 1)))
	if err != nil {
		return 0, err
	}
	for i, a := range args {
		s, err := p.StackString(a)
		if err != nil {
			return 0, err
		}
		p.PutU32(argv+uint32(4*i), s)
	}
	p.PutU32(argv+uint32(4*len(args)), 0)
	r, err := p.Call("__main_argc_argv", uint64(len(args)), uint64(argv))
	if err != nil {
		if st, ok := ExitStatus(err); ok {
			return st, nil
		}
		return 0, err
	}
	return int32(r), nil
}

// U32 reads a little-endian uint32 from guest memory.
func (p *Process) U32(addr uint32) uint32 { return binary.LittleEndian.Uint32(p.mem[addr:]) }

// PutU32 writes a little-endian uint32 to guest memory.
func (p *Process) PutU32(addr, v uint32) { binary.LittleEndian.PutUint32(p.mem[addr:], v) }

// U16 reads a little-endian uint16.
func (p *Process) U16(addr uint32) uint16 { return binary.LittleEndian.Uint16(p.mem[addr:]) }

// PutU16 writes a little-endian uint16.
func (p *Process) PutU16(addr uint32, v uint16) { binary.LittleEndian.PutUint16(p.mem[addr:], v) }

// PutU64 writes a little-endian uint64.
func (p *Process) PutU64(addr uint32, v uint64) { binary.LittleEndian.PutUint64(p.mem[addr:], v) }

// U64 reads a little-endian uint64.
func (p *Process) U64(addr uint32) uint64 { return binary.LittleEndian.Uint64(p.mem[addr:]) }

// Bytes returns a view of n bytes of guest memory at addr.
func (p *Process) Bytes(addr, n uint32) []byte { return p.mem[addr : addr+n : addr+n] }

// CString reads a NUL-terminated string.
func (p *Process) CString(addr uint32) string {
	if addr == 0 {
		return ""
	}
	end := addr
	for end < uint32(len(p.mem)) && p.mem[end] != 0 {
		end++
	}
	return string(p.mem[addr:end])
}

// WriteCString writes s and a NUL at addr.
func (p *Process) WriteCString(addr uint32, s string) {
	copy(p.mem[addr:], s)
	p.mem[addr+uint32(len(s))] = 0
}

// f64 helpers for host functions returning doubles.
func f64bits(v float64) uint64 { return math.Float64bits(v) }
func f64of(v uint64) float64   { return math.Float64frombits(v) }
