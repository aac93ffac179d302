package emscripten

import (
	"context"
	"errors"
	"runtime/debug"
	"testing"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// TestEngines checks, on every engine in the build, what the rest of the package relies on:
// results in wazero's encoding, a host panic unwinding the wasm frames to the Go call as an
// error that errors.As finds, and the engine's stack running out as *StackOverflowError.
func TestEngines(t *testing.T) {
	engines := []string{EngineWazero}
	if WasmtimeAvailable {
		engines = append(engines, EngineWasmtime)
	}
	var b wasmbin.Builder
	b.SetName("enginetest")
	jmp := b.ImportFunc(hostModuleName, "_emscripten_throw_longjmp", wasmbin.FuncType{})
	i32 := []wasmbin.ValType{wasmbin.I32}
	b.Export("sub", wasmbin.KindFunc, b.DefineFunc(wasmbin.FuncType{Params: []wasmbin.ValType{wasmbin.I32, wasmbin.I32}, Results: i32}, nil,
		wasmbin.Code(wasmbin.LocalGet(0), wasmbin.LocalGet(1), []byte{0x6b}))) // i32.sub
	b.Export("jump", wasmbin.KindFunc, b.DefineFunc(wasmbin.FuncType{}, nil, wasmbin.Code(wasmbin.Call(jmp))))
	rec := b.DefineFunc(wasmbin.FuncType{}, nil, wasmbin.Code(wasmbin.Call(jmp+3)))
	b.Export("rec", wasmbin.KindFunc, rec)
	wasm := b.Bytes()
	for _, name := range engines {
		t.Run(name, func(t *testing.T) {
			rt, err := NewRuntime(context.Background(), RuntimeConfig{Engine: name})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close(context.Background())
			if rt.Engine() != name {
				t.Fatalf("engine %s, want %s", rt.Engine(), name)
			}
			c, err := rt.compileBytes(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			p := &Process{ctx: context.Background()}
			st, err := rt.eng.newStore(p)
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			inst, err := st.instantiate(c, func(string) instance { return nil })
			if err != nil {
				t.Fatal(err)
			}
			sub := inst.function("sub")
			stack := []uint64{1, 2}
			if err := sub.call(stack); err != nil || stack[0] != 0xffffffff {
				t.Fatalf("sub(1, 2) = %#x, %v; want 0xffffffff (an i32 zero-extended)", stack[0], err)
			}
			var lj longjmpSignal
			if err := inst.function("jump").call(make([]uint64, 1)); !errors.As(err, &lj) {
				t.Fatalf("a host panic came back as %v", err)
			}
			if err := inst.function("rec").call(make([]uint64, 1)); !isStackOverflow(err) {
				t.Fatalf("deep recursion came back as %v", err)
			}
			// The store stays usable after both.
			stack = []uint64{7, 5}
			if err := sub.call(stack); err != nil || stack[0] != 2 {
				t.Fatalf("sub(7, 5) after traps = %d, %v", stack[0], err)
			}
		})
	}
}

// TestEngineVersion keeps the reported wazero release in step with go.mod, and checks that
// every engine in the build names one.
func TestEngineVersion(t *testing.T) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/tetratelabs/wazero" && d.Version != wazeroVersion {
				t.Fatalf("go.mod has wazero %s, EngineVersion says %s", d.Version, wazeroVersion)
			}
		}
	}
	if EngineVersion(EngineWazero) == "" || (WasmtimeAvailable && EngineVersion(EngineWasmtime) == "") {
		t.Fatal("an engine in the build has no version")
	}
	if want := map[bool]string{true: EngineWasmtime, false: EngineWazero}[WasmtimeAvailable]; DefaultEngine() != want {
		t.Fatalf("DefaultEngine() = %s, want %s", DefaultEngine(), want)
	}
	if _, err := ResolveEngine("v8"); err == nil {
		t.Fatal("an unknown engine name was accepted")
	}
}
