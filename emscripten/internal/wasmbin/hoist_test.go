package wasmbin

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// Instruction helpers for the tests: memarg loads and stores and a few
// control instructions the glue generators never needed.

func memOp(op byte, align, offset uint32) []byte {
	return appendU32(appendU32([]byte{op}, align), offset)
}

func i32Load(off uint32) []byte       { return memOp(0x28, 2, off) }
func i64Load(off uint32) []byte       { return memOp(0x29, 3, off) }
func i32Load8U(off uint32) []byte     { return memOp(0x2d, 0, off) }
func i32Load16S(off uint32) []byte    { return memOp(0x2e, 1, off) }
func i64Load32U(off uint32) []byte    { return memOp(0x35, 2, off) }
func i32Store(off uint32) []byte      { return memOp(0x36, 2, off) }
func i64Store(off uint32) []byte      { return memOp(0x37, 3, off) }
func i32Store8(off uint32) []byte     { return memOp(0x3a, 0, off) }
func f64Load(off uint32) []byte       { return memOp(0x2b, 3, off) }
func block() []byte                   { return []byte{opBlock, blockEmpty} }
func loop() []byte                    { return []byte{opLoop, blockEmpty} }
func br(l uint32) []byte              { return op1(opBr, l) }
func brIf(l uint32) []byte            { return op1(opBrIf, l) }
func memoryGrow() []byte              { return []byte{opMemoryGrow, 0} }
func i64ExtendI32U() []byte           { return []byte{0xad} }
func i64Add() []byte                  { return []byte{0x7c} }
func i32Sub() []byte                  { return []byte{0x6b} }
func i32Mul() []byte                  { return []byte{0x6c} }
func f64ConvertI32U() []byte          { return []byte{0xb8} }
func i32TruncSatF64U() []byte         { return []byte{opPrefixFC, 3} }
func memoryFill() []byte              { return []byte{opPrefixFC, 11, 0} }
func zeroProbe(z, ceil uint32) []byte { return Code(LocalGet(z), i32Load8U(ceil-1), Drop()) }

// probe is what the pass inserts to check local l up to ceil.
func probeOf(l, ceil uint32) []byte { return Code(LocalGet(l), i32Load8U(ceil-1), Drop()) }

// funcCode returns the declared local types and the instructions (final end
// included) of defined function i.
func funcCode(t *testing.T, wasm []byte, i int) ([]ValType, []byte) {
	t.Helper()
	c := &cursor{p: wasm, off: 8}
	for c.remaining() > 0 {
		id := c.byte()
		s := c.sub(c.u32())
		if id != secCode {
			continue
		}
		n := s.count(1)
		for j := 0; j < n && s.err == nil; j++ {
			b := s.sub(s.u32())
			if j != i {
				continue
			}
			var locals []ValType
			for k := b.count(2); k > 0 && b.err == nil; k-- {
				cnt := b.u32()
				vt := ValType(b.byte())
				for ; cnt > 0; cnt-- {
					locals = append(locals, vt)
				}
			}
			if b.err != nil {
				t.Fatal(b.err)
			}
			return locals, b.p[b.off:]
		}
	}
	t.Fatalf("no function %d: %v", i, c.err)
	return nil, nil
}

// oneFunc builds a module with one page of memory (or pages), an imported
// function "env.f" of type (i32)->(i32), and one exported function "run".
func oneFunc(pages uint32, ft FuncType, locals []ValType, body []byte) []byte {
	var b Builder
	b.ImportFunc("env", "f", FuncType{Params: tI32, Results: tI32})
	b.DefineMemory(Limits{Min: pages})
	b.Export("run", KindFunc, b.DefineFunc(ft, locals, body))
	return b.Bytes()
}

const importedF = 0 // function index of env.f in oneFunc modules

var (
	tP1   = FuncType{Params: tI32}
	tP1R1 = FuncType{Params: tI32, Results: tI32}
	tP2   = FuncType{Params: tI32x2}
)

