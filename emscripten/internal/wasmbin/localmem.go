package wasmbin

import (
	"errors"
	"fmt"
)

// DefineImportedMemory rewrites a module that imports its linear memory into one that
// defines the memory itself, with the same limits, and exports it as exportName (unless
// the module already exports it). Nothing else changes: the memory keeps index 0, and the
// code, data and every other index stay byte for byte.
//
// Why: wazero's optimizing compiler reaches an imported memory through the importing
// module's context and then the memory instance (two dependent loads for the base and two
// for the length), and it reloads both after every call and at every control-flow merge.
// A defined memory sits in the module's own context, one load each. PostgreSQL touches
// memory in nearly every basic block, so this is measurable on every query.
//
// It returns ErrNoMemoryImport when the module does not import a memory.
func DefineImportedMemory(wasm []byte, exportName string) ([]byte, error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, err
	}
	imported := false
	for _, im := range m.Imports {
		imported = imported || im.Kind == KindMemory
	}
	if !imported {
		return nil, ErrNoMemoryImport
	}
	if len(m.Memories) > 0 {
		return nil, errors.New("wasmbin: module both imports and defines a memory")
	}
	exported := false
	for _, e := range m.Exports {
		if e.Kind == KindMemory {
			exported = true
		}
	}

	out := make([]byte, 0, len(wasm)+len(exportName)+16)
	out = append(out, wasm[:8]...)
	var limits []byte // raw limits of the memory import, flags included
	placed := false
	placeMemory := func() {
		if !placed && limits != nil {
			payload := append(appendU32(nil, 1), limits...)
			out = appendSection(out, secMemory, payload)
			placed = true
		}
	}
	err = eachSection(wasm, func(id byte, body []byte) error {
		if id != secCustom && sectionOrder(id) > sectionOrder(secMemory) {
			placeMemory()
		}
		if id != secCustom && sectionOrder(id) > sectionOrder(secExport) && !exported {
			out = appendSection(out, secExport, appendExport(appendU32(nil, 0), exportName))
			exported = true
		}
		switch id {
		case secImport:
			var err error
			if body, limits, err = dropMemoryImport(body); err != nil {
				return err
			}
		case secExport:
			if !exported {
				body = appendExport(body, exportName)
				exported = true
			}
		}
		out = appendSection(out, id, body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	placeMemory()
	if !exported {
		out = appendSection(out, secExport, appendExport(appendU32(nil, 0), exportName))
	}
	return out, nil
}

// ErrNoMemoryImport is returned by DefineImportedMemory for a module without a memory import.
var ErrNoMemoryImport = errors.New("wasmbin: module does not import a memory")

// sectionOrder ranks section ids in the order the binary format requires; the tag (13) and
// data count (12) sections sit between ids whose numbers are lower.
func sectionOrder(id byte) int {
	switch id {
	case 13: // tag
		return 55
	case 12: // data count
		return 95
	}
	return int(id) * 10
}

// dropMemoryImport re-encodes an import section without its memory import and returns the
// raw limits of that import.
func dropMemoryImport(body []byte) (payload, limits []byte, err error) {
	s := &cursor{p: body}
	n := s.count(4)
	var kept [][]byte
	for i := 0; i < n && s.err == nil; i++ {
		start := s.off
		s.name()
		s.name()
		kind := ExternKind(s.byte())
		switch kind {
		case KindFunc:
			s.u32()
		case KindTable:
			s.byte()
			skipLimits(s)
		case KindMemory:
			at := s.off
			skipLimits(s)
			if limits != nil && s.err == nil {
				return nil, nil, errors.New("wasmbin: more than one memory import")
			}
			limits = body[at:s.off]
			continue
		case KindGlobal:
			s.byte()
			s.byte()
		case KindTag:
			s.byte()
			s.u32()
		default:
			s.fail(fmt.Errorf("bad import kind %d", kind))
		}
		kept = append(kept, body[start:s.off])
	}
	if s.err != nil {
		return nil, nil, fmt.Errorf("wasmbin: import section: %w", s.err)
	}
	payload = appendU32(nil, uint32(len(kept)))
	for _, k := range kept {
		payload = append(payload, k...)
	}
	return payload, limits, nil
}

func skipLimits(s *cursor) {
	flags := s.byte()
	bits := uint(32)
	if flags&4 != 0 {
		bits = 64
	}
	s.uN(bits)
	if flags&1 != 0 {
		s.uN(bits)
	}
}

// appendExport returns an export section body with one more entry: memory 0 as name.
func appendExport(body []byte, name string) []byte {
	s := &cursor{p: body}
	n := s.u32()
	out := appendU32(nil, n+1)
	out = append(out, body[s.off:]...)
	out = appendName(out, name)
	return append(append(out, byte(KindMemory)), 0)
}
