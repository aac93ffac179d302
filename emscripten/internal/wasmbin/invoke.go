package wasmbin

import "fmt"

// InvokeSpec describes an InvokeModule.
type InvokeSpec struct {
	// Guest is the module name of the main instance: its __indirect_function_table, its
	// __stack_pointer global and its setThrew function are imported from it.
	Guest string
	// Sigs lists the invoke_<letters> functions to define, in letters.
	Sigs []string
	// Forward, when set, is a table (module, name) the module fills with its invoke
	// functions, in the order of Sigs, so that forwarders defined before the guest existed
	// (EnvShim's Forwards) can reach them.
	ForwardModule, ForwardName string
	// DepthExport, when set, names an exported mutable i32 global counting the invoke frames
	// running now: up on entry, down on the way out, returned or caught. A trap unwinds
	// frames without counting down, so the host can tell how many it skipped.
	DepthExport string
}

// InvokeModule builds Emscripten's invoke_<sig>(index, args...) in WebAssembly, on the
// exception-handling proposal: it saves the stack pointer, calls the table entry inside a
// try_table, and when anything is thrown through it (a longjmp: the only exceptions in
// play), restores the stack pointer, calls setThrew(1, 0) and returns zeros, so that the
// caller dispatches to its setjmp, as Emscripten's JS wrappers do. Traps are not caught.
func InvokeModule(spec InvokeSpec) ([]byte, error) {
	var b Builder
	b.SetName("invokes")
	tab := b.ImportTable(spec.Guest, "__indirect_function_table", 0)
	sp := b.ImportGlobal(spec.Guest, "__stack_pointer", GlobalType{Type: I32, Mutable: true})
	setThrew := b.ImportFunc(spec.Guest, "setThrew", FuncType{Params: []ValType{I32, I32}})
	fwd := uint32(0)
	if spec.ForwardModule != "" {
		fwd = b.ImportTable(spec.ForwardModule, spec.ForwardName, uint32(len(spec.Sigs)))
	}
	depth := int64(-1)
	if spec.DepthExport != "" {
		d := b.DefineGlobalI32(true, 0)
		b.Export(spec.DepthExport, KindGlobal, d)
		depth = int64(d)
	}
	var fns []uint32
	for _, s := range spec.Sigs {
		ft, err := SigFromLetters(s)
		if err != nil {
			return nil, err
		}
		f := defineInvoke(&b, tab, sp, setThrew, depth, ft)
		b.Export("invoke_"+s, KindFunc, f)
		fns = append(fns, f)
	}
	if spec.ForwardModule != "" && len(fns) > 0 {
		b.ActiveElems(fwd, 0, fns...)
	}
	return b.Bytes(), nil
}

func defineInvoke(b *Builder, tab, sp, setThrew uint32, depth int64, t FuncType) uint32 {
	np := uint32(len(t.Params)) + 1
	spLocal := np // first extra local
	count := func(op []byte) []byte {
		if depth < 0 {
			return nil
		}
		return Code(GlobalGet(uint32(depth)), I32Const(1), op, GlobalSet(uint32(depth)))
	}
	up, down := count(I32Add()), count([]byte{0x6b}) // i32.sub
	body := Code(up, GlobalGet(sp), LocalSet(spLocal), Block(blockEmpty))
	res := byte(blockEmpty)
	if len(t.Results) == 1 {
		res = byte(t.Results[0])
	}
	body = Code(body, TryTableCatchAll(res, 0))
	for i := uint32(1); i < np; i++ {
		body = Code(body, LocalGet(i))
	}
	body = Code(body, LocalGet(0), CallIndirect(b.TypeIndex(t), tab), End(), down, Return(), End(),
		down, LocalGet(spLocal), GlobalSet(sp), I32Const(1), I32Const(0), Call(setThrew))
	for _, r := range t.Results {
		body = Code(body, zeroOf(r))
	}
	outer := FuncType{Params: append([]ValType{I32}, t.Params...), Results: t.Results}
	return b.DefineFunc(outer, []ValType{I32}, body)
}

func zeroOf(v ValType) []byte {
	switch v {
	case I32:
		return I32Const(0)
	case I64:
		return I64Const(0)
	case F32:
		return []byte{0x43, 0, 0, 0, 0}
	case F64:
		return []byte{0x44, 0, 0, 0, 0, 0, 0, 0, 0}
	}
	panic(fmt.Sprintf("wasmbin: no zero of %v", v))
}
