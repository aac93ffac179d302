package bridge

import (
	"strings"

	"github.com/pglite-go/pglite/emscripten"
)

// sqlstateStatementTooComplex is MAKE_SQLSTATE('5','4','0','0','1'), ERRCODE_STATEMENT_TOO_COMPLEX.
const sqlstateStatementTooComplex = ('5'-'0')&0x3F | (('4'-'0')&0x3F)<<6 | (('0'-'0')&0x3F)<<12 |
	(('0'-'0')&0x3F)<<18 | (('1'-'0')&0x3F)<<24

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
	if p.CallNested("errstart", elevelError, 0) == 0 {
		return
	}
	p.CallNested("errcode", sqlstateStatementTooComplex)
	if msg, err := p.StackString("stack depth limit exceeded"); err == nil {
		p.CallNested("errmsg", uint64(msg), 0)
	}
	hint := "Increase the configuration parameter \"max_stack_depth\" (currently " + depthKB +
		"kB), after ensuring the platform's stack depth limit is adequate."
	if h, err := p.StackString(strings.ReplaceAll(hint, "%", "%%")); err == nil {
		p.CallNested("errhint", uint64(h), 0)
	}
	p.SetStackPointer(sp)
	p.CallNested("errfinish", 0, 0, 0) // longjmps and does not return
}
