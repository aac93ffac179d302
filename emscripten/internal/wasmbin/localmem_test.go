package wasmbin

import (
	"errors"
	"testing"
)

// memImporter imports env.memory (and a function, so the import section keeps an entry)
// and exports a store and a load through it.
func memImporter(exportMemory bool) []byte {
	var b Builder
	b.ImportFunc("env", "nop", FuncType{})
	b.ImportMemory("env", "memory", Limits{Min: 1, Max: 4, HasMax: true})
	store := b.DefineFunc(FuncType{Params: tI32x2}, nil, Code(LocalGet(0), LocalGet(1), I32Store(0)))
	load := b.DefineFunc(FuncType{Params: tI32, Results: tI32}, nil, Code(LocalGet(0), I32Load(0)))
	b.Export("store", KindFunc, store)
	b.Export("load", KindFunc, load)
	if exportMemory {
		b.Export("mem", KindMemory, 0)
	}
	return b.Bytes()
}

func TestDefineImportedMemory(t *testing.T) {
	for _, tc := range []struct {
		name       string
		exportMem  bool
		exportName string
	}{
		{"adds an export", false, "memory"},
		{"keeps an existing export", true, "mem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := DefineImportedMemory(memImporter(tc.exportMem), "memory")
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range m.Imports {
				if im.Kind == KindMemory {
					t.Fatalf("memory import left: %+v", im)
				}
			}
			if len(m.Imports) != 1 || m.Imports[0].Name != "nop" {
				t.Fatalf("imports = %+v, want only env.nop", m.Imports)
			}
			if len(m.Memories) != 1 || m.Memories[0] != (Limits{Min: 1, Max: 4, HasMax: true}) {
				t.Fatalf("memories = %+v", m.Memories)
			}

			ctx, r := newRuntime(t)
			_, err = r.NewHostModuleBuilder("env").NewFunctionBuilder().WithFunc(func() {}).Export("nop").Instantiate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			mod := instantiate(t, ctx, r, "guest", out)
			call(t, ctx, mod, "store", 100, 0xdecaf)
			if got := call(t, ctx, mod, "load", 100)[0]; got != 0xdecaf {
				t.Fatalf("load = %#x", got)
			}
			mem := mod.ExportedMemory(tc.exportName)
			if mem == nil {
				t.Fatalf("no memory export %q", tc.exportName)
			}
			if v, _ := mem.ReadUint32Le(100); v != 0xdecaf {
				t.Fatalf("memory export reads %#x", v)
			}
			if max, ok := mem.Definition().Max(); !ok || max != 4 {
				t.Fatalf("max = %d, %v", max, ok)
			}
		})
	}
}

func TestDefineImportedMemory_noImport(t *testing.T) {
	var b Builder
	b.DefineMemory(Limits{Min: 1})
	if _, err := DefineImportedMemory(b.Bytes(), "memory"); !errors.Is(err, ErrNoMemoryImport) {
		t.Fatalf("err = %v, want ErrNoMemoryImport", err)
	}
	if _, err := DefineImportedMemory([]byte("junk"), "memory"); err == nil {
		t.Fatal("junk accepted")
	}
}
