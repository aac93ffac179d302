package wasmbin

// Opcode classes for walking function bodies instruction by instruction
// (see HoistBoundsChecks). Every instruction is one of:
//
//   - a control instruction, which ends a straight-line region; its
//     immediates are skipped and its stack effect does not matter because the
//     operand stack model restarts after it;
//   - a memory access (load or store) with a memarg immediate;
//   - a local access (local.get, local.set, local.tee);
//   - a plain instruction that pops and pushes a fixed number of values and
//     whose immediates are described by an immKind.
//
// https://webassembly.github.io/spec/core/binary/instructions.html

// immKind describes how to skip the immediates of a plain instruction.
type immKind uint8

const (
	immNone    immKind = iota
	immU32             // one u32 LEB (an index)
	immU32x2           // two u32 LEBs
	immS32             // i32.const
	immS64             // i64.const
	immF32             // 4 raw bytes
	immF64             // 8 raw bytes
	immHeap            // ref.null heap type (s33)
	immSelectT         // typed select: vector of value types
)

// plainOp is the stack effect and immediates of an instruction that neither
// branches nor touches memory through a memarg.
type plainOp struct {
	known     bool
	pop, push uint8
	imm       immKind
}

// Opcodes of the one-byte space that the walker treats specially.
const (
	opNop            = 0x01
	opBlock          = 0x02
	opLoop           = 0x03
	opTry            = 0x06
	opCatch          = 0x07
	opThrow          = 0x08
	opRethrow        = 0x09
	opThrowRef       = 0x0a
	opBr             = 0x0c
	opBrIf           = 0x0d
	opBrTable        = 0x0e
	opReturnCall     = 0x12
	opReturnCallInd  = 0x13
	opCallRef        = 0x14
	opReturnCallRef  = 0x15
	opDelegate       = 0x18
	opCatchAll       = 0x19
	opTryTable       = 0x1f
	opI32Load8U      = 0x2d
	opMemorySize     = 0x3f
	opMemoryGrow     = 0x40
	opBrOnNull       = 0xd5
	opBrOnNonNull    = 0xd6
	opPrefixSIMD     = 0xfd
	opPrefixAtomic   = 0xfe
	firstLoadOpcode  = 0x28 // i32.load
	lastLoadOpcode   = 0x35 // i64.load32_u
	firstStoreOpcode = 0x36 // i32.store
	lastStoreOpcode  = 0x3e // i64.store32
)

// memAccessSize is the number of bytes each load (0x28..0x35) and store
// (0x36..0x3e) touches, indexed by opcode-0x28.
var memAccessSize = [...]uint8{
	4, 8, 4, 8, // i32.load i64.load f32.load f64.load
	1, 1, 2, 2, // i32.load8_s/u i32.load16_s/u
	1, 1, 2, 2, 4, 4, // i64.load8_s/u i64.load16_s/u i64.load32_s/u
	4, 8, 4, 8, // i32.store i64.store f32.store f64.store
	1, 2, // i32.store8 i32.store16
	1, 2, 4, // i64.store8 i64.store16 i64.store32
}

// plainOps describes the one-byte plain instructions.
var plainOps = func() (t [256]plainOp) {
	set := func(lo, hi int, pop, push uint8, imm immKind) {
		for op := lo; op <= hi; op++ {
			t[op] = plainOp{known: true, pop: pop, push: push, imm: imm}
		}
	}
	set(opNop, opNop, 0, 0, immNone)
	set(0x1a, 0x1a, 1, 0, immNone)    // drop
	set(0x1b, 0x1b, 3, 1, immNone)    // select
	set(0x1c, 0x1c, 3, 1, immSelectT) // select t*
	set(0x23, 0x23, 0, 1, immU32)     // global.get
	set(0x24, 0x24, 1, 0, immU32)     // global.set
	set(0x25, 0x25, 1, 1, immU32)     // table.get
	set(0x26, 0x26, 2, 0, immU32)     // table.set
	set(opMemorySize, opMemorySize, 0, 1, immU32)
	set(0x41, 0x41, 0, 1, immS32)  // i32.const
	set(0x42, 0x42, 0, 1, immS64)  // i64.const
	set(0x43, 0x43, 0, 1, immF32)  // f32.const
	set(0x44, 0x44, 0, 1, immF64)  // f64.const
	set(0x45, 0x45, 1, 1, immNone) // i32.eqz
	set(0x46, 0x4f, 2, 1, immNone) // i32 comparisons
	set(0x50, 0x50, 1, 1, immNone) // i64.eqz
	set(0x51, 0x5a, 2, 1, immNone) // i64 comparisons
	set(0x5b, 0x66, 2, 1, immNone) // f32 and f64 comparisons
	set(0x67, 0x69, 1, 1, immNone) // i32.clz ctz popcnt
	set(0x6a, 0x78, 2, 1, immNone) // i32 arithmetic
	set(0x79, 0x7b, 1, 1, immNone) // i64.clz ctz popcnt
	set(0x7c, 0x8a, 2, 1, immNone) // i64 arithmetic
	set(0x8b, 0x91, 1, 1, immNone) // f32 unary
	set(0x92, 0x98, 2, 1, immNone) // f32 binary
	set(0x99, 0x9f, 1, 1, immNone) // f64 unary
	set(0xa0, 0xa6, 2, 1, immNone) // f64 binary
	set(0xa7, 0xbf, 1, 1, immNone) // conversions and reinterpretations
	set(0xc0, 0xc4, 1, 1, immNone) // sign extension
	set(opRefNull, opRefNull, 0, 1, immHeap)
	set(0xd1, 0xd1, 1, 1, immNone) // ref.is_null
	set(opRefFunc, opRefFunc, 0, 1, immU32)
	set(0xd3, 0xd3, 1, 1, immNone) // ref.as_non_null
	set(0xd4, 0xd4, 2, 1, immNone) // ref.eq
	return t
}()

