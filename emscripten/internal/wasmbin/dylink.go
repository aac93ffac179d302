package wasmbin

// Dylink is the content of a "dylink.0" custom section: how much memory and
// how many table slots a side module needs, which libraries it needs first,
// which of its exports are thread-local and which of its imports are weak.
// https://github.com/WebAssembly/tool-conventions/blob/main/DynamicLinking.md
type Dylink struct {
	MemSize    uint32
	MemAlign   uint32 // log2 of the required alignment
	TableSize  uint32
	TableAlign uint32 // log2
	Needed     []string
	// WeakImports holds {module, name} of imports whose binding is weak
	// (flags&3 == 1): a missing definition resolves to 0 instead of failing.
	WeakImports map[[2]string]bool
	// ExportTLS holds the exports flagged as thread-local symbols.
	ExportTLS map[string]bool
}

// dylink.0 subsection ids and symbol flags, from the tool conventions.
const (
	dylinkMemInfo    = 1
	dylinkNeeded     = 2
	dylinkExportInfo = 3
	dylinkImportInfo = 4

	symBindingMask = 3
	symBindingWeak = 1
	symTLS         = 0x100
)

func (m *Module) readCustom(s *cursor) {
	if s.name() != "dylink.0" || s.err != nil {
		return
	}
	d := &Dylink{WeakImports: map[[2]string]bool{}, ExportTLS: map[string]bool{}}
	for s.remaining() > 0 && s.err == nil {
		id := s.byte()
		sub := s.sub(s.u32())
		readDylinkSub(d, id, sub)
		if sub.err != nil {
			s.fail(sub.err)
		}
	}
	m.Dylink = d
}

func readDylinkSub(d *Dylink, id byte, s *cursor) {
	switch id {
	case dylinkMemInfo:
		d.MemSize, d.MemAlign, d.TableSize, d.TableAlign = s.u32(), s.u32(), s.u32(), s.u32()
	case dylinkNeeded:
		for n := s.count(1); n > 0 && s.err == nil; n-- {
			d.Needed = append(d.Needed, s.name())
		}
	case dylinkExportInfo:
		for n := s.count(2); n > 0 && s.err == nil; n-- {
			name, flags := s.name(), s.u32()
			if flags&symTLS != 0 {
				d.ExportTLS[name] = true
			}
		}
	case dylinkImportInfo:
		for n := s.count(3); n > 0 && s.err == nil; n-- {
			mod, field, flags := s.name(), s.name(), s.u32()
			if flags&symBindingMask == symBindingWeak {
				d.WeakImports[[2]string{mod, field}] = true
			}
		}
	}
}
