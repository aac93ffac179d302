package actors

import (
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/session"
	"github.com/pglite-go/pglite/socket"
)

// This file holds every message the actors exchange. Requests are paired with replies; events
// are named in the past tense.

// --- ConnectionHandler -> Bridge -------------------------------------------------------------

// AttachRequest registers a new client session with the Bridge after authentication. The
// Bridge's session.Backend checks the database and role and answers with *AttachReply.
type AttachRequest struct {
	ConnID    uint64
	User      string
	Database  string
	Settings  map[string]string // startup parameters that are session settings
	CancelPID uint32
	CancelKey []byte
	Client    session.Client // the connection the session answers
}

// AttachReply carries the client's session and the ParameterStatus values to greet it
// with, or the FATAL error to send it (for example an unknown role).
type AttachReply struct {
	Session *session.Session
	Params  [][2]string
	Fatal   []byte // an encoded ErrorResponse; nil on success
}

// CancelRequest is a client's CancelRequest packet, relayed by the Listener.
type CancelRequest struct {
	PID uint32
	Key []byte
}

// --- Bridge -> ConnectionHandler -------------------------------------------------------------

// SessionTerminated ends a session from the server side (a timeout, a shutdown, a failed
// instance, a protocol violation): write Message and close.
type SessionTerminated struct {
	Message []byte
}

// --- Embedding API ---------------------------------------------------------------------------

// QueryRequest runs SQL with optional text parameters on the Bridge, for actors that want
// typed results without a socket. Reply: *QueryReply.
type QueryRequest struct {
	SQL  string
	Args []any
	// NoWait answers ErrBackendBusy at once, instead of queueing, when a client holds the
	// backend or others wait for it.
	NoWait bool
}

// QueryReply is the result of a QueryRequest.
type QueryReply struct {
	Columns []string
	Rows    [][]any // text values as strings, NULL as nil
	Tag     string
	Err     error
}

// QueryError is a PostgreSQL error returned to a QueryRequest.
type QueryError = session.QueryError

// ServeConn hands the Listener a connection made in-process (for example one end of a
// net.Pipe), to be served like an accepted client: no port or socket is involved. After
// the tree stops accepting, the connection is closed.
type ServeConn struct {
	Conn net.Conn
}

// --- Bridge internals and lifecycle ----------------------------------------------------------

// BridgeReady is published on the event stream when a (re)started Bridge has its instance.
type BridgeReady struct {
	Timings bridge.Timings
	Restart int
	tree    *Metrics // which tree's Bridge: several trees may share one actor system
}

// BridgeFailed is published when the instance broke; the Bridge restarts.
type BridgeFailed struct {
	Err error
}

// ShutdownReply answers ShutdownRequest once PostgreSQL has shut down (Err: how not).
type ShutdownReply struct {
	Err error
}

// ShutdownRequest asks the tree to stop gracefully: stop accepting, let running queries end
// within Deadline, terminate sessions with 57P01 and close PostgreSQL cleanly.
type ShutdownRequest struct {
	Deadline time.Duration
	// Smart lets connected sessions go on (new ones are refused) until they all disconnect or
	// Deadline passes; then the shutdown goes on as a fast one, which terminates a running
	// query at once. A fast request sent during a smart shutdown escalates it.
	Smart bool
}

// InjectFault makes the Bridge fail, for supervision tests: the instance traps at its next
// clock read (Trap), or the actor itself panics.
type InjectFault struct {
	Trap bool
	// Database picks the Bridge in multi-database mode (send to the Supervisor).
	Database string
}

// BridgeRecycled is published when an idle instance whose memory passed the high-water mark
// was shut down and booted again to give that memory back (see Config.MemoryHighWater).
type BridgeRecycled struct {
	MemoryBefore, MemoryAfter uint64 // linear memory of the old and the new instance
	Took                      time.Duration
}

// DatabaseStopped is published on the event stream when an idle database's instance was
// shut down (multi-database mode).
type DatabaseStopped struct {
	Name string
}

// Timer messages may arrive after their actor stopped; that is expected, not a dead letter
// worth logging.
func (*drainTick) IgnoreDeadLetterLogging()     {}
func (*recycleCheck) IgnoreDeadLetterLogging()  {}
func (*idleStop) IgnoreDeadLetterLogging()      {}
func (*attachTimeout) IgnoreDeadLetterLogging() {}

// --- Internal: Bridge and its Backend -----------------------------------------------------------

// instanceOpened reports the boot of the instance and its Backend.
type instanceOpened struct {
	backend *session.Backend
	err     error
	timed   bridge.Timings
}

// backendBroken reports that backend gen's instance failed (session.Config.Broken).
type backendBroken struct {
	gen int64
	err error
}

// backendIdle reports that nothing runs or waits on backend gen (session.Config.Idle).
type backendIdle struct{ gen int64 }

// instanceClosed reports the clean shutdown of PostgreSQL at the end of a drain.
type instanceClosed struct{ err error }

// instanceRecycled reports the shutdown of an idle instance and the boot of the next.
type instanceRecycled struct {
	backend *session.Backend
	err     error
	before  uint64 // the old instance's linear memory
	took    time.Duration
}

// --- Internal: timers --------------------------------------------------------------------------

// idleStop asks the Bridge to check whether it has stayed without sessions.
type idleStop struct{}

// drainTick re-checks a graceful shutdown in progress.
type drainTick struct{}

// recycleCheck re-checks, after the recycle delay, whether the instance should be recycled.
type recycleCheck struct{}

// --- Internal: ConnectionHandler and its goroutines -------------------------------------------

// handshaken reports the end of the startup phase (TLS, authentication).
type handshaken struct {
	hs  *socket.Handshake
	err error
}

// clientGone reports that the client closed, failed or sent Terminate.
type clientGone struct{ err error }

// attachTimeout bounds the wait for the Bridge during startup (for example a restart).
type attachTimeout struct{}

// --- Internal: Listener and multi-database routing ---------------------------------------------

// accepted carries a connection from an accept goroutine.
type accepted struct{ conn net.Conn }

// stopAccepting closes the listeners, the first step of a graceful shutdown.
type stopAccepting struct{}

// lookupBridge asks the Supervisor for the Bridge serving a database.
type lookupBridge struct{ Database string }

// bridgeFound answers lookupBridge with the Bridge, or a FATAL for the client.
type bridgeFound struct {
	PID   *actor.PID
	Fatal []byte
}

// bridgeIdle tells the Supervisor a Bridge has had no sessions for IdleTimeout.
type bridgeIdle struct{ name string }
