package wasmbin

import (
	"errors"
	"fmt"
)

// ErrNotWasm reports input without the wasm magic number and version 1.
var ErrNotWasm = errors.New("wasmbin: not a WebAssembly 1.0 binary")

// Import is one entry of the import section. Only the field that matches
// Kind is set.
type Import struct {
	Module, Name string
	Kind         ExternKind
	Func         FuncType
	Table        Limits
	Memory       Limits
	Global       GlobalType
}

// Export is one entry of the export section. Index is in the index space of
// Kind, imports first.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// Module is what a host needs from a binary: enough to type and satisfy its
// imports, find its exports and table slots, and lay out a side module.
// Function bodies and data segments are not read.
type Module struct {
	Types              []FuncType
	Imports            []Import
	NumImportedFuncs   uint32
	NumImportedGlobals uint32
	NumImportedTables  uint32
	// FuncTypeIdx holds the type index of every function, imported first.
	FuncTypeIdx []uint32
	Exports     []Export
	// Memories holds the limits of the memories the module defines.
	Memories []Limits
	// GlobalInits holds, per defined global, the value of an i32.const or
	// i64.const initializer, and 0 for any other initializer.
	GlobalInits []int64
	// ElemSlots maps a function index to the lowest table-0 slot it gets
	// from an active element segment with a constant offset. Emscripten's
	// function pointers are these slots.
	ElemSlots map[uint32]uint32
	// TableMin is the initial size of table 0 when the module defines it.
	TableMin uint32
	// Dylink is the dylink.0 section of a side or main module, nil if absent.
	Dylink   *Dylink
	HasStart bool

	globalIsConst []bool
}

// FuncType returns the type of function funcIdx, or the zero FuncType when
// the index is out of range.
func (m *Module) FuncType(funcIdx uint32) FuncType {
	if int(funcIdx) >= len(m.FuncTypeIdx) || int(m.FuncTypeIdx[funcIdx]) >= len(m.Types) {
		return FuncType{}
	}
	return m.Types[m.FuncTypeIdx[funcIdx]]
}

// ExportedFunc returns the function index of the function exported as name.
func (m *Module) ExportedFunc(name string) (idx uint32, ok bool) {
	return m.exported(name, KindFunc)
}

func (m *Module) exported(name string, kind ExternKind) (uint32, bool) {
	for _, e := range m.Exports {
		if e.Name == name && e.Kind == kind {
			return e.Index, true
		}
	}
	return 0, false
}

// ExportedGlobalValue returns the constant initial value of a global the
// module defines and exports as name, such as __heap_base or a data symbol's
// address in a side module (before relocation by __memory_base).
func (m *Module) ExportedGlobalValue(name string) (int64, bool) {
	idx, ok := m.exported(name, KindGlobal)
	if !ok || idx < m.NumImportedGlobals {
		return 0, false
	}
	d := idx - m.NumImportedGlobals
	if int(d) >= len(m.GlobalInits) || !m.globalIsConst[d] {
		return 0, false
	}
	return m.GlobalInits[d], true
}

// Section ids of the binary format.
// https://webassembly.github.io/spec/core/binary/modules.html#sections
const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secTable    = 4
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secElem     = 9
)

// Parse reads the module header and the sections a host needs. Code and data
// sections are skipped by their size, so a 9 MB module parses in a few
// milliseconds. It never panics on malformed input.
func Parse(wasm []byte) (*Module, error) {
	if len(wasm) < 8 || string(wasm[:8]) != "\x00asm\x01\x00\x00\x00" {
		return nil, ErrNotWasm
	}
	m := &Module{ElemSlots: map[uint32]uint32{}}
	c := &cursor{p: wasm, off: 8}
	var seen [256]bool
	for c.remaining() > 0 {
		id := c.byte()
		size := c.u32()
		s := c.sub(size)
		if c.err != nil {
			return nil, fmt.Errorf("wasmbin: section %d header: %w", id, c.err)
		}
		// A repeated section would replace the types that earlier
		// indices were checked against.
		if id != secCustom && seen[id] {
			return nil, fmt.Errorf("wasmbin: duplicate section %d", id)
		}
		seen[id] = true
		if err := m.section(id, s); err != nil {
			return nil, fmt.Errorf("wasmbin: section %d: %w", id, err)
		}
	}
	return m, nil
}

