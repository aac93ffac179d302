package emscripten

import (
	"context"
	"testing"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// invokeGuest is a tiny Emscripten-like main module: run(slot) calls table slot slot through
// invoke_vi; slot 1 longjmps (after moving the stack pointer), slot 2 reaches slot 1 through
// a host function (__call_sighandler), so its longjmp starts inside a nested call from Go;
// slot 3 moves the stack pointer and calls exit(7).
// run returns threw*1000 + the stack pointer after the invoke.
func invokeGuest() []byte {
	var b wasmbin.Builder
	i32 := wasmbin.I32
	invoke := b.ImportFunc("env", "invoke_vi", wasmbin.FuncType{Params: []wasmbin.ValType{i32, i32}})
	throw := b.ImportFunc("env", "_emscripten_throw_longjmp", wasmbin.FuncType{})
	sig := b.ImportFunc("env", "__call_sighandler", wasmbin.FuncType{Params: []wasmbin.ValType{i32, i32}})
	exit := b.ImportFunc("env", "exit", wasmbin.FuncType{Params: []wasmbin.ValType{i32}})
	b.Export("memory", wasmbin.KindMemory, b.DefineMemory(wasmbin.Limits{Min: 1}))
	sp := b.DefineGlobalI32(true, 1000)
	threw := b.DefineGlobalI32(true, 0)
	b.Export("__stack_pointer", wasmbin.KindGlobal, sp)
	tab := b.DefineTable(wasmbin.Limits{Min: 4})
	b.Export("__indirect_function_table", wasmbin.KindTable, tab)
	b.Export("setThrew", wasmbin.KindFunc, b.DefineFunc(wasmbin.FuncType{Params: []wasmbin.ValType{i32, i32}}, nil,
		wasmbin.Code(wasmbin.LocalGet(0), wasmbin.GlobalSet(threw))))
	vi := wasmbin.FuncType{Params: []wasmbin.ValType{i32}}
	thrower := b.DefineFunc(vi, nil, wasmbin.Code(wasmbin.I32Const(5), wasmbin.GlobalSet(sp), wasmbin.Call(throw)))
	viaHost := b.DefineFunc(vi, nil, wasmbin.Code(wasmbin.I32Const(1), wasmbin.LocalGet(0), wasmbin.Call(sig)))
	exiter := b.DefineFunc(vi, nil, wasmbin.Code(wasmbin.I32Const(5), wasmbin.GlobalSet(sp), wasmbin.LocalGet(0), wasmbin.Call(exit)))
	b.ActiveElems(tab, 1, thrower, viaHost, exiter)
	b.Export("run", wasmbin.KindFunc, b.DefineFunc(wasmbin.FuncType{Params: []wasmbin.ValType{i32}, Results: []wasmbin.ValType{i32}}, nil,
		wasmbin.Code(wasmbin.I32Const(0), wasmbin.GlobalSet(threw),
			wasmbin.LocalGet(0), wasmbin.I32Const(7), wasmbin.Call(invoke),
			wasmbin.GlobalGet(threw), wasmbin.I32Const(1000), []byte{0x6c}, // i32.mul
			wasmbin.GlobalGet(sp), wasmbin.I32Add())))
	return b.Bytes()
}

// TestInvokeLongjmp runs invoke_* on every engine: in wasm (try_table) on wasmtime, through
// the host on wazero. A longjmp thrown below the invoke, and one thrown inside a nested call
// from a host function, both end in the invoke frame with the stack pointer restored and
// setThrew(1, 0) called.
func TestInvokeLongjmp(t *testing.T) {
	engines := []string{EngineWazero}
	if WasmtimeAvailable {
		engines = append(engines, EngineWasmtime)
	}
	for _, name := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rt, err := NewRuntime(ctx, RuntimeConfig{Engine: name})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(ctx)
			m, err := rt.Compile(ctx, "invoke-test", invokeGuest())
			if err != nil {
				t.Fatal(err)
			}
			if (m.invoke != nil) != (name == EngineWasmtime) {
				t.Fatalf("invoke module %v on %s", m.invoke != nil, name)
			}
			p, err := rt.NewProcess(ctx, m, ProcessConfig{Name: "t"})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for _, slot := range []uint64{1, 2, 1} {
				got, err := p.Call("run", slot)
				if err != nil || got != 2000 {
					t.Fatalf("run(%d) = %d, %v; want 2000 (threw 1, stack pointer 1000)", slot, got, err)
				}
			}
			if _, err := p.Call("run", 3); err == nil {
				t.Fatal("exit did not unwind")
			} else if st, ok := ExitStatus(err); !ok || st != 7 || p.StackPointer() != 1000 {
				t.Fatalf("exit: %v, stack pointer %d; want exit(7) and 1000", err, p.StackPointer())
			}
			if d := p.wasmInvokeDepth(); d != 0 {
				t.Fatalf("%d wasm invoke frames counted after the exit unwound them", d)
			}
			if got, err := p.Call("run", 2); err != nil || got != 2000 {
				t.Fatalf("run(2) after exit = %d, %v", got, err)
			}
		})
	}
}
