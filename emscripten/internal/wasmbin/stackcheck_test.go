package wasmbin

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// stackCheckModule instantiates a check_stack_depth that counts its calls (global "calls")
// with AddStackCheck's prefix, whose check function always says the stack is low; thrown
// counts the rethrows.
func stackCheckModule(t *testing.T, every uint32) (context.Context, api.Module, *int) {
	var b Builder
	b.ImportFunc("env", "_emscripten_throw_longjmp", FuncType{})
	tab := b.DefineTable(Limits{Min: 4})
	b.Export("__indirect_function_table", KindTable, tab)
	g := b.DefineGlobalI32(true, 0)
	b.Export("calls", KindGlobal, g)
	b.Export("check_stack_depth", KindFunc, b.DefineFunc(FuncType{}, nil, Code(GlobalGet(g), I32Const(1), I32Add(), GlobalSet(g))))
	low := b.DefineFunc(FuncType{Results: tI32}, nil, I32Const(1))
	raise := b.DefineFunc(FuncType{Results: tI32}, nil, I32Const(1))
	b.ActiveElems(tab, 1, low, raise)
	out, err := AddStackCheck(b.Bytes(), StackCheckSpec{Func: "check_stack_depth", SlotExport: "slot", RaiseExport: "raise",
		Throw: "_emscripten_throw_longjmp", Every: every})
	if err != nil {
		t.Fatal(err)
	}
	ctx, r := newRuntime(t)
	thrown := new(int)
	if _, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithFunc(func() { *thrown++ }).Export("_emscripten_throw_longjmp").Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	cm, err := r.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("g"))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, m, thrown
}

// TestAddStackCheck runs a rewritten check_stack_depth on wazero: with both slots 0 it does
// what it did; with a check that says "low" it calls raise, and when raise returns 1 it calls
// the thrower; every original index still works.
func TestAddStackCheck(t *testing.T) {
	ctx, m, th := stackCheckModule(t, 0)
	thrown := func() int { return *th }
	call(t, ctx, m, "check_stack_depth")
	if thrown() != 0 || m.ExportedGlobal("calls").Get() != 1 {
		t.Fatalf("with empty slots: thrown %d, calls %d", thrown(), m.ExportedGlobal("calls").Get())
	}
	m.ExportedGlobal("slot").(api.MutableGlobal).Set(1)
	m.ExportedGlobal("raise").(api.MutableGlobal).Set(2)
	call(t, ctx, m, "check_stack_depth")
	if thrown() != 1 || m.ExportedGlobal("calls").Get() != 2 {
		t.Fatalf("with a low stack: thrown %d, calls %d", thrown(), m.ExportedGlobal("calls").Get())
	}
}

// TestAddStackCheck_every: with Every 4 the host is asked on the first call and then on
// every fourth, and the function itself runs every time.
func TestAddStackCheck_every(t *testing.T) {
	ctx, m, thrown := stackCheckModule(t, 4)
	m.ExportedGlobal("slot").(api.MutableGlobal).Set(1)
	m.ExportedGlobal("raise").(api.MutableGlobal).Set(2)
	for range 9 {
		call(t, ctx, m, "check_stack_depth")
	}
	if *thrown != 3 || m.ExportedGlobal("calls").Get() != 9 {
		t.Fatalf("9 calls: thrown %d (want 3: calls 1, 5 and 9), body ran %d times", *thrown, m.ExportedGlobal("calls").Get())
	}
}