func TestHoistBoundsChecks_placement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ft     FuncType
		locals []ValType
		body   []byte
		want   []byte // nil: unchanged
		// wantZero: the pass adds the zero local (index len(params)+len(locals))
		wantZero bool
	}{
		{
			name: "rising offsets get one probe at the top",
			ft:   tP1R1,
			body: Code(LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), LocalGet(0), i32Load(8), I32Add()),
			want: Code(probeOf(0, 12), LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), LocalGet(0), i32Load(8), I32Add()),
		},
		{
			name: "first access already the highest",
			ft:   tP1R1,
			body: Code(LocalGet(0), i32Load(8), LocalGet(0), i32Load(4), I32Add(), LocalGet(0), i32Load8U(0), I32Add()),
		},
		{
			name: "single access",
			ft:   tP1R1,
			body: Code(LocalGet(0), i32Load(8)),
		},
		{
			name: "narrow and wide accesses use their own sizes",
			ft:   FuncType{Params: tI32, Results: []ValType{I64}},
			body: Code(LocalGet(0), i32Load8U(0), i64ExtendI32U(), LocalGet(0), i64Load32U(4), i64Add(), LocalGet(0), i32Load16S(2), Drop()),
			want: Code(probeOf(0, 8), LocalGet(0), i32Load8U(0), i64ExtendI32U(), LocalGet(0), i64Load32U(4), i64Add(), LocalGet(0), i32Load16S(2), Drop()),
		},
		{
			name: "stores find their address under the value",
			ft:   tP2,
			body: Code(LocalGet(0), LocalGet(1), i32Store8(1), LocalGet(0), LocalGet(1), i64ExtendI32U(), i64Store(8)),
			want: Code(probeOf(0, 16), LocalGet(0), LocalGet(1), i32Store8(1), LocalGet(0), LocalGet(1), i64ExtendI32U(), i64Store(8)),
		},
		{
			name: "the probe goes at the read that feeds the first access",
			ft:   tP1R1,
			body: Code(LocalGet(0), LocalGet(0), i32Load(0), i32Store(4), LocalGet(0), i32Load(12)),
			want: Code(LocalGet(0), probeOf(0, 16), LocalGet(0), i32Load(0), i32Store(4), LocalGet(0), i32Load(12)),
		},
		{
			name: "local.tee starts a run after it",
			ft:   tP2,
			body: Code(LocalGet(1), LocalTee(0), i32Load(0), LocalGet(0), i32Load(12), I32Add(), Drop()),
			want: Code(LocalGet(1), LocalTee(0), probeOf(0, 16), i32Load(0), LocalGet(0), i32Load(12), I32Add(), Drop()),
		},
		{
			name: "a branch ends the region",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), LocalGet(1), brIf(0), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "a call ends the region",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), LocalGet(1), Call(importedF), Drop(), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "a write ends the run",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), LocalGet(1), LocalSet(0), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "memory.grow ends the region",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), LocalGet(1), memoryGrow(), Drop(), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "if and else end regions",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), LocalGet(1), If(), LocalGet(0), i32Load(8), Drop(), Else(),
				LocalGet(0), i32Load(12), Drop(), End(), LocalGet(0), i32Load(16), Drop()),
		},
		{
			name: "a loop ends the region",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), Drop(), loop(), LocalGet(0), i32Load(8), Drop(), End()),
		},
		{
			name: "runs of different locals are independent",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), LocalGet(1), i32Load(8), I32Add(), LocalGet(1), i32Load(4), I32Add(),
				LocalGet(0), i32Load(4), I32Add(), Drop()),
			want: Code(probeOf(0, 8), LocalGet(0), i32Load(0), LocalGet(1), i32Load(8), I32Add(), LocalGet(1), i32Load(4), I32Add(),
				LocalGet(0), i32Load(4), I32Add(), Drop()),
		},
		{
			name: "each run between writes gets its own probe",
			ft:   tP2,
			body: Code(LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), LocalSet(0),
				LocalGet(0), i32Load(0), LocalGet(0), i32Load(8), I32Add(), Drop()),
			want: Code(probeOf(0, 8), LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), LocalSet(0),
				probeOf(0, 12), LocalGet(0), i32Load(0), LocalGet(0), i32Load(8), I32Add(), Drop()),
		},
		{
			name: "a value read before a write keeps its own run",
			ft:   tP2,
			// The address of the store is the old value of local 0.
			body: Code(LocalGet(0), LocalGet(1), LocalSet(0), LocalGet(0), i32Load(0), i32Store(8)),
		},
		{
			name: "a block entry does not end the region",
			ft:   tP1,
			body: Code(LocalGet(0), i32Load(0), Drop(), block(), LocalGet(0), i32Load(8), Drop(), End()),
			want: Code(probeOf(0, 12), LocalGet(0), i32Load(0), Drop(), block(), LocalGet(0), i32Load(8), Drop(), End()),
		},
		{
			name: "the end of a block no branch targets does not end the region",
			ft:   tP1,
			body: Code(block(), LocalGet(0), i32Load(0), Drop(), End(), LocalGet(0), i32Load(8), Drop()),
			want: Code(block(), probeOf(0, 12), LocalGet(0), i32Load(0), Drop(), End(), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "the end of a targeted block ends the region",
			ft:   tP2,
			body: Code(block(), LocalGet(1), brIf(0), LocalGet(0), i32Load(0), Drop(), End(), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "an address read before a call is covered by a probe after it",
			ft:   tP1,
			body: Code(LocalGet(0), I32Const(5), Call(importedF), i32Store(0), LocalGet(0), i32Load(8), Drop()),
			want: Code(LocalGet(0), I32Const(5), Call(importedF), probeOf(0, 12), i32Store(0), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "an address read before a call and a write is left alone",
			ft:   tP2,
			body: Code(LocalGet(0), I32Const(5), Call(importedF), LocalGet(1), LocalSet(0), i32Store(0), LocalGet(0), i32Load(8), Drop()),
		},
		{
			name: "non-address uses of a local do not count",
			ft:   tP2,
			body: Code(LocalGet(1), LocalGet(0), i32Store(0), LocalGet(1), LocalGet(0), I32Add(), i32Load(8), Drop()),
		},
		{
			name: "an offset whose ceiling does not fit gets no probe",
			ft:   tP1,
			body: Code(LocalGet(0), i32Load8U(0), LocalGet(0), i32Load(0xfffffffe), I32Add(), Drop()),
		},
		{
			name:     "constant addresses go through the zero local with one probe",
			ft:       FuncType{Results: tI32},
			body:     Code(I32Const(1000), i32Load(4), I32Const(2000), i32Load(0), I32Add()),
			want:     Code(zeroProbe(0, 2004), LocalGet(0), i32Load(1004), LocalGet(0), i32Load(2000), I32Add()),
			wantZero: true,
		},
		{
			name:     "a single constant access is rewritten without a probe",
			ft:       FuncType{Results: tI32},
			body:     Code(I32Const(1000), i32Load(4)),
			want:     Code(LocalGet(0), i32Load(1004)),
			wantZero: true,
		},
		{
			name:     "constant stores and values",
			ft:       tP1,
			body:     Code(I32Const(64), I32Const(7), i32Store(0), I32Const(96), LocalGet(0), i32Store(4)),
			want:     Code(zeroProbe(1, 104), LocalGet(1), I32Const(7), i32Store(64), LocalGet(1), LocalGet(0), i32Store(100)),
			wantZero: true,
		},
		{
			name:     "constant accesses past the initial memory stay checked",
			ft:       FuncType{Results: tI32},
			body:     Code(I32Const(65530), i32Load(4), I32Const(70000), i32Load(0), I32Add(), I32Const(8), i32Load(0), I32Add()),
			want:     Code(zeroProbe(0, 12), LocalGet(0), i32Load(65534), LocalGet(0), i32Load(70000), I32Add(), LocalGet(0), i32Load(8), I32Add()),
			wantZero: true,
		},
		{
			name: "a constant address that does not fit an offset is left alone",
			ft:   FuncType{Results: tI32},
			body: Code(I32Const(-1), i32Load(4)),
		},
		{
			name: "loops get their own zero probe",
			ft:   tP1,
			body: Code(loop(), I32Const(16), i32Load(0), I32Const(32), i32Load(0), I32Add(), Drop(), LocalGet(0), brIf(0), End(),
				I32Const(8), i32Load(0), I32Const(4), i32Load(0), I32Add(), Drop()),
			want: Code(loop(), zeroProbe(1, 36), LocalGet(1), i32Load(16), LocalGet(1), i32Load(32), I32Add(), Drop(), LocalGet(0), brIf(0), End(),
				zeroProbe(1, 36), LocalGet(1), i32Load(8), LocalGet(1), i32Load(4), I32Add(), Drop()),
			wantZero: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := oneFunc(1, tc.ft, tc.locals, tc.body)
			out, st, err := HoistBoundsChecksStats(orig)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v", st)
			if tc.want == nil {
				if !bytes.Equal(out, orig) {
					_, got := funcCode(t, out, 0)
					t.Fatalf("changed:\n got %x\nfrom %x", got, append(tc.body, opEnd))
				}
				return
			}
			locals, got := funcCode(t, out, 0)
			want := append(append([]byte{}, tc.want...), opEnd)
			if !bytes.Equal(got, want) {
				t.Errorf("code\n got %x\nwant %x", got, want)
			}
			wantLocals := append([]ValType{}, tc.locals...)
			if tc.wantZero {
				wantLocals = append(wantLocals, I32)
			}
			if string(valBytes(locals)) != string(valBytes(wantLocals)) {
				t.Errorf("locals %v, want %v", locals, wantLocals)
			}
			compile(t, out)
		})
	}
}

