package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/pglite-go/pglite/emscripten"
)

// Exec runs complete frontend messages and streams the backend's bytes to out as they are
// produced. out must not keep the slice it gets: it is a view of guest memory. If out fails,
// the running query is cancelled, the rest of its output is dropped and Exec returns that
// error; the instance stays usable.
//
// msgs holds whole messages. A startup packet (first byte 0) must be alone. Terminate
// messages are dropped: Terminate inside a batch would wedge the backend, and closing the
// session is the caller's business.
//
// Cancelling ctx cancels the running query the way Cancel does.
func (inst *Instance) Exec(ctx context.Context, msgs []byte, out func([]byte) error) error {
	return inst.ExecStream(ctx, msgs, nil, out)
}

// ExecStream is Exec for exchanges whose input arrives while the backend runs, such as COPY
// FROM STDIN: when the backend wants more input than msgs holds, more is called (on this
// goroutine) and must return further whole messages, or an error to end the exchange. With
// more == nil the backend sees end of input.
func (inst *Instance) ExecStream(ctx context.Context, msgs []byte, more func() ([]byte, error), out func([]byte) error) error {
	switch {
	case inst.closed:
		return ErrClosed
	case inst.broken != nil:
		return inst.broken
	}
	if len(msgs) == 0 {
		return nil
	}
	if ctx.Done() != nil {
		// No goroutine per Exec: the runtime calls Cancel only if ctx ends meanwhile.
		defer inst.cancelOnDone(ctx)()
	}
	inst.guard = copyGuard{framed: msgs[0] != 0}
	if err := inst.proc.FireTimers(); err != nil {
		return inst.fail("timer", err)
	}
	if msgs[0] == 0 {
		return inst.startup(msgs, out)
	}
	inst.in, inst.inOff, inst.more, inst.out, inst.outErr = stripTerminate(msgs), 0, more, out, nil
	defer func() { inst.in, inst.more, inst.out = nil, nil, nil }()
	p := inst.proc
	// The loop of the JS host, run inside the engine (see driver):
	//   while (input left || pq_buffer_remaining_data() > 0) PostgresMainLoopOnce()
	for {
		sp := p.StackPointer()
		err := inst.driver.Drive(inst.inputLeft)
		if err == nil {
			break
		}
		status, isExit := emscripten.ExitStatus(err)
		if !isExit || status != 100 {
			return inst.fail("exec", err)
		}
		// A top-level ereport(ERROR): recover the way PostgresMain's sigsetjmp does, then go
		// on with the rest of the batch.
		p.SetStackPointer(sp)
		if _, err := p.Call("PostgresMainLongJmp"); err != nil {
			return inst.fail("error recovery", err)
		}
	}
	// PostgresSendReadyForQueryIfNecessary and pgl_pq_flush.
	if err := inst.driver.Finish(); err != nil {
		return inst.fail("ready for query", err)
	}
	if inst.outErr != nil {
		// Drop a cancel request the query may have finished before seeing.
		atomic.StoreInt32(inst.queryCancel, 0)
		return inst.outErr
	}
	return nil
}

// cancelOnDone cancels the running query if ctx ends before the returned stop is called.
// A cancel that has started by then runs on its own goroutine and could land in the next
// query, so stop waits for it and clears the flag it set: the exchange is over, and a
// cancel that came too late for it must not hit another.
func (inst *Instance) cancelOnDone(ctx context.Context) (stop func()) {
	fired := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		inst.Cancel()
		close(fired)
	})
	return func() {
		if !stopFunc() {
			<-fired
			inst.ClearCancel()
		}
	}
}

// inputLeft reports whether the batch has input PostgreSQL has not read yet.
func (inst *Instance) inputLeft() bool { return inst.inOff < len(inst.in) }

// newDriver links the batch loop of ExecStream to a booted or cloned process.
func newDriver(p *emscripten.Process) (*emscripten.Driver, error) {
	return p.NewDriver(emscripten.DriverSpec{Step: "PostgresMainLoopOnce", Pending: "pq_buffer_remaining_data",
		Finish: []string{"PostgresSendReadyForQueryIfNecessary", "pgl_pq_flush"}})
}

// fail marks the instance broken. Exit statuses other than 100 mean FATAL (1) or a wedged
// backend (99 in the middle of a batch); traps mean the instance state is unknown.
func (inst *Instance) fail(op string, err error) error {
	if status, ok := emscripten.ExitStatus(err); ok {
		err = fmt.Errorf("postgres exited with status %d", status)
	}
	inst.broken = &BrokenError{Op: op, Cause: err}
	inst.log.Error().Err(err).Str("op", op).Msg("instance broken")
	return inst.broken
}

