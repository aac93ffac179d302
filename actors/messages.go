package actors

import (
	"io"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/socket"
)

// This file holds every message the actors exchange. Requests are paired with replies; events
// are named in the past tense.

// --- ConnectionHandler -> Bridge -------------------------------------------------------------

// AttachRequest registers a new client session with the Bridge after authentication. The
// Bridge checks the role and answers with *AttachReply.
type AttachRequest struct {
	ConnID    uint64
	User      string
	Database  string
	Settings  map[string]string // startup parameters that are session settings
	CancelPID uint32
	CancelKey []byte
	// Output takes the backend's answers to the client's requests, in order, written by
	// whichever goroutine runs them. A write blocks while the client does not read and fails
	// once the client is gone or was dropped for not reading.
	Output io.Writer
	// Gone is closed when the client disconnects; a streaming Exec stops waiting for it.
	Gone <-chan struct{}
	// Credits holds one token per ExecRequest the client has sent and the Bridge has not
	// yet taken up; the reader waits when it is full, so a client that sends faster than
	// the backend runs (a huge pipeline, a big COPY) queues a bounded amount.
	Credits chan struct{}
	// Prepared keeps the client's named statements, to prepare them again after another
	// client's DEALLOCATE ALL or DISCARD ALL.
	Prepared *preparedStore
}

// AttachReply carries the ParameterStatus values to greet the client with, or the FATAL
// error to send it (for example an unknown role).
type AttachReply struct {
	Params [][2]string
	Fatal  []byte // an encoded ErrorResponse; nil on success
}

// ExecRequest carries whole frontend messages of one client, already rewritten for its
// session. The Bridge queues it behind other clients' leases and runs it in order; while a
// COPY FROM STDIN of that client runs, its next requests feed the COPY instead.
type ExecRequest struct {
	ConnID uint64
	// Segments run in order; internal ones (closing the client's previous unnamed
	// statement or portal, which are named per client to keep them private) have their
	// output discarded.
	Segments []Segment
	// Listen and Unlisten list the channels this batch subscribes or drops (parsed from its
	// SQL); they take effect when a LISTEN/UNLISTEN command completes.
	Listen, Unlisten []string
	UnlistenAll      bool
	// queued is when the Bridge received it, for the lease-wait metric.
	queued time.Time
	// grant is the sending reader's offer to run the batch itself (see grant).
	grant *grant
	// reprepare: another client's DEALLOCATE ALL or DISCARD ALL dropped this client's
	// statements; prepare them again first.
	reprepare bool
	// mayCreateTemp: its SQL mentions TEMP, TEMPORARY or pg_temp, so the server looks for
	// temporary objects it created (see tempobjects.go).
	mayCreateTemp bool
}

// Segment is a run of whole frontend messages.
type Segment struct {
	Data     []byte
	Internal bool
}

// DetachRequest tells the Bridge a client is gone: roll back its transaction and release its
// statements, subscriptions and lease.
type DetachRequest struct {
	ConnID uint64
}

// CancelRequest is a client's CancelRequest packet, relayed by the Listener.
type CancelRequest struct {
	PID uint32
	Key []byte
}

// --- Bridge -> ConnectionHandler -------------------------------------------------------------

// NotificationArrived is a NOTIFY for a channel the client listens on: an encoded
// NotificationResponse to write while the client is idle or busy.
type NotificationArrived struct {
	Data []byte
}

// SessionTerminated ends a session from the server side (idle-in-transaction timeout,
// shutdown, Bridge restart): write Message and close.
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
func (*idleCheck) IgnoreDeadLetterLogging()     {}
func (*attachTimeout) IgnoreDeadLetterLogging() {}

// --- Internal: Bridge and its worker goroutine ------------------------------------------------

// instanceOpened reports the worker's boot of the instance.
type instanceOpened struct {
	inst  *bridge.Instance
	err   error
	info  bootInfo
	timed bridge.Timings
}

// jobDone reports a finished client batch. next is the finishing goroutine's offer to run
// the following job; w tells a stale report (from before a restart) from a current one.
type jobDone struct {
	res  execResult
	next *grant
	w    *worker
}

// inputWanted is the worker asking for a client's next request during COPY FROM STDIN.
type inputWanted struct{ connID uint64 }

// internalRan reports the Bridge's own backend work; apply runs on the actor.
type internalRan struct {
	err   error
	apply []func()
}

// cleanupDone reports the release of a departed session's backend state.
type cleanupDone struct {
	connID uint64
	err    error
}

// apiDone reports an embedding QueryRequest.
type apiDone struct {
	connID uint64
	reply  *QueryReply
	err    error
}

// instanceClosed reports the clean shutdown of PostgreSQL at the end of a drain.
type instanceClosed struct{ err error }

// instanceRecycled reports the worker's shutdown and new boot of an idle instance.
type instanceRecycled struct {
	inst   *bridge.Instance
	err    error
	info   bootInfo
	before uint64 // the old instance's linear memory
	took   time.Duration
}

// --- Internal: timers --------------------------------------------------------------------------

// idleCheck checks a session left idle inside a transaction.
type idleCheck struct{ connID uint64 }

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

// clientFatal carries a protocol error found by the reader, to send before closing.
type clientFatal struct{ msg []byte }

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

// sessionTimedOut: a session timeout of a client that no longer holds the backend expired
// (see bridge.SessionTimeout); the Bridge ends that client's session.
type sessionTimedOut struct {
	connID uint64
	fatal  []byte
}