func compile(t *testing.T, wasm []byte) {
	t.Helper()
	ctx, r := newRuntime(t)
	if _, err := r.CompileModule(ctx, wasm); err != nil {
		t.Fatalf("compile: %v", err)
	}
}

// sideEffects builds a module whose functions mix every kind of access the
// pass rewrites, so running it before and after shows the same results.
func sideEffects() []byte {
	var b Builder
	f := b.ImportFunc("env", "f", FuncType{Params: tI32, Results: tI32})
	b.DefineMemory(Limits{Min: 1})
	// fields(p) = p[0] + p[4] + p[8]*3 (load8 at 1) and stores p[12] = p[0]+p[4]
	b.Export("fields", KindFunc, b.DefineFunc(tP1R1, []ValType{I32}, Code(
		LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), LocalTee(1),
		LocalGet(0), i32Load(8), I32Const(3), i32Mul(), I32Add(),
		LocalGet(0), i32Load8U(1), I32Add(),
		LocalGet(0), LocalGet(1), i32Store(12),
	)))
	// around(p) stores through p before and after a call and reads back.
	b.Export("around", KindFunc, b.DefineFunc(tP1R1, nil, Code(
		LocalGet(0), LocalGet(0), Call(f), i32Store(16),
		LocalGet(0), i32Load(16), LocalGet(0), i32Load(20), I32Add(),
	)))
	// globals() bumps two counters at constant addresses in a loop and
	// returns their sum; the store after the loop is also constant.
	b.Export("globals", KindFunc, b.DefineFunc(FuncType{Params: tI32, Results: tI32}, nil, Code(
		loop(),
		I32Const(1024), I32Const(1024), i32Load(0), I32Const(1), I32Add(), i32Store(0),
		I32Const(1000), I32Const(1000), i32Load(28), I32Const(2), I32Add(), i32Store(28),
		LocalGet(0), I32Const(1), i32Sub(), LocalTee(0), brIf(0),
		End(),
		I32Const(2048), I32Const(1024), i32Load(0), I32Const(1000), i32Load(28), I32Add(), i32Store(4),
		I32Const(2052), i32Load(0),
	)))
	// mixed(p) uses blocks, a branch out and a float conversion through
	// the saturating prefix, and fills memory.
	b.Export("mixed", KindFunc, b.DefineFunc(tP1R1, []ValType{I32}, Code(
		block(),
		LocalGet(0), f64Load(24), i32TruncSatF64U(), LocalSet(1),
		LocalGet(0), I32Const(0), I32Const(4), memoryFill(),
		LocalGet(1), LocalGet(0), i32Load(32), I32Add(), LocalSet(1),
		LocalGet(1), brIf(0),
		LocalGet(0), i32Load(40), LocalGet(0), i32Load(44), I32Add(), LocalSet(1),
		End(),
		LocalGet(1),
	)))
	return b.Bytes()
}

