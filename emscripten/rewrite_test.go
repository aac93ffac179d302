package emscripten

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// guestWithMemoryImport reads two fields through one pointer, rising offsets, so both
// rewrites have something to do.
func guestWithMemoryImport() []byte {
	var b wasmbin.Builder
	b.ImportMemory("env", "memory", wasmbin.Limits{Min: 1, Max: 2, HasMax: true})
	i32 := []wasmbin.ValType{wasmbin.I32}
	f := b.DefineFunc(wasmbin.FuncType{Params: i32, Results: i32}, nil, wasmbin.Code(
		wasmbin.LocalGet(0), wasmbin.I32Load(0),
		wasmbin.LocalGet(0), wasmbin.I32Load(8),
		wasmbin.I32Add()))
	b.Export("sum", wasmbin.KindFunc, f)
	return b.Bytes()
}

func TestRewriteGuest_cache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rt, err := NewRuntime(ctx, RuntimeConfig{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	in := guestWithMemoryImport()
	sum := sha256.Sum256(in)
	first, key, hoistErr, err := rt.rewriteGuest(in, sum)
	if err != nil || hoistErr != nil {
		t.Fatal(err, hoistErr)
	}
	if bytes.Equal(first, in) {
		t.Fatal("module not rewritten")
	}
	m, err := wasmbin.Parse(first)
	if err != nil || len(m.Memories) != 1 {
		t.Fatalf("rewritten module: %v, memories %v", err, m.Memories)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "rewritten", "*.wasm"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}

	// A second start reads the file; a damaged file is ignored and replaced.
	again, key2, _, err := rt.rewriteGuest(in, sum)
	if err != nil || !bytes.Equal(again, first) || key2 != key || key == "" {
		t.Fatalf("cached rewrite differs: %v (keys %q, %q)", err, key, key2)
	}
	b, _ := os.ReadFile(files[0])
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := readChecked(files[0]); ok {
		t.Fatal("damaged cache file accepted")
	}
	again, _, _, err = rt.rewriteGuest(in, sum)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("rewrite after damage differs: %v", err)
	}
	if got, ok := readChecked(files[0]); !ok || !bytes.Equal(got, first) {
		t.Fatal("damaged cache file not replaced")
	}

	// Without a cache directory the result is the same.
	plain, err := NewRuntime(ctx, RuntimeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close(ctx)
	if got, _, _, err := plain.rewriteGuest(in, sum); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("uncached rewrite differs: %v", err)
	}
}