func (m *Module) section(id byte, s *cursor) error {
	switch id {
	case secCustom:
		m.readCustom(s)
	case secType:
		m.readTypes(s)
	case secImport:
		m.readImports(s)
	case secFunction:
		m.readFunctions(s)
	case secTable:
		m.readTables(s)
	case secMemory:
		for n := s.count(1); n > 0 && s.err == nil; n-- {
			m.Memories = append(m.Memories, readLimits(s))
		}
	case secGlobal:
		m.readGlobals(s)
	case secExport:
		for n := s.count(3); n > 0 && s.err == nil; n-- {
			m.Exports = append(m.Exports, Export{Name: s.name(), Kind: ExternKind(s.byte()), Index: s.u32()})
		}
	case secStart:
		m.HasStart = true
	case secElem:
		m.readElems(s)
	}
	return s.err
}

func (m *Module) readTypes(s *cursor) {
	n := s.count(3)
	m.Types = make([]FuncType, 0, n)
	for ; n > 0 && s.err == nil; n-- {
		if form := s.byte(); form != 0x60 && s.err == nil {
			s.fail(fmt.Errorf("unsupported type form 0x%02x", form))
		}
		m.Types = append(m.Types, FuncType{Params: readValTypes(s), Results: readValTypes(s)})
	}
}

func readValTypes(s *cursor) []ValType {
	n := s.count(1)
	if n == 0 {
		return nil
	}
	vs := make([]ValType, n)
	for i, b := range s.bytes(n) {
		vs[i] = ValType(b)
	}
	return vs
}

// readLimits reads table or memory limits. Flag bit 0 means a maximum is
// present, bit 1 shared memory, bit 2 64-bit bounds (clamped to uint32).
func readLimits(s *cursor) Limits {
	flags := s.byte()
	if flags > 7 {
		s.fail(fmt.Errorf("bad limits flags 0x%02x", flags))
		return Limits{}
	}
	bits := uint(32)
	if flags&4 != 0 {
		bits = 64
	}
	var l Limits
	l.Min = clamp32(s.uN(bits))
	if flags&1 != 0 {
		l.Max, l.HasMax = clamp32(s.uN(bits)), true
	}
	return l
}

func clamp32(v uint64, _ bool) uint32 {
	if v > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(v)
}

func (m *Module) typeIdx(s *cursor) uint32 {
	t := s.u32()
	if s.err == nil && int(t) >= len(m.Types) {
		s.fail(fmt.Errorf("type index %d out of range", t))
	}
	return t
}

func (m *Module) readImports(s *cursor) {
	n := s.count(4)
	m.Imports = make([]Import, 0, n)
	for ; n > 0 && s.err == nil; n-- {
		im := Import{Module: s.name(), Name: s.name(), Kind: ExternKind(s.byte())}
		switch im.Kind {
		case KindFunc:
			t := m.typeIdx(s)
			if s.err == nil {
				im.Func = m.Types[t]
				m.FuncTypeIdx = append(m.FuncTypeIdx, t)
				m.NumImportedFuncs++
			}
		case KindTable:
			s.byte() // reftype
			im.Table = readLimits(s)
			m.NumImportedTables++
		case KindMemory:
			im.Memory = readLimits(s)
		case KindGlobal:
			im.Global = GlobalType{Type: ValType(s.byte()), Mutable: s.byte() == 1}
			m.NumImportedGlobals++
		case KindTag:
			s.byte() // attribute
			m.typeIdx(s)
		default:
			s.fail(fmt.Errorf("import %s.%s: bad kind %d", im.Module, im.Name, im.Kind))
		}
		m.Imports = append(m.Imports, im)
	}
}

func (m *Module) readFunctions(s *cursor) {
	for n := s.count(1); n > 0 && s.err == nil; n-- {
		m.FuncTypeIdx = append(m.FuncTypeIdx, m.typeIdx(s))
	}
}

func (m *Module) readTables(s *cursor) {
	n := s.count(2)
	for i := 0; i < n && s.err == nil; i++ {
		if rt := s.byte(); rt == 0x40 {
			s.fail(errors.New("tables with initializers are not supported"))
			return
		}
		l := readLimits(s)
		if i == 0 && m.NumImportedTables == 0 {
			m.TableMin = l.Min
		}
	}
}

func (m *Module) readGlobals(s *cursor) {
	for n := s.count(3); n > 0 && s.err == nil; n-- {
		s.byte() // value type
		s.byte() // mutability
		v, ok := readConstExpr(s)
		m.GlobalInits = append(m.GlobalInits, v.num)
		m.globalIsConst = append(m.globalIsConst, ok && v.kind == constNum)
	}
}