func TestHoistBoundsChecks_sameResults(t *testing.T) {
	orig := sideEffects()
	hoisted, st, err := HoistBoundsChecksStats(orig)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", st)
	if st.Probes == 0 || st.ConstProbes == 0 || st.ConstAccesses == 0 {
		t.Fatalf("expected probes of both kinds: %v", st)
	}
	type result struct {
		out  []uint64
		err  string
		mem  []byte
		name string
	}
	run := func(wasm []byte, fn string, args ...uint64) result {
		ctx, r := newRuntime(t)
		_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
			WithFunc(func(x uint32) uint32 { return x*2 + 1 }).Export("f").Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mod := instantiate(t, ctx, r, "guest", wasm)
		mem, _ := mod.Memory().Read(0, mod.Memory().Size())
		for i := range mem {
			mem[i] = byte(i*7 + i/256)
		}
		if fn == "mixed" {
			// A small finite double at p+24.
			mod.Memory().WriteFloat64Le(uint32(args[0])+24, 1234.75)
		}
		res, err := mod.ExportedFunction(fn).Call(ctx, args...)
		var msg string
		if err != nil {
			msg = err.Error()
			// The trap message names the offset in the code, which
			// the probes shift.
			if i := strings.Index(msg, "\n"); i >= 0 {
				msg = msg[:i]
			}
		}
		snap, _ := mod.Memory().Read(0, mod.Memory().Size())
		return result{res, msg, append([]byte{}, snap...), fn}
	}
	for _, c := range []struct {
		fn   string
		args []uint64
		trap bool
	}{
		{"fields", []uint64{100}, false},
		{"fields", []uint64{65536 - 16}, false},
		{"fields", []uint64{65536 - 12}, true}, // the store at 12 traps
		{"fields", []uint64{65536 - 10}, true}, // the load at 8 traps
		{"around", []uint64{200}, false},
		{"around", []uint64{65536 - 20}, true},
		{"globals", []uint64{5}, false},
		{"mixed", []uint64{300}, false},
		{"mixed", []uint64{65536 - 34}, true},
	} {
		a := run(orig, c.fn, c.args...)
		b := run(hoisted, c.fn, c.args...)
		if (a.err != "") != c.trap {
			t.Errorf("%s%v: original trap %q, want trap %v", c.fn, c.args, a.err, c.trap)
		}
		if a.err != b.err || len(a.out) != len(b.out) || (len(a.out) > 0 && a.out[0] != b.out[0]) {
			t.Errorf("%s%v: original %v %q, hoisted %v %q", c.fn, c.args, a.out, a.err, b.out, b.err)
		}
		// A trap may come earlier in the hoisted code (a probe), so
		// stores before it in the same region may be missing; memory
		// only has to match when neither trapped.
		if a.err == "" && !bytes.Equal(a.mem, b.mem) {
			t.Errorf("%s%v: memory differs", c.fn, c.args)
		}
	}
}