// readCallback is PostgreSQL's recv(): copy pending input into guest memory. Returning 0
// means end of input to PostgreSQL, so in the middle of a stream more input is fetched first.
func (inst *Instance) readCallback(p *emscripten.Process, s []uint64) {
	buf, max := uint32(s[0]), int(int32(s[1]))
	if inst.inOff >= len(inst.in) && inst.more != nil {
		next, err := inst.more()
		if err != nil || len(next) == 0 {
			inst.more = nil
		} else {
			inst.in, inst.inOff = stripTerminate(next), 0
			inst.guard.msgEnd = 0
		}
	}
	end := inst.guard.limit(inst) // may replace inst.in: evaluate it first
	n := copy(p.Bytes(buf, uint32(max)), inst.in[inst.inOff:end])
	inst.inOff += n
	s[0] = uint64(n)
}

// writeCallback is PostgreSQL's send(): hand the bytes to the consumer as they come, so a
// result of any size streams in bounded memory.
func (inst *Instance) writeCallback(p *emscripten.Process, s []uint64) {
	buf, n := uint32(s[0]), uint32(s[1])
	if inst.guard.framed {
		inst.guard.sawOutput(p.Bytes(buf, n))
	}
	if inst.outErr == nil && inst.out != nil && !inst.guard.suppress {
		if err := inst.out(p.Bytes(buf, n)); err != nil {
			inst.outErr = err
			inst.Cancel()
		}
	}
	s[0] = uint64(n)
}

// stripTerminate removes Terminate ('X') messages from a batch of whole messages.
func stripTerminate(msgs []byte) []byte {
	hasX := false
	for off := 0; off+5 <= len(msgs); {
		if msgs[off] == 'X' {
			hasX = true
			break
		}
		off += 1 + int(binary.BigEndian.Uint32(msgs[off+1:]))
	}
	if !hasX {
		return msgs
	}
	out := make([]byte, 0, len(msgs))
	for off := 0; off+5 <= len(msgs); {
		end := off + 1 + int(binary.BigEndian.Uint32(msgs[off+1:]))
		if end > len(msgs) {
			end = len(msgs)
		}
		if msgs[off] != 'X' {
			out = append(out, msgs[off:end]...)
		}
		off = end
	}
	return out
}

// ErrStartupRejected means PostgreSQL refused a startup packet (for example an unknown
// role or database); its ErrorResponse was written to out.
var ErrStartupRejected = errors.New("bridge: startup packet rejected")

// startup feeds a startup packet to ProcessStartupPacket and sends the connection data
// (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery). SSLRequest,
// GSSENCRequest and CancelRequest must be answered by the caller and never reach here.
func (inst *Instance) startup(pkt []byte, out func([]byte) error) error {
	if len(pkt) >= 8 {
		switch binary.BigEndian.Uint32(pkt[4:8]) {
		case 80877103, 80877104, 80877102:
			return fmt.Errorf("bridge: SSL, GSS and cancel requests are answered by the server, not the backend")
		}
	}
	inst.in, inst.inOff, inst.out, inst.outErr = pkt, 0, out, nil
	inst.guard = copyGuard{}
	defer func() { inst.in, inst.out = nil, nil }()
	p := inst.proc
	port, err := p.Call("pgl_getMyProcPort")
	if err != nil {
		return inst.fail("startup", err)
	}
	sp := p.StackPointer()
	r, err := p.Call("ProcessStartupPacket", port, 1, 1)
	if err != nil {
		if status, ok := emscripten.ExitStatus(err); ok && status == 100 {
			p.SetStackPointer(sp)
			if _, err := p.Call("PostgresMainLongJmp"); err != nil {
				return inst.fail("startup", err)
			}
			_, _ = p.Call("pgl_pq_flush")
			return ErrStartupRejected
		}
		return inst.fail("startup", err)
	}
	if int32(r) != 0 {
		_, _ = p.Call("pgl_pq_flush")
		return ErrStartupRejected
	}
	if _, err := p.Call("pgl_sendConnData"); err != nil {
		return inst.fail("startup", err)
	}
	if _, err := p.Call("pgl_pq_flush"); err != nil {
		return inst.fail("startup", err)
	}
	return inst.outErr
}
