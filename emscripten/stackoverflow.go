package emscripten

import (
	"errors"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

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

// On an engine whose invoke_* run inside WebAssembly (wasmtime), no host frame sits at the
// innermost invoke to catch the overflow: the trap would unwind every wasm frame up to the
// nearest call from Go, past the setjmp frames whose PG_CATCH blocks must run. So the
// overflow is prevented instead. rewriteGuest makes PostgreSQL's check_stack_depth, which it
// calls wherever it recurses, first ask the engine (through a native function in table slot
// stackSlotExport; on one call in stackCheckEvery) whether less than a margin of its native
// stack is left; if so, it calls
// stackRaise (slot stackRaiseExport), which runs OnStackOverflow there and then, so the
// ERROR is raised where PostgreSQL would raise its own and unwinds through every handler.

// When an overflow does happen on such an engine (recursion that never calls
// check_stack_depth), the Go frame that receives the trap runs the hook only if no wasm
// invoke frame was unwound on the way (Process.unwoundInvokes): otherwise PostgreSQL's
// PG_exception_stack may point into the unwound frames, and the overflow ends the process as
// a trap, as it would without the hook.

// stackRaise is the host side of the native stack check: it runs OnStackOverflow, and returns
// 1 when the hook's error longjmped out of it (the caller then throws again, so the longjmp
// goes on to its setjmp), 0 when there is no hook or it returned.
func stackRaise(p *Process, s []uint64) {
	s[0] = 0
	if p.cfg.OnStackOverflow == nil || p.inStackRaise {
		return
	}
	p.inStackRaise = true
	defer func() {
		p.inStackRaise = false
		if r := recover(); r != nil {
			var lj longjmpSignal
			if e, ok := r.(error); ok && errors.As(e, &lj) {
				s[0] = 1
				return
			}
			panic(r)
		}
	}()
	p.cfg.OnStackOverflow(p)
}

// stackRaiseName is stackRaise's name in the host module.
const stackRaiseName = "stack_raise"

// stackLowName is the engine's native check in nativeModuleName: ()->i32, non-zero when the
// native stack is nearly used up.
const stackLowName = "stack_low"

// installStackCheck puts the native check and stackRaise into two new table slots and tells
// the guest where they are.
func (p *Process) installStackCheck() error {
	slot, raise := p.guest.global(stackSlotExport), p.guest.global(stackRaiseExport)
	if slot == nil || raise == nil {
		return nil
	}
	ret := []wasmbin.ValType{wasmbin.I32}
	wasm := wasmbin.SlotInstaller(wasmbin.SlotSpec{TableModule: guestModuleName, TableName: "__indirect_function_table",
		Funcs: []wasmbin.HostFunc{
			{Module: nativeModuleName, Name: stackLowName, Type: wasmbin.FuncType{Results: ret}},
			{Module: hostModuleName, Name: stackRaiseName, Type: wasmbin.FuncType{Results: ret}},
		}})
	c, err := p.rt.compileGenerated(p.ctx, wasm)
	if err != nil {
		return err
	}
	base, err := p.callHelper("grow", 2)
	if err != nil {
		return err
	}
	if int32(base) < 0 {
		return errors.New("emscripten: function table cannot grow")
	}
	inst, err := p.store.instantiate(c, func(n string) instance {
		if n == guestModuleName {
			return p.guest
		}
		return nil
	})
	if err != nil {
		return err
	}
	f := inst.function("install")
	stack := make([]uint64, f.slots())
	stack[0] = base
	if err := f.call(stack); err != nil {
		return err
	}
	slot.set(base)
	raise.set(base + 1)
	return nil
}

// stackLimiter is a store whose native stack check can also honour a limit the guest sets.
type stackLimiter interface{ setStackLimit(addr uint32) }

// SetStackLimit names the guest int32 at addr as a limit in KiB on the engine's native stack
// that guest code may use from its outermost call (0 clears it). A guest whose own stack
// limit measures only the shadow stack (PostgreSQL's max_stack_depth) so limits recursion
// that keeps its frames on the native stack too: when the check it calls finds more used,
// OnStackOverflow raises its error there. Only an engine with the native check (wasmtime)
// honours it; it reports whether this one does.
func (p *Process) SetStackLimit(addr uint32) bool {
	l, ok := p.store.(stackLimiter)
	if !ok || p.guest.global(stackSlotExport) == nil {
		return false
	}
	l.setStackLimit(addr)
	return true
}