// TestHoistBoundsChecks_otherSections checks that everything but the code
// section is copied byte for byte, custom sections included.
func TestHoistBoundsChecks_otherSections(t *testing.T) {
	var b Builder
	b.SetName("named")
	b.DefineMemory(Limits{Min: 1})
	b.DefineGlobalI32(true, 5)
	b.Export("run", KindFunc, b.DefineFunc(tP1, nil, Code(LocalGet(0), i32Load(0), LocalGet(0), i32Load(4), I32Add(), Drop())))
	orig := b.Bytes()
	out, err := HoistBoundsChecks(orig)
	if err != nil {
		t.Fatal(err)
	}
	a, bb := sections(t, orig), sections(t, out)
	if len(a) != len(bb) {
		t.Fatalf("%d sections, was %d", len(bb), len(a))
	}
	changed := 0
	for i := range a {
		if a[i][0] != bb[i][0] {
			t.Fatalf("section %d: id %d, was %d", i, bb[i][0], a[i][0])
		}
		if !bytes.Equal(a[i], bb[i]) {
			if a[i][0] != secCode {
				t.Errorf("section %d (id %d) changed", i, a[i][0])
			}
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d sections changed, want the code section", changed)
	}
}

// sections splits a module into its sections, headers included.
func sections(t *testing.T, wasm []byte) [][]byte {
	t.Helper()
	var out [][]byte
	c := &cursor{p: wasm, off: 8}
	for c.remaining() > 0 {
		start := c.off
		c.byte()
		c.bytes(int(c.u32()))
		if c.err != nil {
			t.Fatal(c.err)
		}
		out = append(out, wasm[start:c.off])
	}
	return out
}

func TestHoistBoundsChecks_unsupported(t *testing.T) {
	// v128.const (0xfd 12) in a body the pass must walk.
	body := append([]byte{0xfd, 12}, make([]byte, 16)...)
	body = append(body, Drop()...)
	orig := oneFunc(1, FuncType{}, nil, body)
	if _, err := HoistBoundsChecks(orig); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("err = %v, want unsupported opcode", err)
	}
	if _, err := HoistBoundsChecks([]byte("junk")); err == nil {
		t.Fatal("junk accepted")
	}
	// A module without code comes back as it was.
	var b Builder
	b.DefineMemory(Limits{Min: 1})
	orig = b.Bytes()
	if out, err := HoistBoundsChecks(orig); err != nil || !bytes.Equal(out, orig) {
		t.Fatalf("no code: %v", err)
	}
}

// pgliteWasm returns the real PostgreSQL module, or skips.
func pgliteWasm(t testing.TB) []byte {
	path := filepath.Join("..", "..", "..", "assets", "pglite-0.5.17", "pglite.wasm")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("pglite.wasm: %v", err)
	}
	return b
}

