package wasmbin

import (
	"math"
	"testing"
)

func TestLEB128(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 624485, math.MaxUint32} {
		got, n, err := decodeU64(appendU32(nil, v), 32)
		if err != nil || uint32(got) != v || n != len(appendU32(nil, v)) {
			t.Errorf("u32 %d: got %d (%d bytes), %v", v, got, n, err)
		}
	}
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, -123456, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64} {
		got, _, err := decodeS64(appendS64(nil, v), 64)
		if err != nil || got != v {
			t.Errorf("s64 %d: got %d, %v", v, got, err)
		}
	}
	if _, _, err := decodeU64([]byte{0x80, 0x80, 0x80, 0x80, 0x10}, 32); err == nil {
		t.Error("33-bit u32 accepted")
	}
	if _, _, err := decodeU64([]byte{0x80, 0x80}, 32); err == nil {
		t.Error("truncated LEB128 accepted")
	}
}

func TestSigLetters(t *testing.T) {
	tests := []struct {
		letters string
		typ     string
	}{
		{"v", "()->()"},
		{"viij", "(i32,i32,i64)->()"},
		{"jij", "(i32,i64)->(i64)"},
		{"di", "(i32)->(f64)"},
		{"vfd", "(f32,f64)->()"},
	}
	for _, tt := range tests {
		t.Run(tt.letters, func(t *testing.T) {
			ft, err := SigFromLetters(tt.letters)
			if err != nil || ft.String() != tt.typ {
				t.Fatalf("SigFromLetters = %v, %v; want %s", ft, err, tt.typ)
			}
			if back := LettersFromType(ft); back != tt.letters {
				t.Errorf("LettersFromType = %q", back)
			}
		})
	}
	if ft, _ := SigFromLetters("ppp"); ft.String() != "(i32,i32)->(i32)" {
		t.Errorf("ppp = %v", ft)
	}
	for _, bad := range []string{"", "x", "vv", "iq"} {
		if _, err := SigFromLetters(bad); err == nil {
			t.Errorf("SigFromLetters(%q) accepted", bad)
		}
	}
	if s := LettersFromType(FuncType{Results: []ValType{I32, I32}}); s != "" {
		t.Errorf("multi-value letters = %q", s)
	}
}

// TestBuilder_roundTrip checks that Parse reads back what the Builder wrote.
func TestBuilder_roundTrip(t *testing.T) {
	var b Builder
	ft := FuncType{Params: []ValType{I32, I64}, Results: []ValType{F64}}
	f0 := b.ImportFunc("env", "f", ft)
	b.ImportMemory("env", "memory", Limits{Min: 2, Max: 9, HasMax: true})
	tab := b.ImportTable("env", "table", 3)
	g0 := b.ImportGlobal("env", "sp", GlobalType{Type: I32, Mutable: true})
	f1 := b.ImportFunc("env", "g", ft)
	g1 := b.DefineGlobalI32(false, -5)
	g2 := b.DefineGlobalI32(true, 1<<30)
	f2 := b.DefineFunc(FuncType{Results: []ValType{I32}}, []ValType{I32, I32, I64}, Code(LocalGet(0)))
	b.Export("c", KindGlobal, g1)
	b.Export("d", KindGlobal, g2)
	b.Export("sp", KindGlobal, g0)
	b.Export("h", KindFunc, f2)
	b.Export("tab", KindTable, tab)
	b.DeclareFuncRefs(f0, f1)
	if b.TypeIndex(ft) != 0 || f0 != 0 || f1 != 1 || f2 != 2 || g1 != 1 {
		t.Fatalf("indices: type %d funcs %d %d %d global %d", b.TypeIndex(ft), f0, f1, f2, g1)
	}

	m, err := Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Types) != 2 || m.NumImportedFuncs != 2 || m.NumImportedGlobals != 1 || len(m.Imports) != 5 {
		t.Fatalf("module = %+v", m)
	}
	if m.FuncType(f1).String() != ft.String() || m.FuncType(f2).String() != "()->(i32)" || m.FuncType(99).String() != "()->()" {
		t.Errorf("func types %v %v", m.FuncType(f1), m.FuncType(f2))
	}
	if v, ok := m.ExportedGlobalValue("c"); !ok || v != -5 {
		t.Errorf("c = %d, %v", v, ok)
	}
	if v, ok := m.ExportedGlobalValue("d"); !ok || v != 1<<30 {
		t.Errorf("d = %d, %v", v, ok)
	}
	if _, ok := m.ExportedGlobalValue("sp"); ok {
		t.Error("imported global reported a value")
	}
	if idx, ok := m.ExportedFunc("h"); !ok || idx != f2 {
		t.Errorf("h = %d, %v", idx, ok)
	}
	if m.Imports[1].Memory != (Limits{2, 9, true}) || m.Imports[2].Table.Min != 3 || !m.Imports[3].Global.Mutable {
		t.Errorf("imports = %+v", m.Imports)
	}
	if len(m.ElemSlots) != 0 {
		t.Errorf("declarative segment produced slots %v", m.ElemSlots)
	}
}

