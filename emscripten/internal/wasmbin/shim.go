package wasmbin

// Reexport is one item an EnvShim imports from module From under Name and
// exports again as As. Only the field that matches Kind is used.
type Reexport struct {
	From   string
	Name   string
	As     string
	Kind   ExternKind
	Func   FuncType
	Global GlobalType
	Table  Limits
	Memory Limits
	// Wrap (functions only) exports a wrapper instead of the import itself: it calls the
	// import and then, if the host asked for it (ShimSpec.Rethrow), throws.
	Wrap bool
}

// ConstGlobal is an i32 global the shim defines and exports. GOT.mem and
// GOT.func entries are mutable so the loader can fill them in after
// instantiating the side module that imports them.
type ConstGlobal struct {
	Name    string
	Value   int32
	Mutable bool
}

// TrapFunc is an export that fails loudly when called: it passes ID to the
// trap host function and then executes unreachable. It stands in for an
// import nothing defines, so instantiation succeeds and only a call fails.
type TrapFunc struct {
	Name string
	Type FuncType
	ID   int32
}

// HostFuncRef names an imported function.
type HostFuncRef struct {
	Module, Name string
}

// ShimSpec describes an EnvShim.
type ShimSpec struct {
	Reexports []Reexport
	// Memory, when set, is defined and exported as "memory".
	Memory  *Limits
	Globals []ConstGlobal
	Traps   []TrapFunc
	// TrapHost is the (i32)->() function every trap stub calls with its ID;
	// it is imported only when Traps is not empty.
	TrapHost HostFuncRef
	// Rethrow, on an engine with exception handling, lets a host function continue a
	// longjmp that unwound to it: it sets the flag global and returns, and the wrapper
	// around it (Reexport.Wrap, and every trap stub) clears the flag and throws.
	Rethrow *RethrowSpec
	// Forwards are functions defined before the module that implements them exists: each
	// calls slot i of the table exported as ForwardTable, which that module fills.
	Forwards     []Forward
	ForwardTable string
}

// RethrowSpec says where the rethrow flag and the thrower live. With Define the shim
// defines both (and the exception tag) and exports them as FlagName and ThrowName; otherwise
// it imports them from Module.
type RethrowSpec struct {
	Define              bool
	Module              string
	FlagName, ThrowName string
}

// Forward is one function of ShimSpec.Forwards.
type Forward struct {
	Name string
	Type FuncType
}

// EnvShim builds a module that gathers items from several places under one
// module name. A guest such as pglite.wasm imports its memory and its
// functions from the same module "env", but a wazero host module cannot
// export a memory; instantiating this shim and resolving "env" to it
// (experimental.WithImportResolver) joins Go functions, a guest-defined
// memory and constant globals under one name.
func EnvShim(spec ShimSpec) []byte {
	var b Builder
	b.SetName("envshim")
	type wrapped struct {
		as  string
		raw uint32
		t   FuncType
	}
	var wraps []wrapped
	for _, r := range spec.Reexports {
		idx := importReexport(&b, r)
		if r.Wrap && r.Kind == KindFunc && spec.Rethrow != nil {
			wraps = append(wraps, wrapped{r.As, idx, r.Func})
			continue
		}
		b.Export(r.As, r.Kind, idx)
	}
	var trapHost uint32
	if len(spec.Traps) > 0 {
		trapHost = b.ImportFunc(spec.TrapHost.Module, spec.TrapHost.Name, FuncType{Params: []ValType{I32}})
	}
	var flag, throw uint32
	if rs := spec.Rethrow; rs != nil && !rs.Define {
		flag = b.ImportGlobal(rs.Module, rs.FlagName, GlobalType{Type: I32, Mutable: true})
		throw = b.ImportFunc(rs.Module, rs.ThrowName, FuncType{})
	}
	if spec.Memory != nil {
		b.Export("memory", KindMemory, b.DefineMemory(*spec.Memory))
	}
	for _, g := range spec.Globals {
		b.Export(g.Name, KindGlobal, b.DefineGlobalI32(g.Mutable, g.Value))
	}
	if rs := spec.Rethrow; rs != nil && rs.Define {
		tag := b.DefineTag(nil)
		flag = b.DefineGlobalI32(true, 0)
		b.Export(rs.FlagName, KindGlobal, flag)
		throw = b.DefineFunc(FuncType{}, nil, Throw(tag))
		b.Export(rs.ThrowName, KindFunc, throw)
	}
	// rethrow clears the flag and throws when the host set it.
	rethrow := Code(GlobalGet(flag), If(), I32Const(0), GlobalSet(flag), Call(throw), End())
	for _, w := range wraps {
		var body []byte
		for i := range w.t.Params {
			body = Code(body, LocalGet(uint32(i)))
		}
		body = Code(body, Call(w.raw), rethrow)
		b.Export(w.as, KindFunc, b.DefineFunc(w.t, nil, body))
	}
	for _, t := range spec.Traps {
		body := Code(I32Const(t.ID), Call(trapHost))
		if spec.Rethrow != nil {
			body = Code(body, rethrow)
		}
		b.Export(t.Name, KindFunc, b.DefineFunc(t.Type, nil, Code(body, Unreachable())))
	}
	if len(spec.Forwards) > 0 {
		n := uint32(len(spec.Forwards))
		tab := b.DefineTable(Limits{Min: n, Max: n, HasMax: true})
		b.Export(spec.ForwardTable, KindTable, tab)
		for i, f := range spec.Forwards {
			var body []byte
			for k := range f.Type.Params {
				body = Code(body, LocalGet(uint32(k)))
			}
			body = Code(body, I32Const(int32(i)), CallIndirect(b.TypeIndex(f.Type), tab))
			b.Export(f.Name, KindFunc, b.DefineFunc(f.Type, nil, body))
		}
	}
	return b.Bytes()
}

func importReexport(b *Builder, r Reexport) uint32 {
	switch r.Kind {
	case KindFunc:
		return b.ImportFunc(r.From, r.Name, r.Func)
	case KindTable:
		return b.ImportTableLimits(r.From, r.Name, r.Table)
	case KindMemory:
		b.ImportMemory(r.From, r.Name, r.Memory)
		return b.nMems - 1
	case KindGlobal:
		return b.ImportGlobal(r.From, r.Name, r.Global)
	}
	panic("wasmbin: EnvShim: cannot re-export kind " + r.Kind.String())
}
