package emscripten

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// dylinkFuncs are libc's hooks into the JS dynamic linker, which this file replaces.
var dylinkFuncs = map[string]hostFunc{
	"_dlopen_js":            hf("i", "i", dlopenJS),
	"_dlsym_js":             hf("iii", "i", dlsymJS),
	"_dlinit":               hf("i", "", func(p *Process, s []uint64) {}),
	"_emscripten_dlopen_js": hf("iiii", "", func(p *Process, s []uint64) { panic(&abortSignal{msg: "async dlopen is not supported"}) }),
}

// struct dso fields (Emscripten's libc dynlink.h, wasm32).
const (
	dsoFlags     = 4
	dsoMemAlloc  = 8
	dsoMemAddr   = 12
	dsoMemSize   = 16
	dsoTableAddr = 20
	dsoTableSize = 24
	dsoFileData  = 28
	dsoFileSize  = 32
	dsoName      = 36
	rtldGlobal   = 0x100
)

// libImage is what it takes to link a side module again at the same place in another
// process: its parsed and compiled forms, bases, and the generated shims it imports from
// (whose GOT values are fixed numbers). It never changes once linked, so the process that
// loaded the library, its snapshots and their clones share it.
type libImage struct {
	name       string
	info       *wasmbin.Module
	compiled   compiled // owned by Runtime.sides
	memoryBase uint32
	tableBase  uint32
	global     bool
	// invokeSigs are the invoke_* signatures it imports (their host module and dyncalls).
	invokeSigs []string
	shimMods   []shimImage
}

// shimImage is one generated import module of a side module ("env", "GOT.mem", "GOT.func").
type shimImage struct {
	module string
	mod    *lazyModule
}

// lazyModule is generated wasm (a shim or slot installer) kept for restores, compiled on
// first use and then shared: every clone of a snapshot links the very same modules, so
// compiling them once rather than once per clone keeps a clone's relink cheap.
type lazyModule struct {
	wasm []byte
	once sync.Once
	c    compiled
	err  error
}

func newLazyModule(wasm []byte) *lazyModule { return &lazyModule{wasm: wasm} }

// compiled compiles the module once, through the runtime's cache of generated modules. It
// compiles without the caller's context, whose cancellation must not fail every later
// restore.
func (m *lazyModule) compiled(rt *Runtime) (compiled, error) {
	m.once.Do(func() {
		m.c, m.err = rt.compileGenerated(context.Background(), m.wasm)
	})
	return m.c, m.err
}

// library is one loaded SIDE_MODULE.
type library struct {
	*libImage
	handle uint32
	inst   instance
	// allSlots is set once every exported function has a table slot (see slotsForAll).
	allSlots bool
	// shims are the instances made for this module's imports. Anonymous instances stay in
	// the wazero store until closed, so they are released with the library.
	shims []instance
}

// release closes the library's instances.
func (lib *library) release() {
	for _, m := range append(lib.shims, lib.inst) {
		if m != nil {
			m.close()
		}
	}
	lib.shims, lib.inst = nil, nil
}

// linker is an Emscripten-compatible dynamic linker for SIDE_MODULEs: it allocates each
// module's data in the main heap and its table region at the end of the table, resolves its
// env imports against the main module, the host and earlier RTLD_GLOBAL libraries, and
// resolves GOT.mem/GOT.func entries to addresses and table slots.
//
// https://github.com/WebAssembly/tool-conventions/blob/main/DynamicLinking.md
type linker struct {
	p         *Process
	libs      map[uint32]*library // by dso handle
	byName    map[string]*library
	order     []*library
	funcSlots map[string]uint32 // symbol -> table slot, so one function never gets two addresses
	errBuf    uint32
	pending   map[string]instance // library instances the plan being linked imports from
	helpers   []instance          // dyncall helpers made for side modules' invoke_* signatures
	// runs are the slot installations made outside element segments, in order, so a
	// restored process can put the same functions in the same slots.
	runs []slotRun
	// tableStart is the table size before the linker first grew it; grown counts the
	// slots it has added since. A snapshot checks that nothing else grew the table.
	tableStart uint32
	grown      uint32
	growing    bool
}

