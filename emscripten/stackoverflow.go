package emscripten

import (
	"errors"
	"fmt"
)

// The engine's own call stack is a limit PostgreSQL cannot see: its check_stack_depth
// measures Emscripten's shadow stack in linear memory, and recursion that keeps little there
// (SQL functions, nested sub-selects) exhausts wazero's stack first. wazero's stack ceiling is
// fixed, so max_stack_depth cannot be sized against it. Instead the innermost invoke_* frame
// that sees the overflow turns it into a guest error, as if the call had raised one.

// isStackOverflow reports whether err is the engine's call stack running out. wazero reports
// it as its internal runtime error "stack overflow", wrapped once per host frame it crossed.
func isStackOverflow(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fmt.Sprintf("%T", e) == "*wasmruntime.Error" && e.Error() == "stack overflow" {
			return true
		}
	}
	return false
}

// recoverStackOverflow runs the process's OnStackOverflow hook inside an invoke_* frame whose
// callee ran out of engine stack, and returns how the hook unwound: a longjmp (the hook raised
// a guest error, which the invoke frame then dispatches like any other), an exit, or the
// original error when there is no hook or it returned without unwinding.
func (p *Process) recoverStackOverflow(cause error) (err error) {
	if p.cfg.OnStackOverflow == nil {
		return cause
	}
	defer func() {
		r := recover()
		if r == nil {
			err = cause
			return
		}
		if e, ok := r.(error); ok {
			err = e
			return
		}
		panic(r)
	}()
	p.cfg.OnStackOverflow(p)
	return cause
}
