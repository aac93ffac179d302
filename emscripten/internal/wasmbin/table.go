package wasmbin

import "fmt"

// HostFunc names an imported function and its exact type. call_indirect
// compares types exactly, so Type must be what the caller expects.
type HostFunc struct {
	Module, Name string
	Type         FuncType
}

// TableSpec describes a TableHelper.
type TableSpec struct {
	// TableModule and TableName locate the funcref table, for pglite the
	// instance's exported __indirect_function_table.
	TableModule, TableName string
	Callbacks              []HostFunc
	// Dyncalls lists the signatures that get a dyncall_<letters> export;
	// duplicates are dropped, and a type LettersFromType cannot express
	// panics.
	Dyncalls []FuncType
}

// TableHelper builds the module that stands in for Emscripten's addFunction
// and dynCall, since wazero has no Go API to write a table entry. Exports:
//
//   - install_<Name>() -> i32 per callback: grows the table by one slot,
//     puts the callback there and returns the slot, or -1 if the table
//     cannot grow;
//   - dyncall_<letters>(idx i32, params...) -> results per signature:
//     call_indirect through the table, the body of an invoke_* import;
//   - grow(n i32) -> i32: grows by n null slots, returns the old size or -1;
//   - clear(idx i32): sets slot idx to null, so a stale pointer traps.
func TableHelper(spec TableSpec) []byte {
	var b Builder
	b.SetName("tablehelper")
	tab := b.ImportTable(spec.TableModule, spec.TableName, 0)
	cbs := make([]uint32, len(spec.Callbacks))
	for i, cb := range spec.Callbacks {
		cbs[i] = b.ImportFunc(cb.Module, cb.Name, cb.Type)
	}
	b.DeclareFuncRefs(cbs...)
	i32 := []ValType{I32}
	for i, cb := range spec.Callbacks {
		body := Code(
			RefNull(), I32Const(1), TableGrow(tab), LocalTee(0),
			I32Const(-1), I32Eq(), If(), I32Const(-1), Return(), End(),
			LocalGet(0), RefFunc(cbs[i]), TableSet(tab),
			LocalGet(0))
		b.Export("install_"+cb.Name, KindFunc, b.DefineFunc(FuncType{Results: i32}, i32, body))
	}
	seen := map[string]bool{}
	for _, t := range spec.Dyncalls {
		name := "dyncall_" + LettersFromType(t)
		if seen[name] {
			continue
		}
		seen[name] = true
		b.Export(name, KindFunc, defineDyncall(&b, tab, t))
	}
	grow := Code(RefNull(), LocalGet(0), TableGrow(tab))
	b.Export("grow", KindFunc, b.DefineFunc(FuncType{Params: i32, Results: i32}, nil, grow))
	clear := Code(LocalGet(0), RefNull(), TableSet(tab))
	b.Export("clear", KindFunc, b.DefineFunc(FuncType{Params: i32}, nil, clear))
	return b.Bytes()
}

// defineDyncall defines (idx i32, params...) -> results that forwards its
// params to the function in slot idx.
func defineDyncall(b *Builder, tab uint32, t FuncType) uint32 {
	if LettersFromType(t) == "" {
		panic(fmt.Sprintf("wasmbin: no Emscripten signature for %v", t))
	}
	var body []byte
	for i := range t.Params {
		body = append(body, LocalGet(uint32(i+1))...)
	}
	body = Code(body, LocalGet(0), CallIndirect(b.TypeIndex(t), tab))
	outer := FuncType{Params: append([]ValType{I32}, t.Params...), Results: t.Results}
	return b.DefineFunc(outer, nil, body)
}

// SlotSpec describes a SlotInstaller.
type SlotSpec struct {
	TableModule, TableName string
	Funcs                  []HostFunc
}

// SlotInstaller builds a module exporting install(base i32), which stores
// Funcs[i] in table slot base+i. The dynamic linker uses it to give a side
// module's functions the slots reserved for it (the table must already be
// large enough, e.g. grown with the TableHelper's grow).
func SlotInstaller(spec SlotSpec) []byte {
	var b Builder
	b.SetName("slotinstaller")
	tab := b.ImportTable(spec.TableModule, spec.TableName, 0)
	fns := make([]uint32, len(spec.Funcs))
	for i, f := range spec.Funcs {
		fns[i] = b.ImportFunc(f.Module, f.Name, f.Type)
	}
	b.DeclareFuncRefs(fns...)
	var body []byte
	for i, f := range fns {
		body = Code(body, LocalGet(0), I32Const(int32(i)), I32Add(), RefFunc(f), TableSet(tab))
	}
	b.Export("install", KindFunc, b.DefineFunc(FuncType{Params: []ValType{I32}}, nil, body))
	return b.Bytes()
}
