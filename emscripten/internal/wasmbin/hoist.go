package wasmbin

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// HoistStats counts what HoistBoundsChecks found and changed.
type HoistStats struct {
	Functions int // function bodies walked
	// Skipped counts bodies left unchanged because they declare too many
	// locals to track.
	Skipped int
	// Accesses counts every load and store of memory 0.
	Accesses int

	// DirectAccesses counts the loads and stores whose address is a
	// local.get (or local.tee) of an i32 local with no write of the local
	// in between. wazero sees all such reads of one local as one SSA value.
	DirectAccesses int
	// ChecksBefore is how many of the direct accesses get a bounds check
	// without the pass, counting within each straight-line region only (a
	// check that an earlier block already made is still counted).
	ChecksBefore int
	// FreedAccesses is how many of those checks the probes make redundant.
	FreedAccesses int
	// Probes is the number of probes on locals, each one check.
	Probes int

	// ConstAccesses counts the loads and stores at a constant address that
	// were rewritten to address through a local that is always zero.
	ConstAccesses int
	// ConstCovered is how many of them a zero-local probe covers.
	ConstCovered int
	// ConstProbes is the number of probes on the zero local.
	ConstProbes int
}

// ChecksAfter is the number of checks left on direct accesses plus the
// checks of their probes.
func (s HoistStats) ChecksAfter() int { return s.ChecksBefore - s.FreedAccesses + s.Probes }

func (s HoistStats) String() string {
	return fmt.Sprintf("%d functions (%d skipped), %d accesses; %d through locals, their checks %d -> %d (%d freed, %d probes); "+
		"%d at constant addresses, %d covered by %d probes",
		s.Functions, s.Skipped, s.Accesses, s.DirectAccesses, s.ChecksBefore, s.ChecksAfter(), s.FreedAccesses, s.Probes,
		s.ConstAccesses, s.ConstCovered, s.ConstProbes)
}

// HoistBoundsChecks rewrites the code section so that wazero's optimizing
// compiler emits fewer linear-memory bounds checks. See
// HoistBoundsChecksStats.
func HoistBoundsChecks(wasm []byte) ([]byte, error) {
	out, _, err := HoistBoundsChecksStats(wasm)
	return out, err
}

// HoistBoundsChecksStats rewrites the code section of wasm and reports what
// it did.
//
// wazero (v1.12, optimizing compiler) checks every load and store against the
// memory size, except when the same SSA address value was already checked,
// earlier in the block or in every block leading here, up to at least the
// same ceiling (offset + access size). Two rewrites exploit that.
//
// Pointers in locals. C code reads p->a, p->b, p->c with rising offsets from
// one local, so each access raises the ceiling and gets its own check. Within
// each straight-line region, for each run of reads of an i32 local between
// writes, the pass finds the highest ceiling of the loads and stores
// addressed directly by those reads. When the first of them has a lower
// ceiling, it inserts
//
//	local.get L; i32.load8_u offset=maxCeil-1; drop
//
// just before the local.get that feeds the first access (or, for an address
// pushed before a call, just before the access). wazero checks the probe once
// up to the highest ceiling and drops the unused load; every access of the
// run is then known safe. A region ends at every branch, call, return, trap,
// loop, if, else, memory.grow and at the end of any construct a branch can
// reach; entering a block and the end of a block no branch targets only fall
// through, so regions continue across them. The probe can therefore only
// trap where the original code would have trapped later, with nothing but
// plain instructions in between.
//
// Constant addresses. Each i32.const is a new SSA value, so every access to
// a static variable is checked. The pass rewrites "i32.const K; load
// offset=O" to "local.get Z; load offset=K+O" (the same effective address)
// where Z is a new i32 local that is never written: wazero gives every read
// of it the same zero value as long as no loop header or merge of differing
// values intervenes. A probe on Z at the function entry, at the top of each
// loop and after each merge that may change that value covers every constant
// access up to the initial memory size. Such a probe can never trap, because
// memory never shrinks below its initial size, so it may go anywhere.
//
// Every section but the code section stays byte for byte, and bodies without
// changes are copied unchanged; function indices, data and the linear memory
// layout do not change. Instructions the pass does not know (SIMD, threads,
// GC, memory64 offsets) make it return an error; callers should then use the
// original bytes. The rewrite is correct for any engine; that it saves checks
// depends on how wazero v1.12 tracks known-safe bounds.
func HoistBoundsChecksStats(wasm []byte) ([]byte, HoistStats, error) {
	var st HoistStats
	m, err := Parse(wasm)
	if err != nil {
		return nil, st, err
	}
	c := &cursor{p: wasm, off: 8}
	for c.remaining() > 0 {
		secStart := c.off
		id := c.byte()
		size := c.u32()
		payloadStart := c.off
		c.bytes(int(size))
		if c.err != nil {
			return nil, st, fmt.Errorf("wasmbin: section %d header: %w", id, c.err)
		}
		if id != secCode {
			continue
		}
		payload, err := code(m, memory0MinBytes(m), wasm[payloadStart:c.off], &st)
		if err != nil {
			return nil, st, fmt.Errorf("wasmbin: code section: %w", err)
		}
		if payload == nil { // nothing changed
			return wasm, st, nil
		}
		out := make([]byte, 0, len(wasm)+len(payload)-int(size)+8)
		out = append(out, wasm[:secStart]...)
		out = appendSection(out, secCode, payload)
		return append(out, wasm[c.off:]...), st, nil
	}
	return wasm, st, nil
}

