package wasmbin

import "fmt"

// Builder assembles a module from imports, definitions and exports, in the
// order the binary format wants them. It is meant for small generated glue
// modules: it validates nothing beyond index ordering, so a wrong body shows
// up as a compile error from the runtime.
//
// Imports take the lowest indices of each index space, so every Import*
// call must come before any Define* call; the Builder panics otherwise.
type Builder struct {
	name string

	types   []FuncType
	typeIdx map[string]uint32

	imports  []byte // encoded import entries
	nImports uint32
	defined  bool

	nFuncs, nTables, nMems, nGlobals uint32 // index spaces, imports included

	funcs    []builtFunc
	tables   []Limits
	memories []Limits
	globals  []byte // encoded global entries
	nDefGlob uint32
	exports  []Export
	declared []uint32
	tags     []uint32 // type index of each defined tag
	active   []activeSeg
}

type builtFunc struct {
	typeIdx uint32
	locals  []ValType
	body    []byte
}

// TypeIndex returns the index of t in the type section, adding it once.
// call_indirect immediates need it.
func (b *Builder) TypeIndex(t FuncType) uint32 {
	key := string(appendFuncType(nil, t))
	if i, ok := b.typeIdx[key]; ok {
		return i
	}
	if b.typeIdx == nil {
		b.typeIdx = map[string]uint32{}
	}
	i := uint32(len(b.types))
	b.types = append(b.types, t)
	b.typeIdx[key] = i
	return i
}

func appendFuncType(dst []byte, t FuncType) []byte {
	dst = append(dst, 0x60)
	dst = appendU32(dst, uint32(len(t.Params)))
	dst = append(dst, valBytes(t.Params)...)
	dst = appendU32(dst, uint32(len(t.Results)))
	return append(dst, valBytes(t.Results)...)
}

func appendName(dst []byte, s string) []byte {
	return append(appendU32(dst, uint32(len(s))), s...)
}

func appendLimits(dst []byte, l Limits) []byte {
	if l.HasMax {
		return appendU32(appendU32(append(dst, 1), l.Min), l.Max)
	}
	return appendU32(append(dst, 0), l.Min)
}

func (b *Builder) addImport(module, name string, kind ExternKind) {
	if b.defined {
		panic(fmt.Sprintf("wasmbin: import %s.%s after a definition", module, name))
	}
	b.imports = appendName(appendName(b.imports, module), name)
	b.imports = append(b.imports, byte(kind))
	b.nImports++
}

// ImportFunc imports a function of type t and returns its function index.
func (b *Builder) ImportFunc(module, name string, t FuncType) uint32 {
	ti := b.TypeIndex(t)
	b.addImport(module, name, KindFunc)
	b.imports = appendU32(b.imports, ti)
	b.nFuncs++
	return b.nFuncs - 1
}

// ImportTable imports a funcref table with no maximum and returns its table
// index. A min of 0 accepts any table.
func (b *Builder) ImportTable(module, name string, min uint32) uint32 {
	return b.ImportTableLimits(module, name, Limits{Min: min})
}

// ImportTableLimits imports a funcref table with the given limits.
func (b *Builder) ImportTableLimits(module, name string, lim Limits) uint32 {
	b.addImport(module, name, KindTable)
	b.imports = appendLimits(append(b.imports, byte(FuncRef)), lim)
	b.nTables++
	return b.nTables - 1
}

// ImportMemory imports a memory with the given limits.
func (b *Builder) ImportMemory(module, name string, lim Limits) {
	b.addImport(module, name, KindMemory)
	b.imports = appendLimits(b.imports, lim)
	b.nMems++
}