func TestBuilder_importAfterDefinePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	var b Builder
	b.DefineMemory(Limits{Min: 1})
	b.ImportFunc("env", "late", FuncType{})
}

// elemModule hand-assembles element segments of the encodings Emscripten
// and other toolchains emit, which the Builder does not write.
func elemModule() []byte {
	var b Builder
	fn := FuncType{}
	for i := 0; i < 4; i++ {
		b.DefineFunc(fn, nil, nil)
	}
	b.DefineTable(Limits{Min: 20})
	out := b.Bytes()
	seg := appendU32(nil, 4)
	// flags 0: offset 1, funcs 0,1
	seg = append(seg, 0, opI32Const, 1, opEnd, 2, 0, 1)
	// flags 2: table 0, offset 5, elemkind, funcs 2,0 (0 keeps slot 1)
	seg = append(seg, 2, 0, opI32Const, 5, opEnd, 0, 2, 2, 0)
	// flags 4: offset 10, exprs ref.func 3, ref.null
	seg = append(seg, 4, opI32Const, 10, opEnd, 2, opRefFunc, 3, opEnd, opRefNull, 0x70, opEnd)
	// flags 1: passive, ignored
	seg = append(seg, 1, 0, 1, 3)
	// The element section must precede the code section: splice it in.
	return spliceBefore(out, secCode, appendSection(nil, secElem, seg))
}

// spliceBefore inserts a section before the first section with id.
func spliceBefore(wasm []byte, id byte, section []byte) []byte {
	c := &cursor{p: wasm, off: 8}
	for c.remaining() > 0 {
		start := c.off
		sid := c.byte()
		c.sub(c.u32())
		if sid == id {
			return append(append(append([]byte{}, wasm[:start]...), section...), wasm[start:]...)
		}
	}
	return append(wasm, section...)
}

func TestParse_elemSegments(t *testing.T) {
	m, err := Parse(elemModule())
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]uint32{0: 1, 1: 2, 2: 5, 3: 10}
	if len(m.ElemSlots) != len(want) {
		t.Fatalf("slots = %v, want %v", m.ElemSlots, want)
	}
	for f, s := range want {
		if m.ElemSlots[f] != s {
			t.Errorf("func %d slot %d, want %d", f, m.ElemSlots[f], s)
		}
	}
	if m.TableMin != 20 {
		t.Errorf("TableMin = %d", m.TableMin)
	}
}

func TestParse_dylink(t *testing.T) {
	var p []byte
	p = appendName(p, "dylink.0")
	mem := appendU32(appendU32(appendU32(appendU32(nil, 300), 3), 7), 0)
	p = appendSubsection(p, dylinkMemInfo, mem)
	p = appendSubsection(p, dylinkNeeded, appendName(appendName(appendU32(nil, 2), "libA.so"), "libB.so"))
	p = appendSubsection(p, 99, []byte{1, 2, 3})
	exp := appendU32(appendName(appendU32(appendName(appendU32(nil, 2), "tls_var"), symTLS), "plain"), 0)
	p = appendSubsection(p, dylinkExportInfo, exp)
	imp := appendU32(nil, 2)
	imp = appendU32(appendName(appendName(imp, "env"), "weak_fn"), symBindingWeak)
	imp = appendU32(appendName(appendName(imp, "GOT.mem"), "strong"), 0)
	p = appendSubsection(p, dylinkImportInfo, imp)
	wasm := appendSection([]byte("\x00asm\x01\x00\x00\x00"), secCustom, p)

	m, err := Parse(wasm)
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dylink
	if d.MemSize != 300 || d.MemAlign != 3 || d.TableSize != 7 || len(d.Needed) != 2 || d.Needed[1] != "libB.so" {
		t.Errorf("dylink = %+v", d)
	}
	if !d.ExportTLS["tls_var"] || d.ExportTLS["plain"] || len(d.ExportTLS) != 1 {
		t.Errorf("ExportTLS = %v", d.ExportTLS)
	}
	if !d.WeakImports[[2]string{"env", "weak_fn"}] || len(d.WeakImports) != 1 {
		t.Errorf("WeakImports = %v", d.WeakImports)
	}
}