// memory0MinBytes returns the initial size of memory 0 in bytes, 0 when the
// module has no memory.
func memory0MinBytes(m *Module) uint64 {
	for _, im := range m.Imports {
		if im.Kind == KindMemory {
			return uint64(im.Memory.Min) * 65536
		}
	}
	if len(m.Memories) > 0 {
		return uint64(m.Memories[0].Min) * 65536
	}
	return 0
}

// maxTrackedLocals bounds the per-body local table; a body declaring more is
// copied unchanged.
const maxTrackedLocals = 1 << 16

// minEpochAccesses is how many constant accesses an epoch needs before it
// gets a probe: a probe is a check itself and may run more often than an
// access in a conditional arm.
const minEpochAccesses = 2

var (
	errBadCatch     = errors.New("bad try_table catch kind")
	errFuncMismatch = errors.New("function and code section counts differ")
)

// code rewrites the payload of the code section, or returns nil when no
// body changes. Bodies are independent, so runs of them are walked in
// parallel: the pass runs on every process start, before the compile cache
// lookup.
func code(m *Module, minMem uint64, payload []byte, st *HoistStats) ([]byte, error) {
	c := &cursor{p: payload}
	n := c.count(1)
	if c.err != nil {
		return nil, c.err
	}
	if uint64(n)+uint64(m.NumImportedFuncs) != uint64(len(m.FuncTypeIdx)) {
		return nil, errFuncMismatch
	}
	entries := make([]int, n+1) // entry i is payload[entries[i]:entries[i+1]]
	for i := 0; i < n; i++ {
		entries[i] = c.off
		c.bytes(int(c.u32()))
		if c.err != nil {
			return nil, fmt.Errorf("function %d: %w", int(m.NumImportedFuncs)+i, c.err)
		}
	}
	entries[n] = c.off
	if c.remaining() > 0 {
		return nil, errors.New("trailing bytes")
	}

	// Split the bodies into runs of about equal size.
	workers := min(runtime.GOMAXPROCS(0), 8, max(n/64, 1))
	chunks := make([]hoistChunk, workers)
	for w, i := 0, 0; w < workers; w++ {
		chunks[w].from = i
		target := entries[0] + (entries[n]-entries[0])*(w+1)/workers
		for i < n && (entries[i+1] <= target || w == workers-1) {
			i++
		}
		chunks[w].to = i
	}
	var wg sync.WaitGroup
	for w := range chunks {
		ch := &chunks[w]
		wg.Go(func() { ch.run(m, minMem, payload, entries) })
	}
	wg.Wait()

	changed := false
	for w := range chunks {
		if chunks[w].err != nil {
			return nil, chunks[w].err
		}
		st.add(chunks[w].st)
		changed = changed || chunks[w].out != nil
	}
	if !changed {
		return nil, nil
	}
	size := entries[0]
	for w := range chunks {
		if chunks[w].out != nil {
			size += len(chunks[w].out)
		} else {
			size += entries[chunks[w].to] - entries[chunks[w].from]
		}
	}
	out := make([]byte, 0, size)
	out = append(out, payload[:entries[0]]...)
	for w := range chunks {
		if ch := &chunks[w]; ch.out != nil {
			out = append(out, ch.out...)
		} else {
			out = append(out, payload[entries[ch.from]:entries[ch.to]]...)
		}
	}
	return out, nil
}

