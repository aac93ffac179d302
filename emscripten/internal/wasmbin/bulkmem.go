package wasmbin

import (
	"errors"
	"fmt"
)

// InlineSmallBulkMemory makes every memory.fill and memory.copy of memory 0 a call to one of
// two functions it appends, which store words in a loop up to limit bytes and use the
// instruction itself above that. clang emits the instructions for every memset and memcpy,
// most of them a few dozen bytes (palloc0, struct copies), and wasmtime runs each as a call
// out of the compiled code into its runtime that costs more than the bytes it moves. A
// forward word copy is what memory.copy does where the ranges cannot collide; a copy whose
// destination starts inside its source keeps the instruction. The helpers trap where the
// instruction would, on the first byte out of bounds, after storing the bytes before it:
// PostgreSQL never goes on after such a trap. Every existing index stays as it was. It
// reports how many instructions it replaced.
func InlineSmallBulkMemory(wasm []byte, limit int32) (out []byte, fills, copies int, err error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(m.Memories) == 0 && !importsMemory(m) {
		return nil, 0, 0, errors.New("wasmbin: no memory")
	}
	bulkType := uint32(len(m.Types)) // appended: (i32, i32, i32) -> ()
	fillFn := uint32(len(m.FuncTypeIdx))
	copyFn := fillFn + 1
	fillCall, copyCall := Call(fillFn), Call(copyFn)

	out, err = mapSections(wasm, func(id byte, body []byte) ([]byte, error) {
		switch id {
		case secType:
			body = appendVecItem(body, appendFuncType(nil, FuncType{Params: []ValType{I32, I32, I32}}))
		case secFunction:
			body = appendVecItem(appendVecItem(body, appendU32(nil, bulkType)), appendU32(nil, bulkType))
		case secCode:
			var err error
			if body, fills, copies, err = replaceBulkOps(body, fillCall, copyCall); err != nil {
				return nil, err
			}
			body = appendVecItem(appendVecItem(body, funcBody(fillBody(limit))), funcBody(copyBody(limit)))
		}
		return body, nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	return out, fills, copies, nil
}

func importsMemory(m *Module) bool {
	for _, im := range m.Imports {
		if im.Kind == KindMemory {
			return true
		}
	}
	return false
}

// replaceBulkOps rewrites a code section body, instruction by instruction.
func replaceBulkOps(body, fillCall, copyCall []byte) (out []byte, fills, copies int, err error) {
	bodies, err := splitCode(body)
	if err != nil {
		return nil, 0, 0, err
	}
	out = appendU32(make([]byte, 0, len(body)+len(body)/64), uint32(len(bodies)))
	var fn []byte
	for i, b := range bodies {
		f := &cursor{p: b}
		fn = fn[:0]
		skipLocals(f)
		fn = append(fn, f.p[:f.off]...)
		from := f.off
		for f.remaining() > 0 && f.err == nil {
			start := f.off
			op := f.p[f.off]
			f.off++
			if op == opPrefixFC {
				sub := f.u32()
				switch {
				case sub == subMemoryFill && f.remaining() >= 1 && f.p[f.off] == 0:
					f.off++
					fn = append(append(fn, f.p[from:start]...), fillCall...)
					from, fills = f.off, fills+1
					continue
				case sub == subMemoryCopy && f.remaining() >= 2 && f.p[f.off] == 0 && f.p[f.off+1] == 0:
					f.off += 2
					fn = append(append(fn, f.p[from:start]...), copyCall...)
					from, copies = f.off, copies+1
					continue
				case int(sub) < len(prefixFCOps):
					skipImm(f, prefixFCOps[sub].imm)
					continue
				}
				return nil, 0, 0, fmt.Errorf("wasmbin: function %d: instruction 0xfc %d at %d", i, sub, start)
			}
			if !skipInstr(f, op) {
				return nil, 0, 0, fmt.Errorf("wasmbin: function %d: instruction 0x%02x at %d", i, op, start)
			}
		}
		if f.err != nil {
			return nil, 0, 0, fmt.Errorf("wasmbin: function %d: %w", i, f.err)
		}
		fn = append(fn, f.p[from:]...)
		out = append(appendU32(out, uint32(len(fn))), fn...)
	}
	return out, fills, copies, nil
}

// skipInstr skips the immediates of the one-byte-opcode instruction op, whose opcode byte c
// has just read, and reports whether it knows op.
func skipInstr(c *cursor, op byte) bool {
	switch opClasses[op] {
	case classPlain:
		skipImm(c, plainOps[op].imm)
	case classLocalGet, classLocalSet, classLocalTee, classMemoryGrow:
		c.u32()
	case classI32Const:
		c.sN(32)
	case classLoad, classStore:
		if c.u32()&0x40 != 0 {
			c.u32() // memory index
		}
		c.uN(64)
	case classBlock:
		c.sN(33)
	case classEnd:
	case classCall, classControl:
		return skipControl(c, op)
	default:
		return false
	}
	return true
}

// Sub-opcodes of the 0xFC prefix and one-byte opcodes the helpers use.
const (
	subMemoryCopy = 10
	subMemoryFill = 11

	opI32LtU   = 0x49
	opI32GtU   = 0x4b
	opI32Sub   = 0x6b
	opI32And   = 0x71
	opI32Or    = 0x72
	opI64Mul   = 0x7e
	opI64ExtU  = 0xad
	opI64Load  = 0x29
	opI64Store = 0x37
	opI32St8   = 0x3a
)

// funcBody encodes a function body with no locals beyond its parameters but one i64.
func funcBody(code []byte) []byte {
	b := []byte{1, 1, byte(I64)} // one group of one i64 local: index 3
	b = append(b, code...)
	return append(appendU32(nil, uint32(len(b))), b...)
}

// Parameters of both helpers.
const (
	pDst = 0
	pSrc = 1 // the fill value for fillBody
	pLen = 2
	lTmp = 3
)

// add32 adds v to local l.
func add32(l uint32, v int32) []byte {
	return Code(LocalGet(l), I32Const(v), I32Add(), LocalSet(l))
}

// wordLoop runs body (which moves 8 bytes at pDst, and pSrc when copy) while pLen >= 8, then
// byteBody (one byte) while pLen > 0.
func wordLoop(word, byteBody []byte, copy bool) []byte {
	step := func(n int32) []byte {
		s := add32(pDst, n)
		if copy {
			s = append(s, add32(pSrc, n)...)
		}
		return append(s, add32(pLen, -n)...)
	}
	return Code(
		Block(blockEmpty), Loop(),
		LocalGet(pLen), I32Const(8), []byte{opI32LtU}, BrIf(1),
		word, step(8), Br(0),
		End(), End(),
		Block(blockEmpty), Loop(),
		LocalGet(pLen), I32Eqz(), BrIf(1),
		byteBody, step(1), Br(0),
		End(), End())
}

// fillBody: memory.fill above limit bytes, else the value's byte repeated in an i64.
func fillBody(limit int32) []byte {
	return Code(
		LocalGet(pLen), I32Const(limit), []byte{opI32GtU}, If(),
		LocalGet(pDst), LocalGet(pSrc), LocalGet(pLen), []byte{opPrefixFC, subMemoryFill, 0}, Return(),
		End(),
		LocalGet(pSrc), I32Const(0xff), []byte{opI32And}, []byte{opI64ExtU},
		I64Const(0x0101010101010101), []byte{opI64Mul}, LocalSet(lTmp),
		wordLoop(
			Code(LocalGet(pDst), LocalGet(lTmp), []byte{opI64Store, 0, 0}),
			Code(LocalGet(pDst), LocalGet(pSrc), []byte{opI32St8, 0, 0}), false),
		End())
}

// copyBody: memory.copy above limit bytes or when the destination starts inside the source
// (dst-src < len, unsigned), else a forward copy, word by word.
func copyBody(limit int32) []byte {
	return Code(
		LocalGet(pLen), I32Const(limit), []byte{opI32GtU},
		LocalGet(pDst), LocalGet(pSrc), []byte{opI32Sub}, LocalGet(pLen), []byte{opI32LtU},
		[]byte{opI32Or}, If(),
		LocalGet(pDst), LocalGet(pSrc), LocalGet(pLen), []byte{opPrefixFC, subMemoryCopy, 0, 0}, Return(),
		End(),
		wordLoop(
			Code(LocalGet(pDst), LocalGet(pSrc), []byte{opI64Load, 0, 0}, []byte{opI64Store, 0, 0}),
			Code(LocalGet(pDst), LocalGet(pSrc), []byte{opI32Load8U, 0, 0}, []byte{opI32St8, 0, 0}), true),
		End())
}
