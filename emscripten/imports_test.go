package emscripten

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// assetsDir finds the repository's PGlite assets for tests that read the real modules.
func assetsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("PGLITE_ASSETS_DIR"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if c := filepath.Join(d, "assets", "pglite-0.5.17"); fileExists(filepath.Join(c, "pglite.wasm")) {
			return c
		}
		if filepath.Dir(d) == d {
			t.Fatal("PGlite assets not found: run make assets")
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestImportSignatures: every function PGlite's modules import is provided by a host function
// of exactly the type the module declares. A name with another type silently became a trap
// stub once (_gmtime_js and _localtime_js return an int), so that to_char(now(), 'TZ') failed;
// this keeps the whole class from coming back.
func TestImportSignatures(t *testing.T) {
	dir := assetsDir(t)
	for _, name := range []string{"pglite.wasm", "initdb.wasm"} {
		wasm, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		info, err := wasmbin.Parse(wasm)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, im := range info.Imports {
			if im.Kind != wasmbin.KindFunc || strings.HasPrefix(im.Name, "invoke_") {
				continue
			}
			n++
			hf, ok := hostFuncs[im.Name]
			switch {
			case !ok:
				t.Errorf("%s imports %s.%s %s, which no host function provides", name, im.Module, im.Name, sigString(im.Func))
			case !sameType(hf, im.Func):
				t.Errorf("%s imports %s.%s as %s, but the host declares %s", name, im.Module, im.Name,
					sigString(im.Func), sigString(wasmbin.FuncType{Params: hf.params, Results: hf.results}))
			}
		}
		if n == 0 {
			t.Fatalf("%s: no function imports read", name)
		}
	}
}

func sigString(ft wasmbin.FuncType) string {
	letter := func(ts []wasmbin.ValType) string {
		var b strings.Builder
		for _, v := range ts {
			switch v {
			case wasmbin.I32:
				b.WriteByte('i')
			case wasmbin.I64:
				b.WriteByte('j')
			case wasmbin.F32:
				b.WriteByte('f')
			case wasmbin.F64:
				b.WriteByte('d')
			default:
				b.WriteByte('?')
			}
		}
		return b.String()
	}
	return "(" + letter(ft.Params) + ")->(" + letter(ft.Results) + ")"
}