// hoistChunk is a run of function bodies [from, to) walked by one goroutine.
type hoistChunk struct {
	from, to int
	out      []byte // the rewritten entries, nil when none changed
	st       HoistStats
	err      error
}

func (ch *hoistChunk) run(m *Module, minMem uint64, payload []byte, entries []int) {
	h := &hoister{m: m, minMem: minMem}
	copied := entries[ch.from]
	for i := ch.from; i < ch.to; i++ {
		c := &cursor{p: payload[:entries[i+1]], off: entries[i]}
		body := c.bytes(int(c.u32()))
		ch.st.Functions++
		nb, err := h.function(m.FuncType(m.NumImportedFuncs+uint32(i)), body, &ch.st)
		if err != nil {
			ch.err = fmt.Errorf("function %d: %w", int(m.NumImportedFuncs)+i, err)
			return
		}
		if nb == nil {
			continue
		}
		if ch.out == nil {
			ch.out = make([]byte, 0, (entries[ch.to]-entries[ch.from])*9/8)
		}
		ch.out = append(ch.out, payload[copied:entries[i]]...)
		ch.out = appendU32(ch.out, uint32(len(nb)))
		ch.out = append(ch.out, nb...)
		copied = entries[i+1]
	}
	if ch.out != nil {
		ch.out = append(ch.out, payload[copied:entries[ch.to]]...)
	}
}

func (s *HoistStats) add(o HoistStats) {
	s.Functions += o.Functions
	s.Skipped += o.Skipped
	s.Accesses += o.Accesses
	s.DirectAccesses += o.DirectAccesses
	s.ChecksBefore += o.ChecksBefore
	s.FreedAccesses += o.FreedAccesses
	s.Probes += o.Probes
	s.ConstAccesses += o.ConstAccesses
	s.ConstCovered += o.ConstCovered
	s.ConstProbes += o.ConstProbes
}

// edit replaces del bytes at body offset pos with ins[0:n] of the edit
// buffer.
type edit struct {
	pos, del    int
	insAt, insN int
}

// slot kinds.
const (
	slotUnknown = iota
	slotLocal   // a read of an i32 local: group, pos
	slotConst   // an i32.const: pos, size of the instruction, value
)

// slot is one operand stack entry.
type slot struct {
	kind  uint8
	clen  uint8  // slotConst: encoded size of the i32.const
	group int32  // slotLocal: index in hoister.groups
	pos   int32  // slotLocal: where a probe for the read goes; slotConst: the i32.const
	cval  uint32 // slotConst: the constant as an address
}

var unknownSlot = slot{}

// group is the run of reads of one local between writes, within one region.
type group struct {
	local     uint32
	gen       uint32 // the local's write count when the run started
	region    uint32
	insertAt  int32 // where the probe goes; -1 before any access
	firstCeil uint64
	maxCeil   uint64 // highest ceiling of the accesses
	checks    int    // accesses that raise the running ceiling (checked by wazero)
}

// localState tracks an i32 local.
type localState struct {
	gen    uint32 // number of writes so far
	region uint32 // region of group
	group  int32  // current group, -1 after a write
}

// epoch is a stretch of code in which wazero reads the zero local as one SSA
// value, as far as the pass can tell: from the function entry, the top of a
// loop, or a merge after which the value may differ, to the next such point.
type epoch struct {
	pos      int // where its probe goes
	accesses int // constant accesses in it
	covered  int // of those, with a ceiling the probe can cover
}

// frame kinds.
const (
	frameFunc = iota
	frameBlock
	frameLoop
	frameIf
	frameTry
)

// frame is an open control frame.
type frame struct {
	kind uint8
	// targeted is set when a branch goes to the end of the frame. The end
	// of a block that no branch targets is reached only by falling
	// through, so a region continues past it.
	targeted bool
	// changed is set when the zero local's epoch changed in the then arm
	// of an if.
	changed bool
	epoch   int32 // current epoch when the frame opened
}

