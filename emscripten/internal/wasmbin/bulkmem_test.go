package wasmbin

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// bulkModule defines a memory (one page, exported) and exports fill and copy, which run the
// instructions themselves.
func bulkModule() []byte {
	b := &Builder{}
	b.DefineMemory(Limits{Min: 1})
	b.Export("mem", KindMemory, 0)
	t := FuncType{Params: []ValType{I32, I32, I32}}
	fill := b.DefineFunc(t, nil, Code(LocalGet(0), LocalGet(1), LocalGet(2), []byte{opPrefixFC, subMemoryFill, 0}))
	cp := b.DefineFunc(t, nil, Code(LocalGet(0), LocalGet(1), LocalGet(2), []byte{opPrefixFC, subMemoryCopy, 0, 0}))
	b.Export("fill", KindFunc, fill)
	b.Export("copy", KindFunc, cp)
	return b.Bytes()
}

// TestInlineSmallBulkMemory: the rewritten fill and copy leave memory exactly as the
// instructions do, for lengths on both sides of the limit and for every kind of overlap,
// and both instructions are replaced.
func TestInlineSmallBulkMemory(t *testing.T) {
	orig := bulkModule()
	const limit = 64
	rewritten, fills, copies, err := InlineSmallBulkMemory(orig, limit)
	if err != nil {
		t.Fatal(err)
	}
	if fills != 1 || copies != 1 {
		t.Fatalf("replaced %d fills and %d copies, want 1 and 1", fills, copies)
	}
	ctx, r := newRuntime(t)
	want := instantiate(t, ctx, r, "orig", orig)
	got := instantiate(t, ctx, r, "rewritten", rewritten)
	seed := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range seed {
		seed[i] = byte(rng.Uint32())
	}
	want.Memory().Write(0, seed)
	got.Memory().Write(0, seed)
	for i := 0; i < 20000; i++ {
		n := uint64(rng.IntN(2*limit + 2))
		dst := uint64(1000 + rng.IntN(200))
		src := dst + uint64(rng.IntN(2*limit+1)) - limit // overlapping either way, or not
		if i%2 == 0 {
			v := uint64(rng.Uint32()) // only its low byte counts
			call(t, ctx, want, "fill", dst, v, n)
			call(t, ctx, got, "fill", dst, v, n)
		} else {
			call(t, ctx, want, "copy", dst, src, n)
			call(t, ctx, got, "copy", dst, src, n)
		}
		a, _ := want.Memory().Read(0, 4096)
		b, _ := got.Memory().Read(0, 4096)
		if !bytes.Equal(a, b) {
			t.Fatalf("step %d (dst %d src %d len %d): memory differs", i, dst, src, n)
		}
	}
	// Out of bounds still traps.
	if _, err := got.ExportedFunction("fill").Call(ctx, 65530, 1, 10); err == nil {
		t.Fatal("a fill past the memory's end did not trap")
	}
	if _, err := got.ExportedFunction("copy").Call(ctx, 0, 65530, 10); err == nil {
		t.Fatal("a copy from past the memory's end did not trap")
	}
}

// TestInlineSmallBulkMemory_pglite: the pass reads all of PostgreSQL's module (an
// instruction it does not know would leave the module as it is) and replaces the hundreds
// of fills and copies in it; the bridge tests run PostgreSQL on the result.
func TestInlineSmallBulkMemory_pglite(t *testing.T) {
	orig := pgliteWasm(t)
	out, fills, copies, err := InlineSmallBulkMemory(orig, 128)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d fills and %d copies replaced, %d -> %d bytes", fills, copies, len(orig), len(out))
	if fills < 100 || copies < 100 {
		t.Fatalf("only %d fills and %d copies replaced", fills, copies)
	}
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := Parse(orig)
	if len(m.FuncTypeIdx) != len(before.FuncTypeIdx)+2 || len(m.Exports) != len(before.Exports) {
		t.Fatalf("%d functions and %d exports, was %d and %d", len(m.FuncTypeIdx), len(m.Exports), len(before.FuncTypeIdx), len(before.Exports))
	}
}
