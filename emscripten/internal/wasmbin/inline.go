package wasmbin

import "fmt"

// InlineLimits says which functions InlineSmallFunctions copies into their callers.
type InlineLimits struct {
	// MaxInstrs: a function of at most this many instructions is inlined wherever it is
	// called directly.
	MaxInstrs int
	// MaxLeafInstrs: the same for a function without calls and loops, which can be longer.
	MaxLeafInstrs int
	// MaxCallerLocals: a caller takes no more inlined functions once it has this many
	// locals (the engines' limit is 50,000).
	MaxCallerLocals int
}

// InlineSmallFunctions replaces each direct call to a small function by a copy of its body,
// as wasm-opt's inliner does, because neither engine inlines across wasm functions: a call
// costs a prologue with a stack-limit check, saved registers and the call itself, which on
// PostgreSQL's many one-line helpers (palloc, list and bitmap accessors) is a good part of
// their cost. The copy runs in a block: the arguments go into fresh locals, the callee's own
// locals are zeroed at the start of every copy, as on entry to a call, and each return
// becomes a branch out of the block. A caller's copies of one callee share their locals;
// copies never nest, since a copied body is the callee as it was in wasm and its calls stay
// calls. Functions with exception handling, tail calls or more than one result are left
// alone, and so is any function it cannot read. Function indices do not change; the
// original functions stay for indirect calls and exports. It reports the calls it replaced.
func InlineSmallFunctions(wasm []byte, lim InlineLimits) (out []byte, sites int, err error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, 0, err
	}
	out, err = mapSections(wasm, func(id byte, body []byte) ([]byte, error) {
		if id != secCode {
			return body, nil
		}
		bodies, err := splitCode(body)
		if err != nil {
			return nil, err
		}
		callees := make(map[uint32]*inlinee)
		for i, b := range bodies {
			fn := m.NumImportedFuncs + uint32(i)
			if in := readInlinee(m.FuncType(fn), b, lim); in != nil {
				callees[fn] = in
			}
		}
		out := appendU32(make([]byte, 0, len(body)+len(body)/4), uint32(len(bodies)))
		for i, b := range bodies {
			fn := m.NumImportedFuncs + uint32(i)
			nb, n, err := inlineInto(b, len(m.FuncType(fn).Params), fn, callees, lim)
			if err != nil {
				return nil, fmt.Errorf("wasmbin: function %d: %w", fn, err)
			}
			sites += n
			out = append(appendU32(out, uint32(len(nb))), nb...)
		}
		return out, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, sites, nil
}

// An inlinee is a function whose calls InlineSmallFunctions replaces.
type inlinee struct {
	params    []ValType
	blockType byte      // blockEmpty, or the one result's type
	locals    []ValType // declared locals, one entry each
	code      []byte    // the instructions, through the body's final end
}

// splitCode returns each function body of a code section payload.
func splitCode(body []byte) ([][]byte, error) {
	c := &cursor{p: body}
	n := c.count(1)
	bodies := make([][]byte, 0, n)
	for i := 0; i < n && c.err == nil; i++ {
		size := c.u32()
		bodies = append(bodies, c.bytes(int(size)))
	}
	if c.err != nil {
		return nil, fmt.Errorf("wasmbin: code section: %w", c.err)
	}
	return bodies, nil
}

// inlineMaxLocals bounds the locals of a function worth inlining.
const inlineMaxLocals = 32

// readInlinee returns the function with type t and body b as an inlinee, or nil when it is
// not one.
func readInlinee(t FuncType, b []byte, lim InlineLimits) *inlinee {
	if len(t.Results) > 1 {
		return nil
	}
	in := &inlinee{params: t.Params, blockType: blockEmpty}
	if len(t.Results) == 1 {
		if !zeroable(t.Results[0]) {
			return nil
		}
		in.blockType = byte(t.Results[0])
	}
	for _, p := range t.Params {
		if !zeroable(p) {
			return nil
		}
	}
	c := &cursor{p: b}
	for n := c.count(2); n > 0 && c.err == nil; n-- {
		k := c.u32()
		v := ValType(c.byte())
		if k > inlineMaxLocals || len(in.locals)+int(k) > inlineMaxLocals || !zeroable(v) {
			return nil
		}
		for ; k > 0; k-- {
			in.locals = append(in.locals, v)
		}
	}
	if c.err != nil {
		return nil
	}
	in.code = b[c.off:]
	instrs, leaf, depth := 0, true, 0
	for c.remaining() > 0 && c.err == nil {
		op := c.byte()
		instrs++
		if instrs > max(lim.MaxInstrs, lim.MaxLeafInstrs) {
			return nil
		}
		switch op {
		case opTry, opCatch, opThrow, opRethrow, opThrowRef, opDelegate, opCatchAll, opTryTable,
			opReturnCall, opReturnCallInd, opCallRef, opReturnCallRef, opBrOnNull, opBrOnNonNull:
			return nil
		case opCall, opCallIndirect, opLoop:
			leaf = false
		}
		switch op {
		case opBlock, opLoop, opIf:
			depth++
		case opEnd:
			depth--
			if depth < 0 && c.remaining() > 0 {
				return nil
			}
		}
		if !skipAny(c, op) {
			return nil
		}
	}
	if c.err != nil || depth != -1 {
		return nil
	}
	if instrs > lim.MaxInstrs && (!leaf || instrs > lim.MaxLeafInstrs) {
		return nil
	}
	return in
}

// zeroable reports whether v is a type whose zero inlineInto can write with one constant.
func zeroable(v ValType) bool {
	switch v {
	case I32, I64, F32, F64, FuncRef, ExternRef:
		return true
	}
	return false
}

// skipAny skips the immediates of op, the 0xFC-prefixed instructions included, and reports
// whether it knows op.
func skipAny(c *cursor, op byte) bool {
	if op != opPrefixFC {
		return skipInstr(c, op)
	}
	sub := c.u32()
	if int(sub) >= len(prefixFCOps) || !prefixFCOps[sub].known {
		return false
	}
	skipImm(c, prefixFCOps[sub].imm)
	return true
}

// inlineInto returns function body b (of function fn, with nParams parameters) with its
// direct calls to callees replaced by their bodies, and how many it replaced.
func inlineInto(b []byte, nParams int, fn uint32, callees map[uint32]*inlinee, lim InlineLimits) ([]byte, int, error) {
	c := &cursor{p: b}
	nLocals := nParams
	groups := c.count(2)
	for i := 0; i < groups && c.err == nil; i++ {
		nLocals += int(c.u32())
		skipValType(c)
	}
	if c.err != nil {
		return nil, 0, c.err
	}
	declEnd := c.off
	var (
		code  []byte
		from  = declEnd
		sites int
		base  = map[uint32]int{} // the first local of each callee's copies
		added []ValType          // locals added, in index order
	)
	for c.remaining() > 0 && c.err == nil {
		start := c.off
		op := c.byte()
		if op != opCall {
			if !skipAny(c, op) {
				return nil, 0, fmt.Errorf("instruction 0x%02x at %d", op, start)
			}
			continue
		}
		callee := c.u32()
		in := callees[callee]
		if in == nil || callee == fn {
			continue
		}
		first, ok := base[callee]
		if !ok {
			n := len(in.params) + len(in.locals)
			if nLocals+len(added)+n > lim.MaxCallerLocals {
				continue
			}
			first = nLocals + len(added)
			base[callee] = first
			added = append(append(added, in.params...), in.locals...)
		}
		if code == nil {
			code = make([]byte, 0, len(b)*2)
		}
		code = append(code, b[from:start]...)
		code = appendInlined(code, in, uint32(first))
		from = c.off
		sites++
	}
	if c.err != nil {
		return nil, 0, c.err
	}
	if sites == 0 {
		return b, 0, nil
	}
	code = append(code, b[from:]...)
	out := appendLocalDecls(make([]byte, 0, declEnd+len(code)+16), b[:declEnd], groups, added)
	return append(out, code...), sites, nil
}

// appendLocalDecls appends the local declarations decls (groups of them) followed by the
// locals added, grouped by runs of one type.
func appendLocalDecls(out, decls []byte, groups int, added []ValType) []byte {
	var runs []int // start of each run in added
	for i := range added {
		if i == 0 || added[i] != added[i-1] {
			runs = append(runs, i)
		}
	}
	c := &cursor{p: decls}
	c.count(2)
	out = appendU32(out, uint32(groups+len(runs)))
	out = append(out, decls[c.off:]...)
	for k, s := range runs {
		e := len(added)
		if k+1 < len(runs) {
			e = runs[k+1]
		}
		out = append(appendU32(out, uint32(e-s)), byte(added[s]))
	}
	return out
}

// appendInlined appends a copy of in, whose parameters and locals start at local first: the
// arguments on the stack go into the parameters, the locals are zeroed, and the body runs in
// a block that each return branches out of.
func appendInlined(out []byte, in *inlinee, first uint32) []byte {
	for i := len(in.params) - 1; i >= 0; i-- {
		out = append(out, LocalSet(first+uint32(i))...)
	}
	for i, v := range in.locals {
		out = appendZero(out, v)
		out = append(out, LocalSet(first+uint32(len(in.params)+i))...)
	}
	out = append(out, opBlock, in.blockType)
	c := &cursor{p: in.code}
	from, depth := 0, uint32(0)
	for c.remaining() > 0 {
		start := c.off
		op := c.byte()
		switch op {
		case opLocalGet, opLocalSet, opLocalTee:
			idx := c.u32()
			out = append(append(out, in.code[from:start]...), op1(op, idx+first)...)
			from = c.off
			continue
		case opReturn:
			out = append(append(out, in.code[from:start]...), op1(opBr, depth)...)
			from = c.off
			continue
		case opBlock, opLoop, opIf:
			depth++
		case opEnd:
			depth-- // the body's own end closes the block (and wraps below zero)
		}
		skipAny(c, op) // readInlinee read all of it
	}
	return append(out, in.code[from:]...)
}

const (
	opF32Const = 0x43
	opF64Const = 0x44
)

// appendZero appends a constant zero of type v.
func appendZero(out []byte, v ValType) []byte {
	switch v {
	case I32:
		return append(out, opI32Const, 0)
	case I64:
		return append(out, opI64Const, 0)
	case F32:
		return append(out, opF32Const, 0, 0, 0, 0)
	case F64:
		return append(out, opF64Const, 0, 0, 0, 0, 0, 0, 0, 0)
	default: // FuncRef, ExternRef
		return append(out, opRefNull, byte(v))
	}
}
