package wasmbin

import (
	"errors"
	"fmt"
)

// StackCheckSpec describes AddStackCheck.
type StackCheckSpec struct {
	// Func is the export whose body gets the check (PostgreSQL's check_stack_depth).
	Func string
	// SlotExport names the mutable i32 global added and exported: the table slot of the
	// check function, 0 until the host installs one.
	SlotExport string
	// RaiseExport names the second global: the slot of the function that raises the
	// error when the check says the stack is low, 0 until installed.
	RaiseExport string
	// Throw is the imported function (by import name, module "env") that rethrows a pending
	// longjmp: raise returns 1 when its error unwound to it and must go on unwinding here.
	Throw string
	// Every > 1 asks the host on one call in Every only, counting down in a third global (not
	// exported): the ask is a call out of the guest, which on PostgreSQL's parse and plan
	// (check_stack_depth runs in every recursive walker) cost 8% of a TPC-B transaction, while
	// Every-1 calls between two asks move the native stack by at most that many recursion
	// levels, a few KiB each.
	Every uint32
}

// AddStackCheck makes Func ask the host about the engine's own (native) stack before it does
// anything else: it calls the ()->i32 function in table slot SlotExport and, when that returns
// non-zero, the ()->i32 function in slot RaiseExport, which raises the error Func would raise;
// when raise returns 1 (its longjmp came back to it), Func calls Throw to continue it. Nothing
// is called while a slot is 0. Every existing index stays as it was: the two types, two
// globals and two exports are appended.
func AddStackCheck(wasm []byte, spec StackCheckSpec) ([]byte, error) {
	m, err := Parse(wasm)
	if err != nil {
		return nil, err
	}
	fn, ok := m.ExportedFunc(spec.Func)
	if !ok {
		return nil, fmt.Errorf("wasmbin: no export %s", spec.Func)
	}
	if fn < m.NumImportedFuncs {
		return nil, fmt.Errorf("wasmbin: %s is imported", spec.Func)
	}
	throw, found := uint32(0), false
	for i, im := range m.Imports {
		if im.Kind == KindFunc && im.Module == "env" && im.Name == spec.Throw {
			throw, found = funcIndexOfImport(m, i), true
		}
	}
	if !found {
		return nil, fmt.Errorf("wasmbin: no import env.%s", spec.Throw)
	}
	if m.NumImportedTables+uint32(boolInt(m.TableMin > 0)) == 0 {
		return nil, errors.New("wasmbin: no table")
	}
	nTypes := uint32(len(m.Types))
	i32ret := nTypes // appended: ()->i32
	nGlobals := m.NumImportedGlobals + uint32(len(m.GlobalInits))
	slot, raise := nGlobals, nGlobals+1
	prefix := Code(
		GlobalGet(slot), If(),
		GlobalGet(slot), CallIndirect(i32ret, 0), If(),
		GlobalGet(raise), CallIndirect(i32ret, 0), If(), Call(throw), End(),
		End(), End())
	counted := spec.Every > 1
	if counted {
		count := nGlobals + 2
		prefix = Code(
			GlobalGet(count), If(),
			GlobalGet(count), I32Const(-1), I32Add(), GlobalSet(count),
			Else(),
			I32Const(int32(spec.Every-1)), GlobalSet(count),
			prefix,
			End())
	}

	return mapSections(wasm, func(id byte, body []byte) ([]byte, error) {
		switch id {
		case secType:
			body = appendVecItem(body, appendFuncType(nil, FuncType{Results: []ValType{I32}}))
		case secGlobal:
			g := []byte{byte(I32), 1, opI32Const, 0, opEnd}
			body = appendVecItem(appendVecItem(body, g), g)
			if counted {
				body = appendVecItem(body, g)
			}
		case secExport:
			body = appendVecItem(body, appendU32(append(appendName(nil, spec.SlotExport), byte(KindGlobal)), slot))
			body = appendVecItem(body, appendU32(append(appendName(nil, spec.RaiseExport), byte(KindGlobal)), raise))
		case secCode:
			return prefixBody(body, fn-m.NumImportedFuncs, prefix)
		}
		return body, nil
	})
}

func funcIndexOfImport(m *Module, importPos int) uint32 {
	n := uint32(0)
	for i := 0; i < importPos; i++ {
		if m.Imports[i].Kind == KindFunc {
			n++
		}
	}
	return n
}

// appendVecItem adds one encoded item to a section body that is a vector.
func appendVecItem(body, item []byte) []byte {
	s := &cursor{p: body}
	n := s.u32()
	out := appendU32(nil, n+1)
	out = append(out, body[s.off:]...)
	return append(out, item...)
}

// prefixBody inserts code at the start of the instructions of defined function i in a code
// section body.
func prefixBody(body []byte, i uint32, code []byte) ([]byte, error) {
	c := &cursor{p: body}
	n := c.u32()
	if i >= n {
		return nil, fmt.Errorf("wasmbin: code section has %d bodies, want %d", n, i+1)
	}
	for k := uint32(0); k < i; k++ {
		sz := c.u32()
		c.bytes(int(sz))
	}
	start := c.off
	sz := c.u32()
	fstart := c.off
	f := c.bytes(int(sz))
	if c.err != nil {
		return nil, c.err
	}
	fc := &cursor{p: f}
	skipLocals(fc)
	if fc.err != nil {
		return nil, fc.err
	}
	nf := append(append(append([]byte(nil), f[:fc.off]...), code...), f[fc.off:]...)
	out := append([]byte(nil), body[:start]...)
	out = appendU32(out, uint32(len(nf)))
	out = append(out, nf...)
	return append(out, body[fstart+int(sz):]...), nil
}