// slotRun is one installation of consecutive table slots: functions exported by lib (nil:
// the main module) placed at base onwards by a SlotInstaller.
type slotRun struct {
	lib  *library
	base uint32
	mod  *lazyModule
}

// grow adds n null slots to the table for the linker and returns the first.
func (l *linker) grow(n uint32) (uint32, error) {
	if !l.growing {
		size, err := l.p.callHelper("grow", 0)
		if err != nil {
			return 0, err
		}
		l.tableStart, l.growing = uint32(size), true
	}
	base, err := l.p.callHelper("grow", uint64(n))
	switch {
	case err != nil:
		return 0, fmt.Errorf("function table cannot grow by %d: %w", n, err)
	case int32(base) < 0:
		return 0, fmt.Errorf("function table cannot grow by %d", n)
	}
	l.grown += n
	return uint32(base), nil
}

func newLinker(p *Process) *linker {
	return &linker{p: p, libs: map[uint32]*library{}, byName: map[string]*library{}, funcSlots: map[string]uint32{}}
}

func (l *linker) close() {
	for _, lib := range l.order {
		lib.release()
	}
	for _, h := range l.helpers {
		h.close()
	}
	l.helpers = nil
}

// Libraries lists the loaded side modules in load order.
func (p *Process) Libraries() []string {
	var out []string
	for _, lib := range p.dl.order {
		out = append(out, lib.name)
	}
	return out
}

func dlopenJS(p *Process, s []uint64) {
	handle := uint32(s[0])
	lib, err := p.dl.open(handle)
	if err != nil {
		p.log.Warn().Err(err).Msg("dlopen failed")
		p.dl.setError(err.Error())
		s[0] = 0
		return
	}
	p.mem[handle+dsoMemAlloc] = 1
	p.PutU32(handle+dsoMemAddr, lib.memoryBase)
	p.PutU32(handle+dsoMemSize, lib.info.Dylink.MemSize)
	p.PutU32(handle+dsoTableAddr, lib.tableBase)
	p.PutU32(handle+dsoTableSize, lib.info.Dylink.TableSize)
	s[0] = 1
}

// setError reports a message through libc's dlerror() machinery.
func (l *linker) setError(msg string) {
	p := l.p
	if l.errBuf == 0 {
		l.errBuf = uint32(p.mustCall("malloc", 1024))
	}
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	msg = strings.ReplaceAll(msg, "%", "%%")
	p.WriteCString(l.errBuf, msg)
	p.mustCall("__dl_seterr", uint64(l.errBuf), 0)
}

func (l *linker) open(handle uint32) (*library, error) {
	p := l.p
	name := p.CString(handle + dsoName)
	if lib, ok := l.byName[name]; ok {
		l.libs[handle] = lib
		return lib, nil
	}
	var wasm []byte
	if data, size := p.U32(handle+dsoFileData), p.U32(handle+dsoFileSize); data != 0 && size != 0 {
		wasm = append([]byte(nil), p.Bytes(data, size)...)
	} else {
		b, err := readWholeFile(p, name)
		if err != nil {
			return nil, fmt.Errorf("could not load dynamic lib: %s: %w", name, err)
		}
		wasm = b
	}
	lib, err := l.link(name, wasm, p.U32(handle+dsoFlags)&rtldGlobal != 0)
	if err != nil {
		return nil, fmt.Errorf("could not load dynamic lib: %s: %w", name, err)
	}
	lib.handle = handle
	l.libs[handle] = lib
	l.byName[name] = lib
	l.order = append(l.order, lib)
	return lib, nil
}

func readWholeFile(p *Process, name string) ([]byte, error) {
	f, errno := p.fs.Open(name, 0, 0)
	if errno != 0 {
		return nil, errno
	}
	defer f.Close()
	st, errno := f.Stat()
	if errno != 0 {
		return nil, errno
	}
	b := make([]byte, st.Size)
	if _, errno := f.ReadAt(b, 0); errno != 0 {
		return nil, errno
	}
	return b, nil
}

