package wasmbin

import "sort"

// SetName sets the module name recorded in the "name" custom section.
func (b *Builder) SetName(name string) { b.name = name }

// appendNameSection writes a "name" custom section with the module name and,
// for each defined function, its first export name. Runtimes use it in trap
// stack traces, so a trap stub shows up as "envshim.missing_symbol" instead
// of "$12".
// https://webassembly.github.io/spec/core/appendix/custom.html#name-section
func (b *Builder) appendNameSection(out []byte) []byte {
	firstDefined := b.nFuncs - uint32(len(b.funcs))
	names := map[uint32]string{}
	for _, e := range b.exports {
		if _, dup := names[e.Index]; e.Kind == KindFunc && e.Index >= firstDefined && !dup {
			names[e.Index] = e.Name
		}
	}
	if b.name == "" && len(names) == 0 {
		return out
	}
	payload := appendName(nil, "name")
	if b.name != "" {
		payload = appendSubsection(payload, 0, appendName(nil, b.name))
	}
	if len(names) > 0 {
		idxs := make([]uint32, 0, len(names))
		for i := range names {
			idxs = append(idxs, i)
		}
		sort.Slice(idxs, func(i, j int) bool { return idxs[i] < idxs[j] })
		m := appendU32(nil, uint32(len(idxs)))
		for _, i := range idxs {
			m = appendName(appendU32(m, i), names[i])
		}
		payload = appendSubsection(payload, 1, m)
	}
	return appendSection(out, secCustom, payload)
}

func appendSubsection(out []byte, id byte, payload []byte) []byte {
	return append(appendU32(append(out, id), uint32(len(payload))), payload...)
}