func TestHoistBoundsChecks_pglite(t *testing.T) {
	orig := pgliteWasm(t)
	start := time.Now()
	out, st, err := HoistBoundsChecksStats(orig)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v in %v, %d -> %d bytes", st, time.Since(start), len(orig), len(out))
	if st.Probes == 0 || st.FreedAccesses <= st.Probes || st.ConstProbes == 0 {
		t.Errorf("expected the pass to remove checks: %v", st)
	}
	a, b := sections(t, orig), sections(t, out)
	if len(a) != len(b) {
		t.Fatalf("%d sections, was %d", len(b), len(a))
	}
	for i := range a {
		if a[i][0] != secCode && !bytes.Equal(a[i], b[i]) {
			t.Errorf("section %d (id %d) changed", i, a[i][0])
		}
	}
	// Running the pass on its own output finds nothing more to probe, except
	// on the zero locals it added, which wazero already knows to be safe.
	if n := secondPassProbes(t, out); n != 0 {
		t.Errorf("second pass adds %d probes on locals other than the zero local", n)
	}
	if testing.Short() || raceEnabled {
		// The bridge tests run PostgreSQL on the rewritten module in every mode.
		t.Skip("compiling pglite.wasm takes a while (minutes under the race detector)")
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	start = time.Now()
	cm, err := r.CompileModule(ctx, out)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	t.Logf("compiled in %v", time.Since(start))
	if len(cm.ExportedFunctions()) == 0 {
		t.Error("no exported functions")
	}
}

// secondPassProbes runs the pass over every body of wasm and counts the
// probes it would add on a local other than the last one.
func secondPassProbes(t *testing.T, wasm []byte) int {
	m, err := Parse(wasm)
	if err != nil {
		t.Fatal(err)
	}
	h := &hoister{m: m, minMem: memory0MinBytes(m)}
	var st HoistStats
	n := 0
	for i, s := 0, sections(t, wasm); i < len(s); i++ {
		if s[i][0] != secCode {
			continue
		}
		c := &cursor{p: s[i], off: 1}
		c.u32()
		for f, nf := 0, c.count(1); f < nf; f++ {
			body := c.bytes(int(c.u32()))
			if _, err := h.function(m.FuncType(m.NumImportedFuncs+uint32(f)), body, &st); err != nil {
				t.Fatal(err)
			}
			for _, e := range h.edits {
				if e.del == 0 && !bytes.HasPrefix(h.buf[e.insAt:], LocalGet(h.zero-1)) {
					n++
				}
			}
		}
	}
	return n
}

// Fuzz_hoist checks that the pass never panics, and that when it accepts a
// module that parses, its output parses too.
func Fuzz_hoist(f *testing.F) {
	f.Add(sideEffects())
	f.Add(oneFunc(1, tP1R1, nil, Code(LocalGet(0), i32Load(0), LocalGet(0), i32Load(8), I32Add())))
	f.Add(oneFunc(1, FuncType{}, []ValType{I64, I32}, Code(block(), loop(), I32Const(8), i32Load(0), I32Const(4), i32Load(4), I32Add(), Drop(),
		LocalGet(1), brIf(1), End(), End())))
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, err := HoistBoundsChecks(wasm)
		if err != nil {
			return
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}

// Fuzz_hoistBody feeds arbitrary function bodies: the pass must not panic;
// when wazero accepts the original module it must accept the rewritten one
// too, and both must trap on the same arguments and otherwise leave the same
// memory behind.
func Fuzz_hoistBody(f *testing.F) {
	f.Add(Code(LocalGet(0), i32Load(0), LocalGet(0), i32Load(8), I32Add(), Drop()))
	f.Add(Code(block(), LocalGet(0), I32Const(3), Call(importedF), i32Store(4), LocalGet(0), i32Load(12), Drop(), End()))
	f.Add(Code(loop(), I32Const(16), i32Load(0), I32Const(32), i32Load(0), I32Add(), LocalSet(2), LocalGet(1), brIf(0), End()))
	f.Add(Code(LocalGet(1), LocalTee(0), i32Load(0), LocalGet(0), i32Load(12), I32Add(), Drop()))
	f.Add(Code(I32Const(64), I32Const(7), i32Store(0), I32Const(96), LocalGet(0), i32Store(4), LocalGet(0), If(), Else(), End()))
	f.Add(Code(LocalGet(0), LocalGet(1), i32Store8(1), LocalGet(0), LocalGet(1), i64ExtendI32U(), i64Store(8)))
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCloseOnContextDone(true))
	f.Cleanup(func() { r.Close(ctx) })
	_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithFunc(func(x uint32) uint32 { return x ^ 0x5a5a }).Export("f").Instantiate(ctx)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := oneFunc(1, tP2, []ValType{I32, I64}, body)
		out, err := HoistBoundsChecks(orig)
		if err != nil || bytes.Equal(out, orig) {
			return
		}
		cmOrig, err := r.CompileModule(ctx, orig)
		if err != nil {
			return
		}
		defer cmOrig.Close(ctx)
		cmOut, err := r.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("original compiles, rewritten does not: %v\norig %x\nout  %x", err, orig, out)
		}
		defer cmOut.Close(ctx)
		run := func(cm wazero.CompiledModule, a, b uint64) (mem []byte, trapped, timedOut bool) {
			cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			mod, err := r.InstantiateModule(cctx, cm, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				return nil, true, cctx.Err() != nil
			}
			defer mod.Close(ctx)
			_, err = mod.ExportedFunction("run").Call(cctx, a, b)
			if cctx.Err() != nil {
				return nil, false, true
			}
			m, _ := mod.Memory().Read(0, mod.Memory().Size())
			return append([]byte{}, m...), err != nil, false
		}
		for _, args := range [][2]uint64{{0, 0}, {100, 7}, {65530, 1}, {65536 - 8, 65536 - 4}, {0xffffffff, 3}} {
			memA, trapA, toA := run(cmOrig, args[0], args[1])
			if toA {
				return
			}
			memB, trapB, toB := run(cmOut, args[0], args[1])
			if toB {
				return
			}
			if trapA != trapB {
				t.Fatalf("run%v: original trapped %v, rewritten %v\nbody %x\nout  %x", args, trapA, trapB, body, out)
			}
			if !trapA && !bytes.Equal(memA, memB) {
				t.Fatalf("run%v: memory differs\nbody %x", args, body)
			}
		}
	})
}

