package wasmbin

import "testing"

// Fuzz_parse checks that Parse returns an error, never panics, on arbitrary
// input, since side modules come from a data bundle the host does not trust.
func Fuzz_parse(f *testing.F) {
	f.Add(EnvShim(ShimSpec{
		Reexports: []Reexport{{From: "h", Name: "f", As: "f", Kind: KindFunc, Func: FuncType{Params: tI32}}},
		Memory:    &Limits{Min: 1},
		Globals:   []ConstGlobal{{Name: "g", Value: 3, Mutable: true}},
		Traps:     []TrapFunc{{Name: "t", Type: FuncType{}, ID: 1}},
		TrapHost:  HostFuncRef{"h", "trap"},
	}))
	f.Add(TableHelper(TableSpec{TableModule: "m", TableName: "t",
		Callbacks: []HostFunc{{"h", "cb", FuncType{Params: tI32x2, Results: tI32}}},
		Dyncalls:  []FuncType{{Params: []ValType{I64}}}}))
	f.Add(elemModule())
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x0a\x08dylink.0\x01\x00"))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		m, err := Parse(wasm)
		if err == nil {
			for i := range m.FuncTypeIdx {
				_ = m.FuncType(uint32(i))
			}
			for _, e := range m.Exports {
				m.ExportedGlobalValue(e.Name)
			}
		}
	})
}
