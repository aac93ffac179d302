package wasmbin

import (
	"bytes"
	"testing"
)

// Opcodes the test's functions use beyond the package's own.
const (
	tNop     = 0x01
	tI32Mul  = 0x6c
	tI64Eqz  = 0x50
	tI64Add  = 0x7c
	tI64Sub  = 0x7d
	tI32Wrap = 0xa7
)

// inlineModule exports main, which calls small functions of every shape the inliner
// handles: an early return from inside an if, a local that must read zero on every call
// (also from inside a loop of the caller), a function without result that returns early, a
// loop over i64 locals, a recursive function, and one too long to inline.
func inlineModule() (wasm []byte, inlinable int) {
	b := &Builder{}
	g := b.DefineGlobalI32(true, 0)
	ii := FuncType{Params: []ValType{I32, I32}, Results: []ValType{I32}}
	i := FuncType{Params: []ValType{I32}, Results: []ValType{I32}}
	add := b.DefineFunc(ii, nil, Code(LocalGet(0), LocalGet(1), I32Add()))
	early := b.DefineFunc(i, []ValType{I32}, Code(
		LocalGet(0), I32Eqz(), If(), I32Const(100), Return(), End(),
		LocalGet(1), LocalGet(0), I32Add(), LocalSet(1), // the local reads zero: t = x
		LocalGet(1), LocalGet(1), I32Add()))
	side := b.DefineFunc(FuncType{Params: []ValType{I32}}, nil, Code(
		LocalGet(0), GlobalSet(g), Return(), Unreachable()))
	sum := b.DefineFunc(FuncType{Params: []ValType{I64}, Results: []ValType{I64}}, []ValType{I64}, Code(
		[]byte{opBlock, blockEmpty}, Loop(),
		LocalGet(0), []byte{tI64Eqz}, BrIf(1),
		LocalGet(1), LocalGet(0), []byte{tI64Add}, LocalSet(1),
		LocalGet(0), I64Const(1), []byte{tI64Sub}, LocalSet(0),
		op1(opBr, 0), End(), End(),
		LocalGet(1)))
	rec := b.DefineFunc(i, nil, nil)
	b.funcs[len(b.funcs)-1].body = Code(
		LocalGet(0), I32Eqz(), If(), I32Const(0), Return(), End(),
		LocalGet(0), LocalGet(0), I32Const(-1), I32Add(), Call(rec), I32Add())
	big := b.DefineFunc(i, nil, Code(bytes.Repeat([]byte{tNop}, 100), LocalGet(0), I32Const(7), []byte{tI32Mul}))

	// main(a, b) with local 2 as the loop counter and local 3 as the accumulator.
	main := b.DefineFunc(ii, []ValType{I32, I32}, Code(
		LocalGet(0), LocalGet(1), Call(add), LocalSet(3),
		LocalGet(3), LocalGet(0), Call(early), I32Add(), LocalSet(3),
		LocalGet(3), LocalGet(1), Call(early), I32Add(), LocalSet(3),
		// three more calls of early, in a loop
		I32Const(3), LocalSet(2),
		Loop(),
		LocalGet(3), LocalGet(2), LocalGet(0), I32Add(), Call(early), I32Add(), LocalSet(3),
		LocalGet(2), I32Const(-1), I32Add(), LocalTee(2), BrIf(0),
		End(),
		LocalGet(3), LocalGet(0), []byte{opI64ExtU}, Call(sum), []byte{tI32Wrap}, I32Add(), LocalSet(3),
		LocalGet(3), LocalGet(1), I32Const(15), []byte{opI32And}, Call(rec), I32Add(), LocalSet(3),
		LocalGet(3), LocalGet(0), Call(big), I32Add(), LocalSet(3),
		LocalGet(0), LocalGet(1), I32Add(), Call(side),
		LocalGet(3), GlobalGet(g), I32Add()))
	b.Export("main", KindFunc, main)
	b.Export("rec", KindFunc, rec)
	// Direct calls of small functions: add, early twice, early in the loop, sum, rec, side;
	// rec's call of itself and the call of big stay calls.
	return b.Bytes(), 7
}

// TestInlineSmallFunctions: the inlined module computes what the original does, for inputs
// that take every path, and replaces the calls it should.
func TestInlineSmallFunctions(t *testing.T) {
	orig, want := inlineModule()
	out, sites, err := InlineSmallFunctions(orig, InlineLimits{MaxInstrs: 30, MaxLeafInstrs: 60, MaxCallerLocals: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if sites != want {
		t.Fatalf("inlined %d calls, want %d", sites, want)
	}
	ctx, r := newRuntime(t)
	a := instantiate(t, ctx, r, "orig", orig)
	b := instantiate(t, ctx, r, "inlined", out)
	for x := uint64(0); x < 40; x++ {
		for y := uint64(0); y < 40; y += 3 {
			w := call(t, ctx, a, "main", x, y)
			g := call(t, ctx, b, "main", x, y)
			if w[0] != g[0] {
				t.Fatalf("main(%d, %d) = %d inlined, %d as built", x, y, g[0], w[0])
			}
		}
		if w, g := call(t, ctx, a, "rec", x), call(t, ctx, b, "rec", x); w[0] != g[0] {
			t.Fatalf("rec(%d) = %d inlined, %d as built", x, g[0], w[0])
		}
	}

	// Without room for more locals in the caller, nothing is inlined.
	same, sites, err := InlineSmallFunctions(orig, InlineLimits{MaxInstrs: 30, MaxLeafInstrs: 60, MaxCallerLocals: 2})
	if err != nil || sites != 0 || !bytes.Equal(same, orig) {
		t.Fatalf("with no room for locals: %d calls inlined, err %v, module changed %v", sites, err, !bytes.Equal(same, orig))
	}
}

// TestInlineSmallFunctions_pglite: the pass reads all of PostgreSQL's module and inlines
// thousands of calls, and wazero compiles the result (the bridge tests run PostgreSQL on it).
func TestInlineSmallFunctions_pglite(t *testing.T) {
	orig := pgliteWasm(t)
	out, sites, err := InlineSmallFunctions(orig, InlineLimits{MaxInstrs: 30, MaxLeafInstrs: 60, MaxCallerLocals: 2000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls inlined, %d -> %d bytes", sites, len(orig), len(out))
	if sites < 1000 {
		t.Fatalf("only %d calls inlined", sites)
	}
	before, _ := Parse(orig)
	m, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.FuncTypeIdx) != len(before.FuncTypeIdx) || len(m.Exports) != len(before.Exports) {
		t.Fatalf("%d functions and %d exports, was %d and %d", len(m.FuncTypeIdx), len(m.Exports), len(before.FuncTypeIdx), len(before.Exports))
	}
	ctx, r := newRuntime(t)
	if _, err := r.CompileModule(ctx, out); err != nil {
		t.Fatalf("the inlined module does not compile: %v", err)
	}
}
