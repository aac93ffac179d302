// Package wasmbin reads and writes the few parts of the WebAssembly binary
// format that an Emscripten host needs: imports, exports, globals, element
// slots and the dylink.0 section on the read side, and small generated glue
// modules (re-export shims, table helpers, slot installers) on the write
// side. wazero has no Go API for exporting a memory from a host module or
// for writing table entries, so the host builds these modules at run time.
//
// https://webassembly.github.io/spec/core/binary/index.html
package wasmbin

import (
	"fmt"
	"strings"
)

// ValType is a value type byte as encoded in the binary format.
// https://webassembly.github.io/spec/core/binary/types.html#value-types
type ValType byte

// Value types used by Emscripten modules.
const (
	I32       ValType = 0x7f
	I64       ValType = 0x7e
	F32       ValType = 0x7d
	F64       ValType = 0x7c
	V128      ValType = 0x7b
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6f
)

// String returns the text-format name of the type.
func (v ValType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("0x%02x", byte(v))
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []ValType
}

// String formats the type as "(i32,i64)->(i32)", compact enough for error
// messages about mismatched imports.
func (t FuncType) String() string {
	var sb strings.Builder
	writeList(&sb, t.Params)
	sb.WriteString("->")
	writeList(&sb, t.Results)
	return sb.String()
}

func writeList(sb *strings.Builder, vs []ValType) {
	sb.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(v.String())
	}
	sb.WriteByte(')')
}

// Equal reports whether t and u have the same params and results, which is
// what call_indirect checks.
func (t FuncType) Equal(u FuncType) bool {
	return string(valBytes(t.Params)) == string(valBytes(u.Params)) &&
		string(valBytes(t.Results)) == string(valBytes(u.Results))
}

func valBytes(vs []ValType) []byte {
	b := make([]byte, len(vs))
	for i, v := range vs {
		b[i] = byte(v)
	}
	return b
}

// ExternKind is the kind byte of an import or export.
type ExternKind byte

// Import and export kinds. KindTag comes from the exception-handling
// proposal; the reader accepts it so such modules still parse.
const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
	KindTag    ExternKind = 4
)

// String returns the text-format keyword of the kind.
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return "kind?"
}

// Limits are the size bounds of a table (in entries) or memory (in pages).
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// GlobalType is the type and mutability of a global.
type GlobalType struct {
	Type    ValType
	Mutable bool
}