// link instantiates one side module into the process.
func (l *linker) link(name string, wasm []byte, global bool) (*library, error) {
	p := l.p
	info, err := wasmbin.Parse(wasm)
	if err != nil {
		return nil, err
	}
	if info.Dylink == nil {
		return nil, fmt.Errorf("not a side module (no dylink.0 section)")
	}
	for _, need := range info.Dylink.Needed {
		if _, ok := l.byName[need]; !ok {
			return nil, fmt.Errorf("needs %s, which is not loaded", need)
		}
	}
	lib := &library{libImage: &libImage{name: name, info: info, global: global}}
	dl := info.Dylink
	if dl.MemSize > 0 {
		align := uint32(1) << dl.MemAlign
		raw := uint32(p.mustCall("calloc", uint64(dl.MemSize+align), 1))
		if raw == 0 {
			return nil, fmt.Errorf("out of memory for %d bytes of data", dl.MemSize)
		}
		lib.memoryBase = (raw + align - 1) &^ (align - 1)
	}
	if dl.TableSize > 0 {
		base, err := l.grow(dl.TableSize)
		if err != nil {
			return nil, err
		}
		lib.tableBase = base
	}

	plan, err := l.plan(lib)
	if err != nil {
		return nil, err
	}
	ctx := p.ctx
	comp, err := p.rt.compileSide(ctx, wasm)
	if err != nil {
		return nil, err
	}
	lib.compiled = comp
	linked := false
	defer func() {
		if !linked {
			lib.release()
		}
	}()
	shims := map[string]instance{}
	for mod, spec := range plan.shims {
		shimWasm := wasmbin.EnvShim(spec)
		lib.shimMods = append(lib.shimMods, shimImage{module: mod, mod: newLazyModule(shimWasm)})
		c, err := p.rt.compileGenerated(ctx, shimWasm)
		if err != nil {
			return nil, fmt.Errorf("%s shim: %w", mod, err)
		}
		inst, err := p.store.instantiate(c, l.resolver(plan.sources))
		if err != nil {
			return nil, fmt.Errorf("%s shim: %w", mod, err)
		}
		shims[mod] = inst
		lib.shims = append(lib.shims, inst)
	}
	lib.inst, err = p.store.instantiate(comp, func(n string) instance { return shims[n] })
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	// Table slots for this module's own functions that its GOT names.
	if len(plan.ownFuncs) > 0 {
		if err := l.installSlots(lib, plan.ownFuncs, plan.ownSlots); err != nil {
			return nil, err
		}
	}
	for _, fn := range []string{"__wasm_apply_data_relocs", "__wasm_call_ctors"} {
		if f := lib.inst.function(fn); f != nil {
			if err := f.call(make([]uint64, f.slots())); err != nil {
				return nil, fmt.Errorf("%s: %w", fn, err)
			}
		}
	}
	linked = true
	return lib, nil
}

// linkPlan is what one side module's imports resolve to.
type linkPlan struct {
	shims    map[string]wasmbin.ShimSpec // "env", "GOT.mem", "GOT.func"
	sources  map[string]instance         // modules the shims import from
	ownFuncs []wasmbin.HostFunc          // own exports that need table slots after instantiation
	ownSlots []uint32
}

const (
	srcGuest = "guest"
	srcHost  = hostModuleName
)

