package wasmbin

// The exception-handling proposal (the final form: try_table and exnref), as the generated
// invoke_* modules use it on engines that have it.
// https://github.com/WebAssembly/exception-handling/blob/main/proposals/exception-handling/Exceptions.md

const (
	secTag       = 13 // after the memory section, before the global section
	catchAll     = 0x02
	catchAllRef  = 0x03
	blockTypeExn = 0x69 // exnref, as a block result
)

// DefineTag defines an exception tag whose payload is params (no results) and returns its
// tag index.
func (b *Builder) DefineTag(params []ValType) uint32 {
	b.defined = true
	b.tags = append(b.tags, b.TypeIndex(FuncType{Params: params}))
	return uint32(len(b.tags)) - 1
}

// ActiveElems fills table slots offset.. of table with funcs when the module is
// instantiated (an active element segment).
func (b *Builder) ActiveElems(table, offset uint32, funcs ...uint32) {
	b.active = append(b.active, activeSeg{table: table, offset: offset, funcs: funcs})
}

type activeSeg struct {
	table, offset uint32
	funcs         []uint32
}

// Throw throws an exception of tag t with its payload from the stack.
func Throw(t uint32) []byte { return op1(opThrow, t) }

// ThrowRef rethrows the exnref on top of the stack.
func ThrowRef() []byte { return []byte{opThrowRef} }

// TryTableCatchAll opens a try_table block with the given block type (blockEmpty, or a value
// type byte for one result) whose every exception branches to label (a block around it,
// counted from inside the try_table: 0 is the try_table's own enclosing block). Close it
// with End.
func TryTableCatchAll(blockType byte, label uint32) []byte {
	return appendU32([]byte{opTryTable, blockType, 1, catchAll}, label)
}

// TryTableCatchAllRef is TryTableCatchAll whose branch carries the caught exnref.
func TryTableCatchAllRef(blockType byte, label uint32) []byte {
	return appendU32([]byte{opTryTable, blockType, 1, catchAllRef}, label)
}

// Block opens a block with the given block type; close it with End.
func Block(blockType byte) []byte { return []byte{0x02, blockType} }

// Br branches to label l.
func Br(l uint32) []byte { return op1(0x0c, l) }

// BlockEmpty is the block type of a block without results.
const BlockEmpty = blockEmpty

// BlockExnRef is the block type of a block whose result is an exnref.
const BlockExnRef = blockTypeExn