// prefixFCOps describes the 0xFC-prefixed instructions by sub-opcode:
// saturating truncation (0-7), bulk memory (8-11) and table instructions
// (12-17). None of them branches; the bulk operations bounds-check their own
// ranges at run time.
var prefixFCOps = [...]plainOp{
	0: {true, 1, 1, immNone}, 1: {true, 1, 1, immNone}, // i32.trunc_sat_f32_s/u
	2: {true, 1, 1, immNone}, 3: {true, 1, 1, immNone}, // i32.trunc_sat_f64_s/u
	4: {true, 1, 1, immNone}, 5: {true, 1, 1, immNone}, // i64.trunc_sat_f32_s/u
	6: {true, 1, 1, immNone}, 7: {true, 1, 1, immNone}, // i64.trunc_sat_f64_s/u
	8:  {true, 3, 0, immU32x2}, // memory.init data mem
	9:  {true, 0, 0, immU32},   // data.drop
	10: {true, 3, 0, immU32x2}, // memory.copy mem mem
	11: {true, 3, 0, immU32},   // memory.fill mem
	12: {true, 3, 0, immU32x2}, // table.init elem table
	13: {true, 0, 0, immU32},   // elem.drop
	14: {true, 3, 0, immU32x2}, // table.copy table table
	15: {true, 2, 1, immU32},   // table.grow
	16: {true, 0, 1, immU32},   // table.size
	17: {true, 3, 0, immU32},   // table.fill
}

// Instruction classes, for dispatch in the body walker.
const (
	classUnknown = iota
	classPlain
	classLocalGet
	classLocalSet
	classLocalTee
	classI32Const
	classLoad
	classStore
	classMemoryGrow
	classPrefixFC
	classBlock
	classEnd
	classCall // call and call_indirect
	classControl
)

// opClasses classifies the one-byte opcodes.
var opClasses = func() (t [256]uint8) {
	for op := range t {
		if plainOps[op].known {
			t[op] = classPlain
		}
	}
	for op := firstLoadOpcode; op <= lastLoadOpcode; op++ {
		t[op] = classLoad
	}
	for op := firstStoreOpcode; op <= lastStoreOpcode; op++ {
		t[op] = classStore
	}
	for _, op := range []byte{opUnreachable, opLoop, opIf, opElse, opTry, opCatch, opThrow, opRethrow,
		opThrowRef, opBr, opBrIf, opBrTable, opReturn, opReturnCall, opReturnCallInd, opCallRef,
		opReturnCallRef, opDelegate, opCatchAll, opTryTable, opBrOnNull, opBrOnNonNull} {
		t[op] = classControl
	}
	t[opLocalGet] = classLocalGet
	t[opLocalSet] = classLocalSet
	t[opLocalTee] = classLocalTee
	t[opI32Const] = classI32Const
	t[opMemoryGrow] = classMemoryGrow
	t[opPrefixFC] = classPrefixFC
	t[opBlock] = classBlock
	t[opEnd] = classEnd
	t[opCall] = classCall
	t[opCallIndirect] = classCall
	return t
}()

// skipImm skips the immediates of kind k.
func skipImm(c *cursor, k immKind) {
	switch k {
	case immU32:
		c.u32()
	case immU32x2:
		c.u32()
		c.u32()
	case immS32:
		c.sN(32)
	case immS64:
		c.sN(64)
	case immF32:
		c.bytes(4)
	case immF64:
		c.bytes(8)
	case immHeap:
		c.sN(33)
	case immSelectT:
		for n := c.count(1); n > 0 && c.err == nil; n-- {
			skipValType(c)
		}
	}
}

// skipValType skips one value type, including the two-part reference types
// (ref ht) and (ref null ht) of the function-references proposal.
func skipValType(c *cursor) {
	if b := c.byte(); b == 0x63 || b == 0x64 {
		c.sN(33)
	}
}

// skipControl skips the immediates of control instruction op and reports
// whether op is one (calls and block handled by the walker excepted).
func skipControl(c *cursor, op byte) bool {
	switch op {
	case opUnreachable, opElse, opThrowRef, opEnd, opReturn, opCatchAll:
	case opBlock, opLoop, opIf, opTry:
		c.sN(33) // block type: empty, a value type or a type index
	case opCatch, opThrow, opRethrow, opBr, opBrIf, opCall, opReturnCall,
		opCallRef, opReturnCallRef, opDelegate, opBrOnNull, opBrOnNonNull:
		c.u32()
	case opCallIndirect, opReturnCallInd:
		c.u32()
		c.u32()
	case opBrTable:
		for n := c.count(1); n > 0 && c.err == nil; n-- {
			c.u32()
		}
		c.u32()
	case opTryTable:
		c.sN(33)
		for n := c.count(2); n > 0 && c.err == nil; n-- {
			switch kind := c.byte(); kind {
			case 0, 1: // catch tag label, catch_ref tag label
				c.u32()
				c.u32()
			case 2, 3: // catch_all label, catch_all_ref label
				c.u32()
			default:
				c.fail(errBadCatch)
			}
		}
	default:
		return false
	}
	return true
}