// ImportGlobal imports a global and returns its global index.
func (b *Builder) ImportGlobal(module, name string, g GlobalType) uint32 {
	b.addImport(module, name, KindGlobal)
	b.imports = append(b.imports, byte(g.Type), boolByte(g.Mutable))
	b.nGlobals++
	return b.nGlobals - 1
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// DefineTable defines a funcref table and returns its table index.
func (b *Builder) DefineTable(lim Limits) uint32 {
	b.defined = true
	b.tables = append(b.tables, lim)
	b.nTables++
	return b.nTables - 1
}

// DefineMemory defines a memory and returns its memory index.
func (b *Builder) DefineMemory(lim Limits) uint32 {
	b.defined = true
	b.memories = append(b.memories, lim)
	b.nMems++
	return b.nMems - 1
}

// DefineGlobalI32 defines an i32 global initialized to v and returns its
// global index.
func (b *Builder) DefineGlobalI32(mutable bool, v int32) uint32 {
	b.defined = true
	b.globals = append(b.globals, byte(I32), boolByte(mutable), opI32Const)
	b.globals = append(appendS64(b.globals, int64(v)), opEnd)
	b.nDefGlob++
	b.nGlobals++
	return b.nGlobals - 1
}

// DefineFunc defines a function and returns its function index. Params are
// locals 0..len(Params)-1 and the extra locals follow. body holds the
// instructions without the final end, which the Builder appends.
func (b *Builder) DefineFunc(t FuncType, locals []ValType, body []byte) uint32 {
	b.defined = true
	b.funcs = append(b.funcs, builtFunc{typeIdx: b.TypeIndex(t), locals: locals, body: body})
	b.nFuncs++
	return b.nFuncs - 1
}

// Export exports the item idx of the given kind as name.
func (b *Builder) Export(name string, kind ExternKind, idx uint32) {
	b.exports = append(b.exports, Export{Name: name, Kind: kind, Index: idx})
}

// DeclareFuncRefs lists functions in a declarative element segment. A body
// may use ref.func only on functions declared this way (or exported, or in
// another segment), so the module validates.
func (b *Builder) DeclareFuncRefs(funcIdx ...uint32) {
	b.declared = append(b.declared, funcIdx...)
}

// Bytes encodes the module.
func (b *Builder) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = b.appendVecSection(out, secType, len(b.types), func(d []byte, i int) []byte {
		return appendFuncType(d, b.types[i])
	})
	if b.nImports > 0 {
		out = appendSection(out, secImport, append(appendU32(nil, b.nImports), b.imports...))
	}
	out = b.appendVecSection(out, secFunction, len(b.funcs), func(d []byte, i int) []byte {
		return appendU32(d, b.funcs[i].typeIdx)
	})
	out = b.appendVecSection(out, secTable, len(b.tables), func(d []byte, i int) []byte {
		return appendLimits(append(d, byte(FuncRef)), b.tables[i])
	})
	out = b.appendVecSection(out, secMemory, len(b.memories), func(d []byte, i int) []byte {
		return appendLimits(d, b.memories[i])
	})
	out = b.appendVecSection(out, secTag, len(b.tags), func(d []byte, i int) []byte {
		return appendU32(append(d, 0), b.tags[i])
	})
	if b.nDefGlob > 0 {
		out = appendSection(out, secGlobal, append(appendU32(nil, b.nDefGlob), b.globals...))
	}
	out = b.appendVecSection(out, secExport, len(b.exports), func(d []byte, i int) []byte {
		e := b.exports[i]
		return appendU32(append(appendName(d, e.Name), byte(e.Kind)), e.Index)
	})
	if n := len(b.active) + min(len(b.declared), 1); n > 0 {
		seg := appendU32(nil, uint32(n))
		for _, a := range b.active {
			// flags 2: active with a table index, offset expression, elemkind funcref
			seg = appendU32(appendU32(seg, 2), a.table)
			seg = append(appendS64(append(seg, opI32Const), int64(a.offset)), opEnd, 0x00)
			seg = appendU32(seg, uint32(len(a.funcs)))
			for _, f := range a.funcs {
				seg = appendU32(seg, f)
			}
		}
		if len(b.declared) > 0 {
			seg = append(appendU32(seg, 3), 0x00) // flags 3: declarative, elemkind funcref
			seg = appendU32(seg, uint32(len(b.declared)))
			for _, f := range b.declared {
				seg = appendU32(seg, f)
			}
		}
		out = appendSection(out, secElem, seg)
	}
	out = b.appendVecSection(out, secCode, len(b.funcs), func(d []byte, i int) []byte {
		body := b.funcs[i].encode()
		return append(appendU32(d, uint32(len(body))), body...)
	})
	return b.appendNameSection(out)
}

// encode writes a code entry: locals run-length encoded by type, the body
// and the closing end.
func (f builtFunc) encode() []byte {
	var runs []byte
	nRuns := uint32(0)
	for i := 0; i < len(f.locals); {
		j := i
		for j < len(f.locals) && f.locals[j] == f.locals[i] {
			j++
		}
		runs = append(appendU32(runs, uint32(j-i)), byte(f.locals[i]))
		nRuns++
		i = j
	}
	out := append(appendU32(nil, nRuns), runs...)
	out = append(out, f.body...)
	return append(out, opEnd)
}

const secCode = 10

func (b *Builder) appendVecSection(out []byte, id byte, n int, item func([]byte, int) []byte) []byte {
	if n == 0 {
		return out
	}
	p := appendU32(nil, uint32(n))
	for i := 0; i < n; i++ {
		p = item(p, i)
	}
	return appendSection(out, id, p)
}

func appendSection(out []byte, id byte, payload []byte) []byte {
	out = appendU32(append(out, id), uint32(len(payload)))
	return append(out, payload...)
}
