package emscripten

import (
	"errors"
	"fmt"
)

// ErrBroken marks a process that must not be called again: it trapped, aborted, or exited
// with a status its owner did not expect to keep it alive.
var ErrBroken = errors.New("emscripten: process is broken")

// ExitError is how the guest's exit() reaches the caller. Emscripten programs built with
// noExitRuntime use exit() as control flow (PGlite: 99 "idle", 100 "top-level error"), so the
// host unwinds the wasm stack with a Go panic and reports the status here; the instance stays
// usable.
type ExitError struct {
	Status int32
}

func (e *ExitError) Error() string { return fmt.Sprintf("emscripten: exit(%d)", e.Status) }

// TrapError is a wasm trap, an abort() or assertion failure, or a Go panic inside a host
// function. The process is broken afterwards.
type TrapError struct {
	Cause error
}

func (e *TrapError) Error() string { return "emscripten: trap: " + e.Cause.Error() }
func (e *TrapError) Unwrap() error { return e.Cause }
func (e *TrapError) Is(target error) bool {
	return target == ErrBroken
}

// ExitStatus reports the status carried by err if it is an exit() unwind.
func ExitStatus(err error) (int32, bool) {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Status, true
	}
	return 0, false
}

// longjmpSignal unwinds from _emscripten_throw_longjmp to the nearest invoke_* frame.
type longjmpSignal struct{}

func (longjmpSignal) Error() string { return "emscripten: longjmp" }

// abortSignal is raised by abort() and __assert_fail().
type abortSignal struct{ msg string }

func (a *abortSignal) Error() string { return "emscripten: abort: " + a.msg }
