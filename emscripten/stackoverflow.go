package emscripten

// The engine's own call stack is a limit PostgreSQL cannot see: its check_stack_depth
// measures Emscripten's shadow stack in linear memory, and recursion that keeps little there
// (SQL functions, nested sub-selects) exhausts the engine's stack first (wazero's ceiling is
// fixed, wasmtime's is its max_wasm_stack), so max_stack_depth cannot be sized against it.
// Instead the innermost invoke_* frame that sees the overflow turns it into a guest error, as
// if the call had raised one. Each engine reports the overflow as *StackOverflowError.

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