// BenchmarkHoistBoundsChecks_pglite times the pass on the real module; it runs
// on every process start, before the compile cache lookup.
func BenchmarkHoistBoundsChecks_pglite(b *testing.B) {
	wasm := pgliteWasm(b)
	b.SetBytes(int64(len(wasm)))
	for b.Loop() {
		if _, err := HoistBoundsChecks(wasm); err != nil {
			b.Fatal(err)
		}
	}
}

// progGen writes random valid function bodies of type (p, q i32) -> i32 that
// mix every pattern the pass rewrites with the control flow that limits it.
// Locals: 0 p, 1 q, 2 and 3 scratch pointers, 4 the accumulator, 5.. loop
// counters.
type progGen struct {
	r      *rand.Rand
	out    []byte
	depth  int
	loops  int
	labels []bool // open labels, innermost last; true for a loop
}

const (
	genAcc      = 4
	genCounters = 5
	genMaxLoops = 3
)

func (g *progGen) emit(b ...[]byte) {
	for _, x := range b {
		g.out = append(g.out, x...)
	}
}

func (g *progGen) ptr() uint32 { return uint32(g.r.Intn(4)) }
func (g *progGen) off() uint32 { return uint32(g.r.Intn(48)) }

// addAcc adds the i32 on the stack to the accumulator.
func (g *progGen) addAcc() { g.emit(LocalGet(genAcc), I32Add(), LocalSet(genAcc)) }

func (g *progGen) load() {
	switch g.r.Intn(4) {
	case 0:
		g.emit(i32Load(g.off()))
	case 1:
		g.emit(i32Load8U(g.off()))
	case 2:
		g.emit(i32Load16S(g.off()))
	default:
		g.emit(i64Load(g.off()), []byte{0xa7}) // i32.wrap_i64
	}
	g.addAcc()
}

func (g *progGen) store() {
	switch g.r.Intn(3) {
	case 0:
		g.emit(LocalGet(genAcc), i32Store(g.off()))
	case 1:
		g.emit(LocalGet(genAcc), i32Store8(g.off()))
	default:
		g.emit(LocalGet(genAcc), i64ExtendI32U(), i64Store(g.off()))
	}
}

func (g *progGen) stmts(n int) {
	for i := 0; i < n; i++ {
		g.stmt()
	}
}

func (g *progGen) stmt() {
	k := g.r.Intn(14)
	if g.depth >= 3 && k >= 9 {
		k = g.r.Intn(9)
	}
	switch k {
	case 0, 1, 2:
		g.emit(LocalGet(g.ptr()))
		g.load()
	case 3:
		g.emit(LocalGet(g.ptr()))
		g.store()
	case 4:
		k := g.r.Intn(4096)
		if g.r.Intn(8) == 0 {
			k = 60000 + g.r.Intn(10000) // sometimes past the end
		}
		g.emit(I32Const(int32(k)))
		if g.r.Intn(2) == 0 {
			g.load()
		} else {
			g.store()
		}
	case 5:
		g.emit(LocalGet(g.ptr()), I32Const(int32(g.r.Intn(64)-16)), I32Add(), LocalSet(g.ptr()))
	case 6:
		g.emit(LocalGet(g.ptr()), I32Const(int32(g.r.Intn(32))), I32Add(), LocalTee(g.ptr()))
		g.load()
	case 7:
		// A store whose address is read before a call.
		g.emit(LocalGet(g.ptr()), LocalGet(genAcc), Call(importedF))
		g.store2()
	case 8:
		if g.r.Intn(4) == 0 {
			g.emit(I32Const(1), memoryGrow(), Drop())
		} else {
			g.emit(LocalGet(genAcc), Call(importedF), LocalSet(genAcc))
		}
	case 9, 10:
		g.depth++
		g.labels = append(g.labels, false)
		g.emit(block())
		g.stmts(g.r.Intn(4))
		if g.r.Intn(2) == 0 {
			// Branch out of a block or if, never back to a loop.
			d := g.r.Intn(len(g.labels))
			for g.labels[len(g.labels)-1-d] {
				d--
			}
			g.emit(LocalGet(genAcc), I32Const(int32(g.r.Intn(4))), []byte{0x71}, brIf(uint32(d))) // i32.and
		}
		g.stmts(g.r.Intn(4))
		g.emit(End())
		g.labels = g.labels[:len(g.labels)-1]
		g.depth--
	case 11, 12:
		g.depth++
		g.labels = append(g.labels, false)
		g.emit(LocalGet(genAcc), I32Const(1), []byte{0x71}, If())
		g.stmts(g.r.Intn(4))
		g.emit(Else())
		g.stmts(g.r.Intn(4))
		g.emit(End())
		g.labels = g.labels[:len(g.labels)-1]
		g.depth--
	default:
		if g.loops >= genMaxLoops {
			return
		}
		ctr := uint32(genCounters + g.loops)
		g.loops++
		g.depth++
		g.labels = append(g.labels, true)
		g.emit(I32Const(int32(1+g.r.Intn(3))), LocalSet(ctr), loop())
		g.stmts(1 + g.r.Intn(4))
		g.emit(LocalGet(ctr), I32Const(1), i32Sub(), LocalTee(ctr), brIf(0), End())
		g.labels = g.labels[:len(g.labels)-1]
		g.depth--
		g.loops--
	}
}

