package wasmbin

import "testing"

// TestStaticMain links a module shaped like pg_dump.wasm (imported table, stack pointer,
// memory and table bases, a GOT entry) and runs it without any import.
func TestStaticMain(t *testing.T) {
	var b Builder
	b.ImportTable("env", "__indirect_function_table", 2)
	sp := b.ImportGlobal("env", "__stack_pointer", GlobalType{Type: I32, Mutable: true})
	mb := b.ImportGlobal("env", "__memory_base", GlobalType{Type: I32})
	tb := b.ImportGlobal("env", "__table_base", GlobalType{Type: I32})
	hb := b.ImportGlobal("GOT.mem", "__heap_base", GlobalType{Type: I32, Mutable: true})
	own := b.DefineGlobalI32(false, 7)
	sum := b.DefineFunc(FuncType{Results: tI32}, nil, Code(GlobalGet(mb), GlobalGet(tb), I32Add(), GlobalGet(hb), I32Add(), GlobalGet(own), I32Add()))
	b.Export("sum", KindFunc, sum)
	b.Export("sp", KindFunc, b.DefineFunc(FuncType{Results: tI32}, nil, Code(GlobalGet(sp))))
	linked, err := StaticMain(b.Bytes(), StaticMainSpec{
		Globals:  map[string]int32{"__stack_pointer": 5000, "__memory_base": 1024, "__table_base": 1, "__heap_base": 8000},
		TableMin: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(linked)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Imports) != 0 {
		t.Fatalf("imports left: %+v", m.Imports)
	}
	for _, name := range []string{"__indirect_function_table", "__stack_pointer"} {
		found := false
		for _, e := range m.Exports {
			found = found || e.Name == name
		}
		if !found {
			t.Errorf("no export %s", name)
		}
	}
	ctx, r := newRuntime(t)
	mod := instantiate(t, ctx, r, "linked", linked)
	if got := call(t, ctx, mod, "sum")[0]; got != 1024+1+8000+7 {
		t.Fatalf("sum = %d", got)
	}
	if got := call(t, ctx, mod, "sp")[0]; got != 5000 {
		t.Fatalf("sp = %d", got)
	}
	if _, err := StaticMain(b.Bytes(), StaticMainSpec{}); err == nil {
		t.Fatal("linked without the globals' values")
	}
}