func (l *linker) plan(lib *library) (*linkPlan, error) {
	p := l.p
	main := p.module.Info
	env := wasmbin.ShimSpec{TrapHost: wasmbin.HostFuncRef{Module: srcHost, Name: unresolvedName}}
	if p.rt.eng.exceptions() {
		// As in the main shim (buildShim): host functions rethrow a longjmp they caught.
		env.TrapHost.Module = rethrowHostModule
		env.Rethrow = &wasmbin.RethrowSpec{Module: shimModuleName, FlagName: rethrowFlagExport, ThrowName: throwLongjmpName}
	}
	gotMem := wasmbin.ShimSpec{}
	gotFunc := wasmbin.ShimSpec{}
	sources := map[string]instance{srcGuest: p.guest}
	plan := &linkPlan{sources: sources}
	var invokeSigs []string
	var mainSlots []wasmbin.HostFunc // main exports needing fresh slots
	var mainSlotNames []string

	for _, im := range lib.info.Imports {
		switch im.Module {
		case "env":
			switch {
			case im.Kind == wasmbin.KindMemory:
				env.Reexports = append(env.Reexports, wasmbin.Reexport{From: srcGuest, Name: p.module.memoryExport, As: im.Name, Kind: im.Kind, Memory: im.Memory})
			case im.Kind == wasmbin.KindTable:
				env.Reexports = append(env.Reexports, wasmbin.Reexport{From: srcGuest, Name: "__indirect_function_table", As: im.Name, Kind: im.Kind, Table: im.Table})
			case im.Kind == wasmbin.KindGlobal && im.Name == "__memory_base":
				env.Globals = append(env.Globals, wasmbin.ConstGlobal{Name: im.Name, Value: int32(lib.memoryBase), Mutable: im.Global.Mutable})
			case im.Kind == wasmbin.KindGlobal && im.Name == "__table_base":
				env.Globals = append(env.Globals, wasmbin.ConstGlobal{Name: im.Name, Value: int32(lib.tableBase), Mutable: im.Global.Mutable})
			case im.Kind == wasmbin.KindGlobal:
				env.Reexports = append(env.Reexports, wasmbin.Reexport{From: srcGuest, Name: im.Name, As: im.Name, Kind: im.Kind, Global: im.Global})
			case im.Kind == wasmbin.KindFunc:
				if !l.planFunc(lib, &env, im, &invokeSigs) && p.cfg.StrictLibrary != nil && p.cfg.StrictLibrary(lib.name) {
					return nil, fmt.Errorf("undefined symbol: %s (this build of PostgreSQL, pglite.wasm, does not export it)", im.Name)
				}
			}
		case "GOT.mem":
			v, ok := l.dataAddress(lib, im.Name)
			if !ok && !lib.info.Dylink.WeakImports[[2]string{im.Module, im.Name}] {
				// Unlike a missing function, which gets a stub that raises an SQL error when
				// called, a missing variable has no address to point at: binding it to 0
				// would let the library read and call through address 0, which traps and
				// ends the instance. The load fails instead, as with a native linker.
				return nil, fmt.Errorf("undefined symbol: %s (a variable that this build of PostgreSQL, pglite.wasm, does not export)", im.Name)
			}
			gotMem.Globals = append(gotMem.Globals, wasmbin.ConstGlobal{Name: im.Name, Value: int32(v), Mutable: true})
		case "GOT.func":
			slot, own, ok := l.funcSlot(lib, im.Name)
			switch {
			case ok:
			case own:
				base, err := l.grow(1)
				if err != nil {
					return nil, err
				}
				slot = base
				idx, _ := lib.info.ExportedFunc(im.Name)
				plan.ownFuncs = append(plan.ownFuncs, wasmbin.HostFunc{Module: "lib", Name: im.Name, Type: lib.info.FuncType(idx)})
				plan.ownSlots = append(plan.ownSlots, slot)
				l.funcSlots[im.Name] = slot
			default:
				if idx, ok := main.ExportedFunc(im.Name); ok {
					mainSlots = append(mainSlots, wasmbin.HostFunc{Module: srcGuest, Name: im.Name, Type: main.FuncType(idx)})
					mainSlotNames = append(mainSlotNames, im.Name)
					continue // filled below, after the batch install
				}
				p.log.Debug().Str("lib", lib.name).Str("symbol", im.Name).Msg("unresolved GOT.func entry")
			}
			gotFunc.Globals = append(gotFunc.Globals, wasmbin.ConstGlobal{Name: im.Name, Value: int32(slot), Mutable: true})
		default:
			return nil, fmt.Errorf("import from unknown module %q", im.Module)
		}
	}
	if len(mainSlots) > 0 {
		base, err := l.grow(uint32(len(mainSlots)))
		if err != nil {
			return nil, err
		}
		slots := make([]uint32, len(mainSlots))
		for i := range mainSlots {
			slots[i] = base + uint32(i)
			l.funcSlots[mainSlotNames[i]] = slots[i]
			gotFunc.Globals = append(gotFunc.Globals, wasmbin.ConstGlobal{Name: mainSlotNames[i], Value: int32(slots[i]), Mutable: true})
		}
		if err := l.installSlots(nil, mainSlots, slots); err != nil {
			return nil, err
		}
	}
	if len(invokeSigs) > 0 {
		lib.invokeSigs = invokeSigs
		for i := range env.Reexports {
			if env.Reexports[i].From == "invoke" {
				env.Reexports[i].From = invokeModuleName(invokeSigs)
			}
		}
		if err := l.ensureDyncalls(invokeSigs); err != nil {
			return nil, err
		}
	}
	plan.shims = map[string]wasmbin.ShimSpec{"env": env, "GOT.mem": gotMem, "GOT.func": gotFunc}
	return plan, nil
}

