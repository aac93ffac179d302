package wasmbin

// Opcodes used by the generated glue.
// https://webassembly.github.io/spec/core/binary/instructions.html
const (
	opUnreachable  = 0x00
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opReturn       = 0x0f
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opTableGet     = 0x25
	opTableSet     = 0x26
	opI32Load      = 0x28
	opI32Store     = 0x36
	opI32Const     = 0x41
	opI64Const     = 0x42
	opI32Eqz       = 0x45
	opI32Eq        = 0x46
	opI32GtS       = 0x4a
	opI32Add       = 0x6a
	opRefNull      = 0xd0
	opRefFunc      = 0xd2
	opPrefixFC     = 0xfc
	subTableGrow   = 15
	subTableSize   = 16
	blockEmpty     = 0x40
)

// Instruction helpers return the encoding of one instruction; concatenate
// them with Code to form a function body.

// Code concatenates instructions into one body.
func Code(instrs ...[]byte) []byte {
	var out []byte
	for _, in := range instrs {
		out = append(out, in...)
	}
	return out
}

func op1(op byte, imm uint32) []byte { return appendU32([]byte{op}, imm) }

// Loop opens a loop without results; a branch to it jumps back to its start.
func Loop() []byte { return []byte{opLoop, blockEmpty} }

// BrIf pops an i32 and branches to label when it is not zero.
func BrIf(label uint32) []byte { return op1(opBrIf, label) }

// I32Eqz is 1 when the popped i32 is zero, else 0.
func I32Eqz() []byte { return []byte{opI32Eqz} }

// I32GtS compares the two popped i32s as signed integers: 1 when the first is greater.
func I32GtS() []byte { return []byte{opI32GtS} }

// Unreachable traps.
func Unreachable() []byte { return []byte{opUnreachable} }

// Return returns from the function with the values on the stack.
func Return() []byte { return []byte{opReturn} }

// Drop discards the top of the stack.
func Drop() []byte { return []byte{opDrop} }

// If opens an if block without results; close it with End.
func If() []byte { return []byte{opIf, blockEmpty} }

// Else starts the else arm of an If.
func Else() []byte { return []byte{opElse} }

// End closes a block. Function bodies get their final end from the Builder.
func End() []byte { return []byte{opEnd} }

// LocalGet pushes local i.
func LocalGet(i uint32) []byte { return op1(opLocalGet, i) }

// LocalSet pops into local i.
func LocalSet(i uint32) []byte { return op1(opLocalSet, i) }

// LocalTee stores the top of the stack in local i and keeps it.
func LocalTee(i uint32) []byte { return op1(opLocalTee, i) }

// GlobalGet pushes global i.
func GlobalGet(i uint32) []byte { return op1(opGlobalGet, i) }

// GlobalSet pops into global i.
func GlobalSet(i uint32) []byte { return op1(opGlobalSet, i) }

// I32Const pushes v.
func I32Const(v int32) []byte { return appendS64([]byte{opI32Const}, int64(v)) }

// I64Const pushes v.
func I64Const(v int64) []byte { return appendS64([]byte{opI64Const}, v) }

// I32Add adds the two i32 on top of the stack.
func I32Add() []byte { return []byte{opI32Add} }

// I32Eq compares the two i32 on top of the stack.
func I32Eq() []byte { return []byte{opI32Eq} }

// I32Load loads an i32 from memory 0 at address+offset (alignment 4).
func I32Load(offset uint32) []byte { return appendU32([]byte{opI32Load, 2}, offset) }

// I32Store stores an i32 to memory 0 at address+offset (alignment 4).
func I32Store(offset uint32) []byte { return appendU32([]byte{opI32Store, 2}, offset) }

// Call calls function f.
func Call(f uint32) []byte { return op1(opCall, f) }

// CallIndirect calls the function in table slot (top of stack) of the given
// table, trapping unless its type is typeIdx (see Builder.TypeIndex).
func CallIndirect(typeIdx, table uint32) []byte {
	return appendU32(op1(opCallIndirect, typeIdx), table)
}

// RefFunc pushes a reference to function f, which must be declared (see
// Builder.DeclareFuncRefs).
func RefFunc(f uint32) []byte { return op1(opRefFunc, f) }

// RefNull pushes a null funcref.
func RefNull() []byte { return []byte{opRefNull, byte(FuncRef)} }

// TableGet pushes the entry of table t at the index on the stack.
func TableGet(t uint32) []byte { return op1(opTableGet, t) }

// TableSet pops (index, ref) and stores ref in table t.
func TableSet(t uint32) []byte { return op1(opTableSet, t) }

// TableGrow pops (init ref, n), grows table t by n entries and pushes the old
// size, or -1 when the table cannot grow.
func TableGrow(t uint32) []byte { return appendU32([]byte{opPrefixFC, subTableGrow}, t) }

// TableSize pushes the current size of table t.
func TableSize(t uint32) []byte { return appendU32([]byte{opPrefixFC, subTableSize}, t) }
