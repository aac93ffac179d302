package bridge

import (
	"strconv"

	"github.com/pglite-go/pglite/emscripten"
)

// raiseStackDepth is emscripten.ProcessConfig.OnStackOverflow for backend processes. The
// engine's call stack ran out below an invoke_* frame before PostgreSQL's own
// check_stack_depth fired (it measures only the shadow stack), so the host raises the error
// check_stack_depth would have raised, with PostgreSQL's words, SQLSTATE and hint. The session
// rolls back and goes on, as after any ERROR.
//
// The frames below the invoke frame are gone, so anything they had pushed onto
// error_context_stack points at dead stack (below the restored stack pointer): those entries
// are dropped before the error is reported, or errfinish would call their callbacks on
// overwritten memory. PG_exception_stack needs no such care: a function that sets it makes
// its calls through invoke_*, so its frame is at or above this one.
func raiseStackDepth(p *emscripten.Process) {
	if addr, ok := p.GlobalAddress("error_context_stack"); ok {
		sp := p.StackPointer()
		top := p.U32(addr)
		for top != 0 && top < sp {
			top = p.U32(top) // ErrorContextCallback.previous
		}
		p.PutU32(addr, top)
	}
	depthKB := "2048"
	sp := p.StackPointer()
	if name, err := p.StackString("max_stack_depth"); err == nil {
		if v := p.CallNested("GetConfigOption", uint64(name), 0, 0); v != 0 {
			depthKB = p.CString(uint32(v))
		}
	}
	p.SetStackPointer(sp)
	raiseError(p, "54001", "stack depth limit exceeded", "Increase the configuration parameter \"max_stack_depth\" (currently "+
		depthKB+"kB), after ensuring the platform's stack depth limit is adequate.")
}

// limitNativeStack makes max_stack_depth limit the engine's native stack as well, where the
// engine supports it (wasmtime): PostgreSQL's own check measures only the shadow stack, which
// some recursion barely uses (the JSON parser's, for one), so SET max_stack_depth = '100kB'
// did not stop 10,000 nested arrays as it does in PostgreSQL. The check then raises
// PostgreSQL's error once the native stack below the backend's outermost call exceeds the
// setting, and still at the engine's own budget.
func (inst *Instance) limitNativeStack() {
	if addr := maxStackDepthVariable(inst.proc); addr != 0 {
		inst.proc.SetStackLimit(addr)
	}
}

// maxStackDepthVariable returns the address of max_stack_depth's int variable (in kB), or 0.
// find_option gives the setting's struct config_int (utils/guc_tables.h), in which the
// variable's pointer follows the generic part and precedes boot_val and min, both 100 for this
// setting; the pointer is recognised by that and by the value it points at, rather than by an
// offset into the struct.
//
// https://github.com/postgres/postgres/blob/REL_18_STABLE/src/include/utils/guc_tables.h
func maxStackDepthVariable(p *emscripten.Process) uint32 {
	sp := p.StackPointer()
	defer p.SetStackPointer(sp)
	name, err := p.StackString("max_stack_depth")
	if err != nil {
		return 0
	}
	v, err := p.Call("GetConfigOption", uint64(name), 0, 0)
	if err != nil || v == 0 {
		return 0
	}
	current, err := strconv.Atoi(p.CString(uint32(v)))
	if err != nil {
		return 0
	}
	const skipErrors = 1
	rec, err := p.Call("find_option", uint64(name), 0, skipErrors, elevelDebug5)
	if err != nil || rec == 0 {
		return 0
	}
	const bootAndMin = 100 // kB
	size := uint32(len(p.Memory()))
	for off := uint32(0); off <= 160; off += 4 {
		at := uint32(rec) + off
		if at+12 > size {
			break
		}
		ptr := p.U32(at)
		if ptr != 0 && ptr+4 <= size && p.U32(at+4) == bootAndMin && p.U32(at+8) == bootAndMin &&
			int(int32(p.U32(ptr))) == current {
			return ptr
		}
	}
	return 0
}
