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
	for _, r := range spec.Reexports {
		b.Export(r.As, r.Kind, importReexport(&b, r))
	}
	var trapHost uint32
	if len(spec.Traps) > 0 {
		trapHost = b.ImportFunc(spec.TrapHost.Module, spec.TrapHost.Name, FuncType{Params: []ValType{I32}})
	}
	if spec.Memory != nil {
		b.Export("memory", KindMemory, b.DefineMemory(*spec.Memory))
	}
	for _, g := range spec.Globals {
		b.Export(g.Name, KindGlobal, b.DefineGlobalI32(g.Mutable, g.Value))
	}
	for _, t := range spec.Traps {
		body := Code(I32Const(t.ID), Call(trapHost), Unreachable())
		b.Export(t.Name, KindFunc, b.DefineFunc(t.Type, nil, body))
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
