package wasmbin

import (
	"errors"
	"fmt"
)

// StaticMainSpec says where a relocatable main module is placed (see StaticMain).
type StaticMainSpec struct {
	// Globals gives the value of every imported i32 global, by import name
	// (__stack_pointer, __memory_base, __table_base, GOT.mem's __heap_base): each becomes a
	// defined global with that initial value, mutable as imported.
	Globals map[string]int32
	// TableMin is the defined table's initial size; it has no maximum (the table helper
	// grows it to place callbacks).
	TableMin uint32
	// Renames maps function imports to other names, so that the host can give this module
	// its own implementation of an import that other modules take under the same name.
	Renames map[string]string
}

// StaticMain turns a relocatable Emscripten main module (one linked with -sRELOCATABLE or
// -sMAIN_MODULE, like pglite-tools' pg_dump.wasm, which imports its table, stack pointer,
// memory and table bases and GOT entries from the JavaScript loader) into a module that
// defines them, in the shape of initdb.wasm: the function table is defined and exported
// as __indirect_function_table, every imported global becomes a defined one with the value
// the loader would have given it, and the stack pointer is exported as __stack_pointer.
// The memory import is left alone (DefineImportedMemory handles it).
//
// Global indices do not move: the imported globals come first, and their definitions are
// placed first in the global section. Data and element segments whose offset reads one of
// those globals get the value as a constant instead, since a constant expression may only
// read an imported global. The dylink.0 section is dropped: the module is linked now.
func StaticMain(wasm []byte, spec StaticMainSpec) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:8]) != "\x00asm\x01\x00\x00\x00" {
		return nil, ErrNotWasm
	}
	st := &staticMain{spec: spec, values: map[uint32]int32{}, stackSP: -1}
	out := append([]byte(nil), wasm[:8]...)
	tablePlaced, globalsPlaced, exported := false, false, false
	err := eachSection(wasm, func(id byte, body []byte) error {
		if id == secCustom {
			if n := (&cursor{p: body}).name(); n != "dylink.0" {
				out = appendSection(out, id, body)
			}
			return nil
		}
		if !tablePlaced && st.table && sectionOrder(id) > sectionOrder(secTable) {
			out = appendSection(out, secTable, st.tableSection())
			tablePlaced = true
		}
		if !globalsPlaced && len(st.globals) > 0 && sectionOrder(id) > sectionOrder(secGlobal) {
			out = appendSection(out, secGlobal, st.globalSection(nil))
			globalsPlaced = true
		}
		if !exported && sectionOrder(id) > sectionOrder(secExport) {
			out = appendSection(out, secExport, st.exportSection(nil))
			exported = true
		}
		var err error
		switch id {
		case secImport:
			body, err = st.imports(body)
		case secTable:
			if st.table {
				err = errors.New("wasmbin: module both imports and defines a table")
			}
		case secGlobal:
			body, globalsPlaced = st.globalSection(body), true
		case secExport:
			body, exported = st.exportSection(body), true
		case secElem:
			body, err = st.elems(body)
		case secData:
			body, err = st.data(body)
		}
		if err != nil {
			return err
		}
		out = appendSection(out, id, body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !exported {
		out = appendSection(out, secExport, st.exportSection(nil))
	}
	return out, nil
}

// secData is the data section's id.
const secData = 11

type staticMain struct {
	spec    StaticMainSpec
	table   bool             // the table was imported
	globals []staticGlobal   // the imported globals, in index order
	values  map[uint32]int32 // their values by global index
	stackSP int32            // index of __stack_pointer, -1 when absent
}

type staticGlobal struct {
	name    string
	typ     ValType
	mutable bool
	value   int32
}

// imports drops the table and global imports and renames functions.
func (st *staticMain) imports(body []byte) ([]byte, error) {
	s := &cursor{p: body}
	n := s.count(4)
	var kept [][]byte
	for i := 0; i < n && s.err == nil; i++ {
		start := s.off
		module := s.name()
		name := s.name()
		kind := ExternKind(s.byte())
		switch kind {
		case KindFunc:
			typ := s.u32()
			if to, ok := st.spec.Renames[name]; ok && s.err == nil {
				e := appendName(appendName(nil, module), to)
				kept = append(kept, appendU32(append(e, byte(KindFunc)), typ))
				continue
			}
		case KindTable:
			s.byte()
			skipLimits(s)
			st.table = true
			continue
		case KindMemory:
			skipLimits(s)
		case KindGlobal:
			vt := ValType(s.byte())
			mut := s.byte() == 1
			v, ok := st.spec.Globals[name]
			if !ok && s.err == nil {
				return nil, fmt.Errorf("wasmbin: no value for the imported global %s.%s", module, name)
			}
			if vt != I32 {
				return nil, fmt.Errorf("wasmbin: imported global %s.%s is not an i32", module, name)
			}
			idx := uint32(len(st.globals))
			if name == "__stack_pointer" {
				st.stackSP = int32(idx)
			}
			st.globals = append(st.globals, staticGlobal{name: name, typ: vt, mutable: mut, value: v})
			st.values[idx] = v
			continue
		case KindTag:
			s.byte()
			s.u32()
		default:
			s.fail(fmt.Errorf("bad import kind %d", kind))
		}
		kept = append(kept, body[start:s.off])
	}
	if s.err != nil {
		return nil, fmt.Errorf("wasmbin: import section: %w", s.err)
	}
	payload := appendU32(nil, uint32(len(kept)))
	for _, k := range kept {
		payload = append(payload, k...)
	}
	return payload, nil
}

func (st *staticMain) tableSection() []byte {
	return appendLimits(append(appendU32(nil, 1), byte(FuncRef)), Limits{Min: st.spec.TableMin})
}

// globalSection prepends the definitions of the imported globals to body (nil: none).
func (st *staticMain) globalSection(body []byte) []byte {
	var rest []byte
	var n uint32
	if body != nil {
		s := &cursor{p: body}
		n = s.u32()
		rest = body[s.off:]
	}
	out := appendU32(nil, n+uint32(len(st.globals)))
	for _, g := range st.globals {
		out = append(out, byte(g.typ), boolByte(g.mutable), 0x41)
		out = append(appendS64(out, int64(g.value)), 0x0b)
	}
	return append(out, rest...)
}

// exportSection adds the table and the stack pointer to body (nil: none), unless exported.
func (st *staticMain) exportSection(body []byte) []byte {
	var rest []byte
	var n uint32
	names := map[string]bool{}
	if body != nil {
		s := &cursor{p: body}
		n = s.u32()
		rest = body[s.off:]
		for i := uint32(0); i < n && s.err == nil; i++ {
			names[s.name()] = true
			s.byte()
			s.u32()
		}
	}
	var add []byte
	if st.table && !names["__indirect_function_table"] {
		add = appendU32(append(appendName(add, "__indirect_function_table"), byte(KindTable)), 0)
		n++
	}
	if st.stackSP >= 0 && !names["__stack_pointer"] {
		add = appendU32(append(appendName(add, "__stack_pointer"), byte(KindGlobal)), uint32(st.stackSP))
		n++
	}
	return append(append(appendU32(nil, n), rest...), add...)
}

// offset copies a constant offset expression, replacing a read of an imported global by
// its value.
func (st *staticMain) offset(s *cursor, out []byte) []byte {
	start := s.off
	if s.remaining() > 0 && s.p[s.off] == 0x23 {
		s.byte()
		idx := s.u32()
		if v, ok := st.values[idx]; ok && s.remaining() > 0 && s.p[s.off] == 0x0b {
			s.byte()
			return append(appendS64(append(out, 0x41), int64(v)), 0x0b)
		}
		s.off = start
	}
	readConstExpr(s)
	return append(out, s.p[start:s.off]...)
}

// elems rewrites the offsets of active element segments of the MVP form (flags 0).
func (st *staticMain) elems(body []byte) ([]byte, error) {
	s := &cursor{p: body}
	n := s.u32()
	out := appendU32(nil, n)
	for i := uint32(0); i < n && s.err == nil; i++ {
		flags := s.u32()
		if flags != 0 {
			return nil, fmt.Errorf("wasmbin: element segment %d has flags %d, only 0 is supported", i, flags)
		}
		out = appendU32(out, flags)
		out = st.offset(s, out)
		start := s.off
		k := s.u32()
		for j := uint32(0); j < k && s.err == nil; j++ {
			s.u32()
		}
		out = append(out, body[start:s.off]...)
	}
	if s.err != nil {
		return nil, fmt.Errorf("wasmbin: element section: %w", s.err)
	}
	return out, nil
}

// data rewrites the offsets of active data segments.
func (st *staticMain) data(body []byte) ([]byte, error) {
	s := &cursor{p: body}
	n := s.u32()
	out := appendU32(nil, n)
	for i := uint32(0); i < n && s.err == nil; i++ {
		flags := s.u32()
		out = appendU32(out, flags)
		switch flags {
		case 0:
			out = st.offset(s, out)
		case 1:
		case 2:
			out = appendU32(out, s.u32())
			out = st.offset(s, out)
		default:
			return nil, fmt.Errorf("wasmbin: data segment %d has flags %d", i, flags)
		}
		start := s.off
		size := s.u32()
		s.bytes(int(size))
		out = append(out, body[start:s.off]...)
	}
	if s.err != nil {
		return nil, fmt.Errorf("wasmbin: data section: %w", s.err)
	}
	return out, nil
}