type hoister struct {
	m      *Module
	minMem uint64 // bytes of memory 0 that always exist

	isI32  []bool
	locals []localState
	stack  []slot
	groups []group
	region uint32
	// regionGroups is the index of the first group of the current region.
	regionGroups int
	frames       []frame

	epochs     []epoch
	epochStack []int32 // current epoch per open loop, the function's first
	zero       uint32  // index of the zero local
	constCeil  uint64  // highest constant-access ceiling that a probe may cover
	zeroUsed   bool    // an edit reads the zero local

	edits []edit
	buf   []byte // inserted bytes of edits
	out   []byte // the last rewritten body
}

// function scans one body and returns it rewritten, or nil when unchanged.
// The result is only valid until the next call.
func (h *hoister) function(ft FuncType, body []byte, st *HoistStats) ([]byte, error) {
	c := &cursor{p: body}
	total := uint64(len(ft.Params))
	h.isI32 = h.isI32[:0]
	for _, p := range ft.Params {
		h.isI32 = append(h.isI32, p == I32)
	}
	nDecls := c.count(2)
	declsStart := c.off
	skip := false
	for n := nDecls; n > 0 && c.err == nil; n-- {
		cnt := c.u32()
		t := ValType(c.byte())
		if t == 0x63 || t == 0x64 {
			c.sN(33)
		}
		total += uint64(cnt)
		if total >= maxTrackedLocals {
			skip = true
			continue
		}
		for j := uint32(0); j < cnt; j++ {
			h.isI32 = append(h.isI32, t == I32)
		}
	}
	if c.err != nil {
		return nil, fmt.Errorf("locals: %w", c.err)
	}
	if skip {
		st.Skipped++
		return nil, nil
	}
	codeStart := c.off
	h.zero = uint32(len(h.isI32))
	h.reset(codeStart)
	if err := h.walk(c, st); err != nil {
		return nil, err
	}
	if len(h.edits) == 0 {
		return nil, nil
	}

	prefix := body[:codeStart]
	if h.zeroUsed {
		// Declare the zero local after the others.
		p := appendU32(nil, uint32(nDecls+1))
		p = append(p, body[declsStart:codeStart]...)
		prefix = append(appendU32(p, 1), byte(I32))
	}
	return h.apply(body, codeStart, prefix), nil
}

func (h *hoister) reset(codeStart int) {
	// Local states left by earlier bodies name older regions, so they
	// need no clearing: regions only count up.
	if len(h.locals) < len(h.isI32) {
		h.locals = append(h.locals, make([]localState, len(h.isI32)-len(h.locals))...)
	}
	h.stack = h.stack[:0]
	h.groups = h.groups[:0]
	h.regionGroups = 0
	h.region++
	h.frames = append(h.frames[:0], frame{kind: frameFunc})
	h.epochs = append(h.epochs[:0], epoch{pos: codeStart})
	h.epochStack = append(h.epochStack[:0], 0)
	h.constCeil = 0
	h.zeroUsed = false
	h.edits = h.edits[:0]
	h.buf = h.buf[:0]
}