// store2 stores the i32 on the stack (a call result) at the address under it.
func (g *progGen) store2() {
	if g.r.Intn(2) == 0 {
		g.emit(i32Store(g.off()))
	} else {
		g.emit(i32Store8(g.off()))
	}
}

// TestHoistBoundsChecks_randomPrograms runs random programs before and after
// the pass on wazero's optimizing compiler with pointers near the end of
// memory: both must trap on the same arguments, and otherwise return the same
// value and leave the same memory.
func TestHoistBoundsChecks_randomPrograms(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 60
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))
	t.Cleanup(func() { r.Close(ctx) })
	_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithFunc(func(x uint32) uint32 { return x*3 + 1 }).Export("f").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	args := []uint64{0, 100, 65536 - 80, 65536 - 40, 65536 - 8, 65536 - 1, 70000, 0xfffffff0}
	var total HoistStats
	traps, runs := 0, 0
	for seed := 0; seed < n; seed++ {
		g := &progGen{r: rand.New(rand.NewSource(int64(seed)))}
		g.stmts(4 + g.r.Intn(20))
		g.emit(LocalGet(genAcc))
		locals := []ValType{I32, I32, I32}
		for i := 0; i < genMaxLoops; i++ {
			locals = append(locals, I32)
		}
		orig := oneFunc(1, FuncType{Params: tI32x2, Results: tI32}, locals, g.out)
		out, st, err := HoistBoundsChecksStats(orig)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		total.add(st)
		cmA, err := r.CompileModule(ctx, orig)
		if err != nil {
			t.Fatalf("seed %d: generator wrote an invalid body: %v", seed, err)
		}
		cmB, err := r.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("seed %d: rewritten module does not compile: %v", seed, err)
		}
		for _, p := range args {
			q := args[(int(p)+seed)%len(args)]
			a := runProg(t, ctx, r, cmA, p, q)
			b := runProg(t, ctx, r, cmB, p, q)
			runs++
			if a.trapped {
				traps++
			}
			if a.trapped != b.trapped || (!a.trapped && (a.res != b.res || !bytes.Equal(a.mem, b.mem))) {
				t.Fatalf("seed %d run(%#x, %#x): original trapped=%v res=%d, rewritten trapped=%v res=%d (memory equal %v)",
					seed, p, q, a.trapped, a.res, b.trapped, b.res, bytes.Equal(a.mem, b.mem))
			}
		}
		cmA.Close(ctx)
		cmB.Close(ctx)
	}
	t.Logf("%d programs, %d of %d runs trapped: %v", n, traps, runs, total)
	if total.Probes == 0 || total.ConstProbes == 0 {
		t.Errorf("the programs never exercised the probes: %v", total)
	}
}

type progRun struct {
	res     uint64
	trapped bool
	mem     []byte
}

func runProg(t *testing.T, ctx context.Context, r wazero.Runtime, cm wazero.CompiledModule, p, q uint64) progRun {
	t.Helper()
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	mem, _ := mod.Memory().Read(0, mod.Memory().Size())
	for i := range mem {
		mem[i] = byte(i*13 + i>>8)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := mod.ExportedFunction("run").Call(cctx, p, q)
	if cctx.Err() != nil {
		t.Fatalf("run(%#x, %#x) did not finish", p, q)
	}
	if err != nil {
		return progRun{trapped: true}
	}
	m, _ := mod.Memory().Read(0, mod.Memory().Size())
	return progRun{res: res[0], mem: append([]byte{}, m...)}
}
