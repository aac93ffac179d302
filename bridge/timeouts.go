package bridge

import (
	"sync/atomic"
	"unsafe"

	"github.com/pglite-go/pglite/emscripten"
	"github.com/pglite-go/pglite/protocol"
)

// PostgreSQL ends a session whose transaction_timeout, idle_in_transaction_session_timeout or
// idle_session_timeout expires with FATAL, which here would end the shared backend and every
// client with it. The host watches for these timeouts instead: after each timer delivery it
// takes the timeout's pending flag back (PostgreSQL then never raises the FATAL), stops a
// running statement, and reports the timeout so that the server ends only the session whose
// timeout it was, with PostgreSQL's own FATAL.
//
// The flags are not exported, but they are declared in globals.c right after three that
// are (InterruptPending, QueryCancelPending, ProcDiePending) and laid out in that order; the
// layout is checked at boot, and TestSessionTimeouts proves it.

// SessionTimeout is a session timeout PostgreSQL would have ended a session for.
type SessionTimeout struct {
	// Fatal is PostgreSQL's FATAL ErrorResponse for it.
	Fatal []byte
	// Idle: the timeout fired while the backend was idle between batches, so it belongs to
	// the session that held the backend last, not to the one whose batch is about to run.
	Idle bool
}

// timeoutFlag is one of the pending flags, with the FATAL it stands for.
type timeoutFlag struct {
	offset      uint32 // from InterruptPending
	code, text  string
	idleBetween bool
}

var timeoutFlags = []timeoutFlag{
	{20, "25P03", "terminating connection due to idle-in-transaction timeout", false},
	{24, "25P04", "terminating connection due to transaction timeout", false},
	{28, "57P05", "terminating connection due to idle-session timeout", true},
}

// armTimeouts finds the flags and installs the watch.
func (inst *Instance) armTimeouts() {
	p := inst.proc
	ip, ok1 := p.GlobalAddress("InterruptPending")
	qc, ok2 := p.GlobalAddress("QueryCancelPending")
	pd, ok3 := p.GlobalAddress("ProcDiePending")
	if !ok1 || !ok2 || !ok3 || qc != ip+4 || pd != ip+8 {
		inst.log.Warn().Msg("session timeouts: unexpected layout of PostgreSQL's interrupt flags; a session timeout will restart the instance")
		return
	}
	inst.timeoutBase = ip
	p.SetAfterTimer(inst.afterTimer)
}

// afterTimer is emscripten.ProcessConfig.AfterTimer for the backend.
func (inst *Instance) afterTimer(p *emscripten.Process) {
	for _, f := range timeoutFlags {
		flag := (*int32)(unsafe.Pointer(&p.Memory()[inst.timeoutBase+f.offset]))
		if atomic.LoadInt32(flag) == 0 {
			continue
		}
		atomic.StoreInt32(flag, 0)
		if inst.timedOut == nil {
			inst.timedOut = &SessionTimeout{Fatal: protocol.FatalError(f.code, f.text), Idle: f.idleBetween}
		}
		if !f.idleBetween {
			// The session's statement stops; its output is dropped, as the session ends.
			inst.Cancel()
			inst.guard.suppress = true
		}
	}
}

// TakeSessionTimeout reports, once, a session timeout that fired during the last Exec.
func (inst *Instance) TakeSessionTimeout() (SessionTimeout, bool) {
	t := inst.timedOut
	inst.timedOut = nil
	if t == nil {
		return SessionTimeout{}, false
	}
	return *t, true
}

// PollTimeouts delivers the timers that expired while the backend was idle and reports a
// session timeout among them, before the next batch runs. Call it between batches.
func (inst *Instance) PollTimeouts() (SessionTimeout, bool, error) {
	if inst.broken != nil {
		return SessionTimeout{}, false, inst.broken
	}
	if err := inst.proc.FireTimers(); err != nil {
		return SessionTimeout{}, false, inst.fail("timer", err)
	}
	inst.guard.suppress = false
	t, ok := inst.TakeSessionTimeout()
	return t, ok, nil
}