// planFunc resolves one env function import: Go host functions first (Emscripten's JS
// library), then main-module exports, then exports of earlier RTLD_GLOBAL libraries; anything
// else becomes a stub that traps loudly with the symbol's name (and planFunc reports false).
func (l *linker) planFunc(self *library, env *wasmbin.ShimSpec, im wasmbin.Import, invokeSigs *[]string) bool {
	p := l.p
	if sig, ok := strings.CutPrefix(im.Name, "invoke_"); ok {
		*invokeSigs = append(*invokeSigs, sig)
		env.Reexports = append(env.Reexports, wasmbin.Reexport{From: "invoke", Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
		return true
	}
	if idx, ok := p.module.Info.ExportedFunc(im.Name); ok && p.module.Info.FuncType(idx).String() == im.Func.String() {
		env.Reexports = append(env.Reexports, wasmbin.Reexport{From: srcGuest, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
		return true
	}
	if hfn, ok := hostFuncs[im.Name]; ok && sameType(hfn, im.Func) {
		switch {
		case env.Rethrow != nil && im.Name == throwLongjmpName:
			env.Reexports = append(env.Reexports, wasmbin.Reexport{From: shimModuleName, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
		case env.Rethrow != nil:
			env.Reexports = append(env.Reexports, wasmbin.Reexport{From: rethrowHostModule, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func, Wrap: true})
		default:
			env.Reexports = append(env.Reexports, wasmbin.Reexport{From: srcHost, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
		}
		return true
	}
	for _, lib := range l.order {
		if !lib.global {
			continue
		}
		if idx, ok := lib.info.ExportedFunc(im.Name); ok && lib.info.FuncType(idx).String() == im.Func.String() {
			src := "lib:" + lib.name
			env.Reexports = append(env.Reexports, wasmbin.Reexport{From: src, Name: im.Name, As: im.Name, Kind: wasmbin.KindFunc, Func: im.Func})
			l.p.dl.addSource(src, lib.inst)
			return true
		}
	}
	env.Traps = append(env.Traps, wasmbin.TrapFunc{Name: im.Name, Type: im.Func, ID: unresolvedLibID(self.name, im.Name)})
	return false
}

func (l *linker) addSource(name string, m instance) {
	if l.pending == nil {
		l.pending = map[string]instance{}
	}
	l.pending[name] = m
}

func (l *linker) resolver(sources map[string]instance) func(string) instance {
	return func(name string) instance {
		if m, ok := sources[name]; ok {
			return m
		}
		if m, ok := l.pending[name]; ok {
			return m
		}
		if name == shimModuleName {
			return l.p.shim
		}
		return nil
	}
}

// dataAddress resolves a data symbol: main-module globals are absolute addresses, library
// globals are relative to that library's memory base.
func (l *linker) dataAddress(lib *library, name string) (uint32, bool) {
	if v, ok := lib.info.ExportedGlobalValue(name); ok {
		return uint32(v) + lib.memoryBase, true
	}
	if v, ok := l.p.module.Info.ExportedGlobalValue(name); ok {
		return uint32(v), true
	}
	for _, other := range l.order {
		if v, ok := other.info.ExportedGlobalValue(name); ok && other.global {
			return uint32(v) + other.memoryBase, true
		}
	}
	return 0, false
}

// funcSlot finds the table slot of a function symbol. own reports that the symbol is the
// library's own export and still needs a slot.
func (l *linker) funcSlot(lib *library, name string) (slot uint32, own, ok bool) {
	if s, ok := l.funcSlots[name]; ok {
		return s, false, true
	}
	if _, ok := lib.info.ExportedFunc(name); ok {
		return 0, true, false
	}
	main := l.p.module.Info
	if idx, ok := main.ExportedFunc(name); ok {
		if s, ok := main.ElemSlots[idx]; ok {
			l.funcSlots[name] = s
			return s, false, true
		}
	}
	return 0, false, false
}

// installSlots puts functions exported by lib (nil: the main module) into the given table
// slots, and records each installation for snapshots.
func (l *linker) installSlots(lib *library, funcs []wasmbin.HostFunc, slots []uint32) error {
	p := l.p
	src := p.guest
	if lib != nil {
		src = lib.inst
	}
	// Slots are consecutive when allocated in one batch; install them one run at a time, at
	// most maxInstallRun per module (building and validating one huge installer function
	// costs more than several small ones).
	const maxInstallRun = 256
	for i := 0; i < len(funcs); {
		j := i + 1
		for j < len(funcs) && j-i < maxInstallRun && slots[j] == slots[j-1]+1 {
			j++
		}
		spec := wasmbin.SlotSpec{TableModule: srcGuest, TableName: "__indirect_function_table"}
		for _, f := range funcs[i:j] {
			spec.Funcs = append(spec.Funcs, wasmbin.HostFunc{Module: "src", Name: f.Name, Type: f.Type})
		}
		wasm := wasmbin.SlotInstaller(spec)
		c, err := p.rt.compileGenerated(p.ctx, wasm)
		if err != nil {
			return err
		}
		err = l.runInstaller(c, src, slots[i])
		if err != nil {
			return err
		}
		l.runs = append(l.runs, slotRun{lib: lib, base: slots[i], mod: newLazyModule(wasm)})
		i = j
	}
	return nil
}

// runInstaller instantiates a compiled SlotInstaller whose functions come from src and
// installs them from slot base on.
func (l *linker) runInstaller(c compiled, src instance, base uint32) error {
	p := l.p
	inst, err := p.store.instantiate(c, func(n string) instance {
		switch n {
		case srcGuest:
			return p.guest
		case "src":
			return src
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer inst.close()
	f := inst.function("install")
	if f == nil {
		return fmt.Errorf("slot installer without install")
	}
	stack := make([]uint64, f.slots())
	stack[0] = uint64(base)
	return f.call(stack)
}

// ensureDyncalls makes sure the process can call table entries of these signatures, for
// invoke_* made by side modules.
func (l *linker) ensureDyncalls(sigs []string) error {
	p := l.p
	var missing []string
	for _, s := range sigs {
		if p.helper.function("dyncall_"+s) == nil && p.extraHelpers[s] == nil {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	c, err := p.rt.compileHelper(p.ctx, missing)
	if err != nil {
		return err
	}
	inst, err := p.store.instantiate(c, func(n string) instance {
		if n == guestModuleName {
			return p.guest
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.helpers = append(l.helpers, inst)
	for _, s := range missing {
		p.extraHelpers[s] = inst
	}
	return nil
}

// compileSide compiles a side module once per runtime, keyed by its bytes.
func (rt *Runtime) compileSide(ctx context.Context, wasm []byte) (compiled, error) {
	return rt.compileCached(ctx, rt.sides, wasm)
}

// dlsymJS looks a symbol up in a loaded library: functions get a table slot (reusing one the
// function already has), data symbols their absolute address.
func dlsymJS(p *Process, s []uint64) {
	handle, name := uint32(s[0]), p.CString(uint32(s[1]))
	lib := p.dl.libs[handle]
	if lib == nil {
		p.dl.setError("Tried to lookup unknown symbol \"" + name + "\" in unknown library")
		s[0] = 0
		return
	}
	if idx, ok := lib.info.ExportedFunc(name); ok {
		if slot, ok := p.dl.slotOf(lib, name); ok {
			s[0] = uint64(slot)
			return
		}
		if !lib.allSlots {
			// PostgreSQL looks up two symbols per C function it registers (pg_finfo_x and x),
			// hundreds in one CREATE EXTENSION; building one installer module per lookup
			// dominated its cost, so the library's functions get their slots in one batch.
			if err := p.dl.slotsForAll(lib); err != nil {
				panic(err)
			}
			if slot, ok := p.dl.slotOf(lib, name); ok {
				s[0] = uint64(slot)
				return
			}
		}
		base, err := p.dl.grow(1)
		if err != nil {
			panic(fmt.Errorf("emscripten: %w", err))
		}
		f := wasmbin.HostFunc{Name: name, Type: lib.info.FuncType(idx)}
		if err := p.dl.installSlots(lib, []wasmbin.HostFunc{f}, []uint32{base}); err != nil {
			panic(err)
		}
		p.dl.funcSlots[lib.name+":"+name] = base
		s[0] = uint64(base)
		return
	}
	if v, ok := lib.info.ExportedGlobalValue(name); ok {
		s[0] = uint64(uint32(v) + lib.memoryBase)
		return
	}
	p.dl.setError("Tried to lookup unknown symbol \"" + name + "\" in dynamic lib: " + lib.name)
	s[0] = 0
}

// slotOf returns the table slot a library function already has.
func (l *linker) slotOf(lib *library, name string) (uint32, bool) {
	if slot, ok := l.funcSlots[lib.name+":"+name]; ok {
		return slot, true
	}
	if slot, ok := l.funcSlots[name]; ok && lib.global {
		if _, own := lib.info.ExportedFunc(name); own {
			return slot, true
		}
	}
	return 0, false
}

// slotsForAll gives every exported function of lib that has no slot yet a table slot, with
// one installer module.
func (l *linker) slotsForAll(lib *library) error {
	lib.allSlots = true
	var funcs []wasmbin.HostFunc
	seen := map[string]bool{}
	for _, e := range lib.info.Exports {
		if e.Kind != wasmbin.KindFunc || seen[e.Name] || strings.HasPrefix(e.Name, "__") {
			continue
		}
		seen[e.Name] = true
		if _, ok := l.slotOf(lib, e.Name); ok {
			continue
		}
		funcs = append(funcs, wasmbin.HostFunc{Name: e.Name, Type: lib.info.FuncType(e.Index)})
	}
	if len(funcs) == 0 {
		return nil
	}
	base, err := l.grow(uint32(len(funcs)))
	if err != nil {
		return fmt.Errorf("emscripten: %w", err)
	}
	slots := make([]uint32, len(funcs))
	for i := range funcs {
		slots[i] = base + uint32(i)
	}
	if err := l.installSlots(lib, funcs, slots); err != nil {
		return err
	}
	for i, f := range funcs {
		l.funcSlots[lib.name+":"+f.Name] = slots[i]
	}
	return nil
}

// compileGenerated compiles a generated module (shim, slot installer) once per runtime,
// keyed by its bytes, and never closes it. Processes with the same memory and table bases
// (every clone of a snapshot, and fresh instances, which allocate deterministically)
// generate byte-identical modules, and wazero shares compiled code between identical
// modules: closing one process's copy would pull the code from under another process that
// is instantiating it. Distinct generated modules are few, so keeping them is cheap.
func (rt *Runtime) compileGenerated(ctx context.Context, wasm []byte) (compiled, error) {
	return rt.compileCached(ctx, rt.generated, wasm)
}

// compileCached compiles wasm once per runtime into cache, keyed by its bytes. Compiles are
// serialised: wazero shares the compiled code of identical modules, and two goroutines
// compiling the same bytes at once race inside wazero (one still fills in the code while the
// other already runs it).
func (rt *Runtime) compileCached(ctx context.Context, cache map[[32]byte]compiled, wasm []byte) (compiled, error) {
	key := sha256.Sum256(wasm)
	rt.compileMu.Lock()
	defer rt.compileMu.Unlock()
	rt.mu.Lock()
	c, ok := cache[key]
	rt.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := rt.compileBytes(ctx, wasm)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	cache[key] = c
	rt.mu.Unlock()
	return c, nil
}
