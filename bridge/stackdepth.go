package bridge

import (
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
