package wasmbin

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

var (
	tI32   = []ValType{I32}
	tI32x2 = []ValType{I32, I32}
)

func newRuntime(t *testing.T) (context.Context, wazero.Runtime) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	t.Cleanup(func() { r.Close(ctx) })
	return ctx, r
}

func instantiate(t *testing.T, ctx context.Context, r wazero.Runtime, name string, wasm []byte) api.Module {
	t.Helper()
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(name))
	if err != nil {
		t.Fatalf("instantiate %s: %v", name, err)
	}
	return mod
}

func call(t *testing.T, ctx context.Context, m api.Module, fn string, args ...uint64) []uint64 {
	t.Helper()
	f := m.ExportedFunction(fn)
	if f == nil {
		t.Fatalf("%s: no export %s", m.Name(), fn)
	}
	res, err := f.Call(ctx, args...)
	if err != nil {
		t.Fatalf("%s.%s: %v", m.Name(), fn, err)
	}
	return res
}

func TestEnvShim_reexport(t *testing.T) {
	ctx, r := newRuntime(t)
	var trapped []int32
	_, err := r.NewHostModuleBuilder("hostenv").
		NewFunctionBuilder().WithFunc(func(a, b uint32) uint32 { return a + 10*b }).Export("add").
		NewFunctionBuilder().WithFunc(func(id int32) { trapped = append(trapped, id) }).Export("trap").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addT := FuncType{Params: tI32x2, Results: tI32}
	shim := instantiate(t, ctx, r, "shim", EnvShim(ShimSpec{
		Reexports: []Reexport{{From: "hostenv", Name: "add", As: "add", Kind: KindFunc, Func: addT}},
		Memory:    &Limits{Min: 1, Max: 4, HasMax: true},
		Globals:   []ConstGlobal{{Name: "__memory_base", Value: 1024}},
		Traps:     []TrapFunc{{Name: "missing", Type: FuncType{Params: tI32, Results: tI32}, ID: 7}},
		TrapHost:  HostFuncRef{Module: "hostenv", Name: "trap"},
	}))

	// The guest imports everything from "env", which the resolver maps to
	// the shim; run() stores add(2,3) at __memory_base and calls missing().
	var g Builder
	g.ImportMemory("env", "memory", Limits{Min: 1})
	add := g.ImportFunc("env", "add", addT)
	missing := g.ImportFunc("env", "missing", FuncType{Params: tI32, Results: tI32})
	base := g.ImportGlobal("env", "__memory_base", GlobalType{Type: I32})
	g.Export("run", KindFunc, g.DefineFunc(FuncType{}, nil, Code(
		GlobalGet(base), I32Const(2), I32Const(3), Call(add), I32Store(0))))
	g.Export("fail", KindFunc, g.DefineFunc(FuncType{Results: tI32}, nil, Code(I32Const(0), Call(missing))))

	rctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == "env" {
			return shim
		}
		return nil
	})
	cm, err := r.CompileModule(ctx, g.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	guest, err := r.InstantiateModule(rctx, cm, wazero.NewModuleConfig().WithName("guest"))
	if err != nil {
		t.Fatal(err)
	}
	call(t, ctx, guest, "run")
	if v, ok := shim.Memory().ReadUint32Le(1024); !ok || v != 32 {
		t.Errorf("memory[1024] = %d, %v; want 32", v, ok)
	}
	if guest.Memory() == nil || guest.Memory().Size() != shim.Memory().Size() {
		t.Error("guest does not see the shim's memory")
	}

	if _, err := guest.ExportedFunction("fail").Call(ctx); err == nil {
		t.Error("trap stub returned normally")
	} else {
		t.Logf("trap stub error: %v", err)
	}
	if len(trapped) != 1 || trapped[0] != 7 {
		t.Errorf("trap host saw %v, want [7]", trapped)
	}
}

func TestEnvShim_got(t *testing.T) {
	ctx, r := newRuntime(t)
	got := instantiate(t, ctx, r, "GOT.mem", EnvShim(ShimSpec{
		Globals: []ConstGlobal{{Name: "foo", Value: -1, Mutable: true}, {Name: "bar", Value: -1, Mutable: true}},
	}))
	foo, ok := got.ExportedGlobal("foo").(api.MutableGlobal)
	if !ok {
		t.Fatal("GOT.mem.foo is not mutable")
	}
	if v := int32(foo.Get()); v != -1 {
		t.Errorf("initial foo = %d", v)
	}
	foo.Set(api.EncodeI32(4242))

	var g Builder
	gf := g.ImportGlobal("GOT.mem", "foo", GlobalType{Type: I32, Mutable: true})
	gb := g.ImportGlobal("GOT.mem", "bar", GlobalType{Type: I32, Mutable: true})
	g.Export("get", KindFunc, g.DefineFunc(FuncType{Results: tI32}, nil, GlobalGet(gf)))
	g.Export("setbar", KindFunc, g.DefineFunc(FuncType{Params: tI32}, nil, Code(LocalGet(0), GlobalSet(gb))))
	guest := instantiate(t, ctx, r, "side", g.Bytes())
	if v := int32(call(t, ctx, guest, "get")[0]); v != 4242 {
		t.Errorf("guest sees foo = %d, want 4242", v)
	}
	foo.Set(api.EncodeI32(7))
	if v := int32(call(t, ctx, guest, "get")[0]); v != 7 {
		t.Errorf("guest sees foo = %d after second Set, want 7", v)
	}
	call(t, ctx, guest, "setbar", api.EncodeI32(99))
	if v := int32(got.ExportedGlobal("bar").Get()); v != 99 {
		t.Errorf("host sees bar = %d, want 99", v)
	}
}

func TestEnvShim_reexportAllKinds(t *testing.T) {
	ctx, r := newRuntime(t)
	var src Builder
	src.Export("tab", KindTable, src.DefineTable(Limits{Min: 3}))
	src.Export("mem", KindMemory, src.DefineMemory(Limits{Min: 1}))
	src.Export("sp", KindGlobal, src.DefineGlobalI32(true, 65536))
	instantiate(t, ctx, r, "main", src.Bytes())
	shim := instantiate(t, ctx, r, "env", EnvShim(ShimSpec{Reexports: []Reexport{
		{From: "main", Name: "tab", As: "__indirect_function_table", Kind: KindTable, Table: Limits{Min: 1}},
		{From: "main", Name: "mem", As: "memory", Kind: KindMemory, Memory: Limits{Min: 1}},
		{From: "main", Name: "sp", As: "__stack_pointer", Kind: KindGlobal, Global: GlobalType{I32, true}},
	}}))
	sp, ok := shim.ExportedGlobal("__stack_pointer").(api.MutableGlobal)
	if !ok || sp.Get() != 65536 {
		t.Fatalf("re-exported __stack_pointer = %v", shim.ExportedGlobal("__stack_pointer"))
	}
	m, err := Parse(EnvShim(ShimSpec{Reexports: []Reexport{
		{From: "main", Name: "tab", As: "t", Kind: KindTable, Table: Limits{Min: 1}}}}))
	if err != nil || len(m.Imports) != 1 || m.Imports[0].Table.Min != 1 || m.Exports[0].Kind != KindTable {
		t.Errorf("parse shim: %+v, %v", m, err)
	}
}
