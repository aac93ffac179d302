package emscripten

import (
	"errors"
	"fmt"

	"github.com/pglite-go/pglite/emscripten/internal/wasmbin"
)

// fnPool calls one export of one instance from Go. The function is looked up on first use,
// and call stacks (the []uint64 holding parameters and results) are pooled, one per
// nesting level, so that a call from Go allocates nothing.
type fnPool struct {
	name   string
	mod    instance
	fn     function
	stacks [][]uint64
	size   int // params and results fit in size slots; 0 until the first get
}

func (fp *fnPool) get() (function, error) {
	if fp.fn == nil {
		f := fp.mod.function(fp.name)
		if f == nil {
			return nil, fmt.Errorf("emscripten: no export %q", fp.name)
		}
		fp.fn, fp.size = f, f.slots()
	}
	return fp.fn, nil
}

// getStack returns a call stack holding args, zero-padded to the function's size (get must
// have run). Give it back with putStack once its results have been read.
func (fp *fnPool) getStack(args []uint64) []uint64 {
	n := max(fp.size, len(args))
	var s []uint64
	if k := len(fp.stacks); k > 0 && cap(fp.stacks[k-1]) >= n {
		s = fp.stacks[k-1][:n]
		fp.stacks[k-1] = nil
		fp.stacks = fp.stacks[:k-1]
	} else {
		s = make([]uint64, n)
	}
	clear(s[copy(s, args):])
	return s
}

func (fp *fnPool) putStack(s []uint64) { fp.stacks = append(fp.stacks, s) }

// call runs the function with args on a pooled stack, returning the first result. Errors
// (exit, longjmp, trap) come back unclassified.
func (fp *fnPool) call(args ...uint64) (uint64, error) {
	f, err := fp.get()
	if err != nil {
		return 0, err
	}
	stack := fp.getStack(args)
	err = f.call(stack)
	r := stack[0]
	fp.putStack(stack)
	return r, err
}

// exportPool returns the pool of one guest export.
func (p *Process) exportPool(name string) *fnPool {
	pool := p.exports[name]
	if pool == nil {
		pool = &fnPool{name: name, mod: p.guest}
		p.exports[name] = pool
	}
	return pool
}

// invokeHostFunc is the host function invoke_<sig>: (i32 index, params of sig) -> results.
func invokeHostFunc(sig string) (hostFunc, bool) {
	ft, err := wasmbin.SigFromLetters(sig)
	if err != nil {
		return hostFunc{}, false
	}
	params := append([]wasmbin.ValType{wasmbin.I32}, ft.Params...)
	return hostFunc{params: params, results: ft.Results, fn: invokeFn(sig)}, true
}

// invokeFn implements invoke_<sig>(index, args...): call the table entry through the helper's
// dyncall_<sig>, and if a longjmp unwinds through it, restore the stack pointer, flag the
// throw with setThrew(1, 0) and return 0 so the wasm caller dispatches to its setjmp. Any
// other unwind (exit, trap) also restores the stack pointer, as Emscripten's JS does before
// it re-throws, and then continues outward.
//
// https://github.com/emscripten-core/emscripten/blob/main/src/library.js (invoke_* wrappers)
func invokeFn(sig string) hostFuncImpl {
	name := "dyncall_" + sig
	return func(p *Process, stack []uint64) {
		pool := p.invokes[sig]
		if pool == nil {
			pool = &fnPool{name: name, mod: p.helperFor(sig)}
			p.invokes[sig] = pool
		}
		sp := p.StackPointer()
		depth := p.wasmInvokeDepth()
		f, err := pool.get()
		if err != nil {
			panic(err)
		}
		err = f.call(stack)
		if err == nil {
			return
		}
		p.SetStackPointer(sp)
		// The overflow hook may raise its error here only if this is the innermost invoke
		// frame: a trap that unwound wasm invoke frames on its way skipped their setjmps.
		if isStackOverflow(err) && !p.unwoundInvokes(depth) {
			err = p.recoverStackOverflow(err)
			p.SetStackPointer(sp)
		}
		var lj longjmpSignal
		if !errors.As(err, &lj) {
			panic(err)
		}
		if _, err := p.Call("setThrew", 1, 0); err != nil {
			panic(err)
		}
		stack[0] = 0
	}
}

// throwLongjmp is _emscripten_throw_longjmp: emscripten_longjmp has already stored the target
// in __THREW__/__threwValue; unwind to the nearest invoke_* frame.
func throwLongjmp(p *Process, stack []uint64) { panic(longjmpSignal{}) }

// helperFor returns the module exporting dyncall_<sig>.
func (p *Process) helperFor(sig string) instance {
	if h := p.extraHelpers[sig]; h != nil {
		return h
	}
	return p.helper
}
