package wasmbin

import "fmt"

// readElems records, for active segments on table 0 with a constant offset,
// the table slot of every function they place. Emscripten's function
// pointers are table slots, so a host that must hand a function pointer to C
// (or reuse the slot a function already has, as the JS loader does) needs
// this map; wazero cannot read table contents from Go.
//
// Segment flags: bit 0 passive/declarative, bit 1 explicit table index (or
// declarative when bit 0 is set), bit 2 expressions instead of indices.
// https://webassembly.github.io/spec/core/binary/modules.html#element-section
func (m *Module) readElems(s *cursor) {
	for n := s.count(1); n > 0 && s.err == nil; n-- {
		flags := s.u32()
		if flags > 7 {
			s.fail(fmt.Errorf("bad element segment flags %d", flags))
			return
		}
		active := flags&1 == 0
		var table uint32
		if active && flags&2 != 0 {
			table = s.u32()
		}
		var offset constVal
		if active {
			offset, _ = readConstExpr(s)
		}
		if flags&3 != 0 {
			s.byte() // elemkind or reftype
		}
		record := active && table == 0 && offset.kind == constNum
		base := uint32(offset.num)
		count := s.count(1)
		for i := 0; i < count && s.err == nil; i++ {
			var fn uint32
			isFunc := true
			if flags&4 == 0 {
				fn = s.u32()
			} else {
				v, _ := readConstExpr(s)
				fn, isFunc = v.fn, v.kind == constRefFunc
			}
			if record && isFunc {
				m.addSlot(fn, base+uint32(i))
			}
		}
	}
}

func (m *Module) addSlot(fn, slot uint32) {
	if old, ok := m.ElemSlots[fn]; !ok || slot < old {
		m.ElemSlots[fn] = slot
	}
}
