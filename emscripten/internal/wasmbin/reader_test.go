package wasmbin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const assetDir = "../../../assets/pglite-0.5.17"

func readAsset(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(assetDir, name))
	if err != nil {
		t.Skipf("asset missing: %v", err)
	}
	return b
}

func findImport(m *Module, module, name string) (Import, bool) {
	for _, im := range m.Imports {
		if im.Module == module && im.Name == name {
			return im, true
		}
	}
	return Import{}, false
}

func TestParse_pglite(t *testing.T) {
	wasm := readAsset(t, "pglite.wasm")
	start := time.Now()
	m, err := Parse(wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("parsed %d bytes in %v", len(wasm), time.Since(start))

	if got := len(m.Imports); got != 136 {
		t.Errorf("imports = %d, want 136", got)
	}
	invokes := 0
	for _, im := range m.Imports {
		if !strings.HasPrefix(im.Name, "invoke_") {
			continue
		}
		invokes++
		target, err := SigFromLetters(strings.TrimPrefix(im.Name, "invoke_"))
		if err != nil {
			t.Fatal(err)
		}
		want := FuncType{Params: append([]ValType{I32}, target.Params...), Results: target.Results}
		if !im.Func.Equal(want) {
			t.Errorf("%s: type %v, want %v", im.Name, im.Func, want)
		}
	}
	if invokes != 56 {
		t.Errorf("invoke_* imports = %d, want 56", invokes)
	}
	mem, ok := findImport(m, "env", "memory")
	if !ok || mem.Kind != KindMemory || mem.Memory != (Limits{Min: 2048, Max: 32768, HasMax: true}) {
		t.Errorf("env.memory = %+v, %v", mem, ok)
	}
	var hasTable bool
	for _, e := range m.Exports {
		hasTable = hasTable || (e.Name == "__indirect_function_table" && e.Kind == KindTable)
	}
	if !hasTable {
		t.Error("no __indirect_function_table export")
	}
	if len(m.ElemSlots) == 0 {
		t.Fatal("no element slots")
	}
	for fn, slot := range m.ElemSlots {
		if slot < 1 || slot > 6993 || fn < m.NumImportedFuncs || int(fn) >= len(m.FuncTypeIdx) {
			t.Fatalf("func %d in slot %d", fn, slot)
		}
	}
	if m.Dylink == nil || m.Dylink.TableSize != 6993 {
		t.Errorf("dylink = %+v", m.Dylink)
	}
	if m.TableMin != 6994 {
		t.Errorf("TableMin = %d, want 6994", m.TableMin)
	}
	if sp, ok := m.exported("__stack_pointer", KindGlobal); !ok || sp != 0 {
		t.Errorf("__stack_pointer export = %d, %v", sp, ok)
	}
	if v, ok := m.ExportedGlobalValue("__heap_base"); !ok || v != 11371232 {
		t.Errorf("__heap_base = %d, %v", v, ok)
	}
	malloc, ok := m.ExportedFunc("malloc")
	if !ok || m.FuncType(malloc).String() != "(i32)->(i32)" {
		t.Errorf("malloc = %d %v %v", malloc, ok, m.FuncType(malloc))
	}
}

func TestParse_initdb(t *testing.T) {
	m, err := Parse(readAsset(t, "initdb.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range m.Imports {
		if im.Kind == KindMemory {
			t.Errorf("unexpected memory import %s.%s", im.Module, im.Name)
		}
	}
	if len(m.Memories) != 1 {
		t.Errorf("defined memories = %v", m.Memories)
	}
	if len(m.Imports) != 45 {
		t.Errorf("imports = %d, want 45", len(m.Imports))
	}
}

// sideModule extracts a file from pglite.data using files.json.
func sideModule(t *testing.T, name string) []byte {
	t.Helper()
	var idx struct {
		Files []struct {
			Filename   string
			Start, End int
		}
	}
	if err := json.Unmarshal(readAsset(t, "files.json"), &idx); err != nil {
		t.Fatal(err)
	}
	data := readAsset(t, "pglite.data")
	for _, f := range idx.Files {
		if f.Filename == name {
			return data[f.Start:f.End]
		}
	}
	t.Fatalf("%s not in files.json", name)
	return nil
}

func TestParse_sideModule(t *testing.T) {
	m, err := Parse(sideModule(t, "/pglite/lib/postgresql/plpgsql.so"))
	if err != nil {
		t.Fatal(err)
	}
	d := m.Dylink
	if d == nil || d.MemSize != 31688 || d.MemAlign != 4 || d.TableSize != 38 {
		t.Fatalf("dylink = %+v", d)
	}
	var gotMem, gotFunc int
	for _, im := range m.Imports {
		switch im.Module {
		case "GOT.mem":
			gotMem++
		case "GOT.func":
			gotFunc++
		}
		if strings.HasPrefix(im.Module, "GOT.") && (im.Kind != KindGlobal || im.Global != GlobalType{I32, true}) {
			t.Errorf("%s.%s = %+v", im.Module, im.Name, im)
		}
	}
	if gotMem != 18 || gotFunc != 33 {
		t.Errorf("GOT.mem %d, GOT.func %d; want 18, 33", gotMem, gotFunc)
	}
	if im, ok := findImport(m, "env", "memory"); !ok || im.Kind != KindMemory {
		t.Error("no env.memory import")
	}
	if im, ok := findImport(m, "env", "__indirect_function_table"); !ok || im.Kind != KindTable || im.Table.Min != 38 {
		t.Errorf("env.__indirect_function_table = %+v", im)
	}
	if im, ok := findImport(m, "env", "__stack_pointer"); !ok || im.Global != (GlobalType{I32, true}) {
		t.Errorf("env.__stack_pointer = %+v", im)
	}
	if !m.HasStart {
		t.Error("no start function")
	}
	if _, ok := m.ExportedFunc("_PG_init"); !ok {
		t.Error("no _PG_init export")
	}
}

func BenchmarkParse_pglite(b *testing.B) {
	wasm := readAsset(b, "pglite.wasm")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(wasm); err != nil {
			b.Fatal(err)
		}
	}
}
