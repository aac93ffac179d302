package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/pglite-go/pglite/emscripten"
)

// GUC contexts and sources (utils/guc.h) for settings the host makes the way PostgreSQL's own
// connection start does. A server with one backend per client sets them once; the shared
// single-user backend gets them again each time it passes to another client.
const (
	GucContextSUBackend = 3  // PGC_SU_BACKEND: startup options of a superuser
	GucContextBackend   = 4  // PGC_BACKEND: startup options
	GucSourceClient     = 9  // PGC_S_CLIENT: startup packet options, which RESET returns to
	GucSourceOverride   = 10 // PGC_S_OVERRIDE: how the login sets session_authorization
)

// ErrOptionRejected means PostgreSQL refused a value (unknown setting, bad value, or not
// settable in that context); the setting is unchanged.
var ErrOptionRejected = errors.New("bridge: setting rejected")

// elevelDebug5 keeps set_config_option's complaints out of every client's output.
const elevelDebug5 = 10

// SetOption calls PostgreSQL's set_config_option between batches: value becomes the
// setting's current value and, for the sources above, the value RESET and DISCARD ALL return
// to. Call it only from the goroutine that runs batches.
func (inst *Instance) SetOption(name, value string, context, source int) error {
	if inst.broken != nil {
		return inst.broken
	}
	p := inst.proc
	inst.out = func([]byte) error { return nil }
	defer func() { inst.out = nil }()
	sp := p.StackPointer()
	defer p.SetStackPointer(sp)
	n, err := p.StackString(name)
	if err != nil {
		return err
	}
	v, err := p.StackString(value)
	if err != nil {
		return err
	}
	// Check hooks that read the catalogs (session_authorization's, for one) need a
	// transaction, as at connection start; the values set with these sources are not
	// transactional and stay after the commit.
	inTx, err := p.Call("IsTransactionState")
	if err == nil && inTx == 0 {
		_, err = p.Call("StartTransactionCommand")
	}
	var r uint64
	if err == nil {
		const actionSet, changeVal, isReload = 0, 1, 0
		r, err = p.Call("set_config_option", uint64(n), uint64(v), uint64(context), uint64(source),
			actionSet, changeVal, elevelDebug5, isReload)
	}
	if err == nil && inTx == 0 {
		_, err = p.Call("CommitTransactionCommand")
	}
	if err != nil {
		if status, ok := emscripten.ExitStatus(err); ok && status == 100 {
			p.SetStackPointer(sp)
			if _, err := p.Call("PostgresMainLongJmp"); err != nil {
				return inst.fail("set option", err)
			}
			return fmt.Errorf("%w: %s", ErrOptionRejected, name)
		}
		return inst.fail("set option", err)
	}
	if int32(r) <= 0 {
		return fmt.Errorf("%w: %s = %q", ErrOptionRejected, name, value)
	}
	return nil
}

// enableGUCReports makes the backend send ParameterStatus when a reported setting changes, as
// PostgreSQL does once a client has connected: pgl_sendConnData switches reporting on (its
// connection messages, and the first reports a following Sync flushes, are dropped; the
// server sends its own at each client's login).
func (inst *Instance) enableGUCReports() error {
	inst.out = func([]byte) error { return nil }
	_, err := inst.proc.Call("pgl_sendConnData")
	if err == nil {
		_, err = inst.proc.Call("pgl_pq_flush")
	}
	inst.out = nil
	if err != nil {
		return inst.fail("enable reports", err)
	}
	return inst.Exec(context.Background(), syncMessage, func([]byte) error { return nil })
}

// syncMessage is a frontend Sync.
var syncMessage = []byte{'S', 0, 0, 0, 4}