// apply returns prefix followed by body[codeStart:] with the edits made.
func (h *hoister) apply(body []byte, codeStart int, prefix []byte) []byte {
	// Insertions at an offset go before a replacement there; both keep
	// the order they were made in.
	slices.SortStableFunc(h.edits, func(a, b edit) int {
		if a.pos != b.pos {
			return a.pos - b.pos
		}
		return boolInt(a.del != 0) - boolInt(b.del != 0)
	})
	out := append(h.out[:0], prefix...)
	last := codeStart
	for _, e := range h.edits {
		out = append(out, body[last:e.pos]...)
		out = append(out, h.buf[e.insAt:e.insAt+e.insN]...)
		last = e.pos + e.del
	}
	h.out = append(out, body[last:]...)
	return h.out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addEdit records an edit whose inserted bytes are h.buf[from:].
func (h *hoister) addEdit(pos, del, from int) {
	h.edits = append(h.edits, edit{pos: pos, del: del, insAt: from, insN: len(h.buf) - from})
}

// addProbe records a probe of local l up to ceil at pos.
func (h *hoister) addProbe(pos int, l uint32, ceil uint64) {
	from := len(h.buf)
	h.buf = appendU32(append(h.buf, opLocalGet), l)
	h.buf = appendU32(append(h.buf, opI32Load8U, 0), uint32(ceil-1))
	h.buf = append(h.buf, opDrop)
	h.addEdit(pos, 0, from)
}

// walk scans the instructions of a body.
func (h *hoister) walk(c *cursor, st *HoistStats) error {
	for c.remaining() > 0 {
		start := c.off
		op := c.p[c.off]
		c.off++
		switch opClasses[op] {
		case classLocalGet:
			l := leb32(c)
			h.push(h.read(l, start))
		case classLocalSet:
			l := leb32(c)
			h.pop()
			h.write(l)
		case classLocalTee:
			l := leb32(c)
			h.pop()
			h.write(l)
			h.push(h.read(l, c.off))
		case classI32Const:
			var v int64
			if c.off < len(c.p) && c.p[c.off] < 0x80 {
				v = int64(c.p[c.off]<<1) << 56 >> 57 // sign-extend 7 bits
				c.off++
			} else {
				v = c.sN(32)
			}
			if start > math.MaxInt32 {
				h.push(unknownSlot)
				break
			}
			h.push(slot{kind: slotConst, pos: int32(start), clen: uint8(c.off - start), cval: uint32(v)})
		case classLoad, classStore:
			align := leb32(c)
			mem := uint32(0)
			if align&0x40 != 0 {
				mem = c.u32()
			}
			offPos := c.off
			offset := uint64(leb32(c))
			if opClasses[op] == classStore {
				h.pop() // value
			}
			addr := h.pop()
			if opClasses[op] == classLoad {
				h.push(unknownSlot)
			}
			if c.err == nil && mem == 0 {
				size := uint64(memAccessSize[op-firstLoadOpcode])
				h.access(start, addr, offset, size, offPos, c.off, st)
			}
		case classPlain:
			h.plain(c, plainOps[op])
		case classMemoryGrow:
			// Not a branch, but a probe must not move above it: the
			// memory may be large enough for later accesses only after it.
			c.u32()
			h.endRegion(st, false)
			h.pop()
			h.push(unknownSlot)
		case classPrefixFC:
			sub := c.u32()
			if c.err != nil {
				break
			}
			if int(sub) >= len(prefixFCOps) {
				return fmt.Errorf("unsupported instruction 0xfc %d at %d", sub, start)
			}
			h.plain(c, prefixFCOps[sub])
		case classBlock:
			// Entering a block always falls through; wazero does not
			// even start a new basic block.
			c.sN(33)
			h.frames = append(h.frames, frame{kind: frameBlock, epoch: h.curEpoch()})
		case classEnd:
			h.end(c.off, st)
		case classCall:
			// A call may not return (longjmp, exit), so it ends the
			// region, but the operand stack below its arguments keeps its
			// values.
			var ft FuncType
			ok := false
			if op == opCall {
				f := leb32(c)
				ok = uint64(f) < uint64(len(h.m.FuncTypeIdx))
				ft = h.m.FuncType(f)
			} else {
				t := c.u32()
				c.u32()
				if ok = uint64(t) < uint64(len(h.m.Types)); ok {
					ft = h.m.Types[t]
				}
				h.pop() // table slot
			}
			h.endRegion(st, !ok)
			h.popN(len(ft.Params))
			for range ft.Results {
				h.push(unknownSlot)
			}
		case classControl:
			skipControl(c, op)
			h.control(c, op, start)
			h.endRegion(st, true)
		default:
			return fmt.Errorf("unsupported opcode 0x%02x at %d", op, start)
		}
		if c.err != nil {
			return fmt.Errorf("instruction at %d: %w", start, c.err)
		}
	}
	h.endRegion(st, true)
	h.placeZeroProbes(st)
	return nil
}

// leb32 reads a u32, with a fast path for the one-byte encodings that most
// indices use.
func leb32(c *cursor) uint32 {
	if c.err == nil && c.off < len(c.p) && c.p[c.off] < 0x80 {
		v := c.p[c.off]
		c.off++
		return uint32(v)
	}
	return c.u32()
}

func (h *hoister) plain(c *cursor, op plainOp) {
	if op.imm != immNone {
		skipImm(c, op.imm)
	}
	h.popN(int(op.pop))
	for i := uint8(0); i < op.push; i++ {
		h.push(unknownSlot)
	}
}

// popN drops n slots; values from before the region are unknown anyway.
func (h *hoister) popN(n int) {
	h.stack = h.stack[:max(len(h.stack)-n, 0)]
}

func (h *hoister) push(s slot) { h.stack = append(h.stack, s) }

// pop returns the top slot; values from before the region are unknown.
func (h *hoister) pop() slot {
	n := len(h.stack)
	if n == 0 {
		return unknownSlot
	}
	s := h.stack[n-1]
	h.stack = h.stack[:n-1]
	return s
}

// read returns the slot for a read of local l whose probe would go at pos.
func (h *hoister) read(l uint32, pos int) slot {
	if uint64(l) >= uint64(len(h.isI32)) || !h.isI32[l] || pos > math.MaxInt32 {
		return unknownSlot
	}
	return slot{kind: slotLocal, group: h.currentGroup(l), pos: int32(pos)}
}

// currentGroup returns the group of local l in the current region, starting
// one if needed.
func (h *hoister) currentGroup(l uint32) int32 {
	ls := &h.locals[l]
	if ls.region != h.region || ls.group < 0 {
		ls.region = h.region
		ls.group = int32(len(h.groups))
		h.groups = append(h.groups, group{local: l, gen: ls.gen, region: h.region, insertAt: -1})
	}
	return ls.group
}

// write ends the current group of local l.
func (h *hoister) write(l uint32) {
	if uint64(l) < uint64(len(h.locals)) {
		ls := &h.locals[l]
		ls.gen++
		ls.group = -1
	}
}

// access handles a load or store at start with address slot addr and
// memarg offset (encoded at body[offPos:offEnd]).
func (h *hoister) access(start int, addr slot, offset, size uint64, offPos, offEnd int, st *HoistStats) {
	st.Accesses++
	if offset > math.MaxUint32 {
		return
	}
	switch addr.kind {
	case slotLocal:
		g := &h.groups[addr.group]
		pos := addr.pos
		if g.region != h.region {
			// The address was read before a call. While the local
			// still holds it, a read in this region is the same SSA
			// value, and a probe right before this access covers it.
			if h.locals[g.local].gen != g.gen || start > math.MaxInt32 {
				return
			}
			g = &h.groups[h.currentGroup(g.local)]
			pos = int32(start)
		}
		st.DirectAccesses++
		ceil := offset + size
		if g.insertAt < 0 {
			g.insertAt = pos
			g.firstCeil = ceil
		}
		if ceil > g.maxCeil {
			g.maxCeil = ceil
			g.checks++
		}
	case slotConst:
		eff := uint64(addr.cval) + offset
		if eff > math.MaxUint32 {
			return
		}
		st.ConstAccesses++
		h.zeroUsed = true
		// i32.const K -> local.get zero
		from := len(h.buf)
		h.buf = appendU32(append(h.buf, opLocalGet), h.zero)
		h.addEdit(int(addr.pos), int(addr.clen), from)
		// offset=O -> offset=K+O
		from = len(h.buf)
		h.buf = appendU32(h.buf, uint32(eff))
		h.addEdit(offPos, offEnd-offPos, from)

		e := &h.epochs[h.curEpoch()]
		e.accesses++
		if ceil := eff + size; ceil <= h.minMem {
			e.covered++
			h.constCeil = max(h.constCeil, ceil)
		}
	}
}

func (h *hoister) curEpoch() int32 { return h.epochStack[len(h.epochStack)-1] }

// newEpoch starts an epoch at pos in the current loop.
func (h *hoister) newEpoch(pos int) {
	h.epochStack[len(h.epochStack)-1] = int32(len(h.epochs))
	h.epochs = append(h.epochs, epoch{pos: pos})
}

// placeZeroProbes adds a probe of the zero local to every epoch with enough
// constant accesses, up to the highest ceiling that fits in the initial
// memory.
func (h *hoister) placeZeroProbes(st *HoistStats) {
	if h.constCeil == 0 {
		return
	}
	for _, e := range h.epochs {
		if e.accesses >= minEpochAccesses && e.covered > 0 {
			h.addProbe(e.pos, h.zero, h.constCeil)
			st.ConstProbes++
			st.ConstCovered += e.covered
		}
	}
}

// end handles the end at body offset pos-1.
func (h *hoister) end(pos int, st *HoistStats) {
	n := len(h.frames)
	if n == 0 {
		h.endRegion(st, true)
		return
	}
	f := h.frames[n-1]
	h.frames = h.frames[:n-1]
	switch f.kind {
	case frameBlock:
		if !f.targeted {
			// The only way here is the fall-through from the block:
			// wazero's next basic block has this one as its sole
			// predecessor and sees the same local values and known
			// bounds. Block results become new values, so forget the
			// operand stack.
			for i := range h.stack {
				h.stack[i] = unknownSlot
			}
			return
		}
		h.endRegion(st, true)
		if f.epoch != h.curEpoch() {
			h.newEpoch(pos)
		}
	case frameLoop:
		h.endRegion(st, true)
		if len(h.epochStack) > 1 {
			h.epochStack = h.epochStack[:len(h.epochStack)-1]
		}
		h.newEpoch(pos)
	case frameIf, frameTry:
		h.endRegion(st, true)
		if f.changed || f.epoch != h.curEpoch() {
			h.newEpoch(pos)
		}
	default:
		h.endRegion(st, true)
	}
}

// control tracks the control frames, branch targets and zero-local epochs
// of a control instruction whose immediates skipControl has read from
// c.p[start:c.off].
func (h *hoister) control(c *cursor, op byte, start int) {
	switch op {
	case opLoop:
		h.frames = append(h.frames, frame{kind: frameLoop, epoch: h.curEpoch()})
		h.epochStack = append(h.epochStack, int32(len(h.epochs)))
		h.epochs = append(h.epochs, epoch{pos: c.off})
	case opIf:
		h.frames = append(h.frames, frame{kind: frameIf, epoch: h.curEpoch()})
	case opElse:
		if f := h.top(); f != nil {
			f.changed = f.changed || f.epoch != h.curEpoch()
			h.epochStack[len(h.epochStack)-1] = f.epoch
		}
	case opTry, opTryTable:
		if op == opTryTable {
			// Catch clauses branch to labels on exceptions from
			// anywhere inside; mark every open frame rather than
			// decode them.
			for i := range h.frames {
				h.frames[i].targeted = true
			}
		}
		h.frames = append(h.frames, frame{kind: frameTry, epoch: h.curEpoch()})
	case opCatch, opCatchAll:
		if f := h.top(); f != nil {
			f.changed = true
		}
		h.newEpoch(c.off)
	case opDelegate:
		if n := len(h.frames); n > 1 {
			h.frames = h.frames[:n-1]
		}
		h.newEpoch(c.off)
	case opBr, opBrIf, opBrOnNull, opBrOnNonNull, opBrTable:
		r := &cursor{p: c.p[:c.off], off: start + 1}
		n := 1
		if op == opBrTable {
			n = r.count(1) + 1
		}
		for ; n > 0 && r.err == nil; n-- {
			h.target(r.u32())
		}
	}
}

func (h *hoister) top() *frame {
	if len(h.frames) == 0 {
		return nil
	}
	return &h.frames[len(h.frames)-1]
}

// target marks the frame at label depth d as the target of a branch.
func (h *hoister) target(d uint32) {
	if n := uint64(len(h.frames)); uint64(d) < n {
		h.frames[n-1-uint64(d)].targeted = true
	}
}

// endRegion places the probes of the region that ends here and, when
// resetStack is set, forgets the operand stack.
func (h *hoister) endRegion(st *HoistStats, resetStack bool) {
	for i := h.regionGroups; i < len(h.groups); i++ {
		g := &h.groups[i]
		if g.insertAt < 0 {
			continue
		}
		st.ChecksBefore += g.checks
		if g.firstCeil >= g.maxCeil || g.maxCeil-1 > math.MaxUint32 {
			continue
		}
		h.addProbe(int(g.insertAt), g.local, g.maxCeil)
		st.Probes++
		st.FreedAccesses += g.checks
	}
	h.region++
	h.regionGroups = len(h.groups)
	if resetStack {
		h.stack = h.stack[:0]
	}
}
