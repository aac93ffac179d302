package session

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pglite-go/pglite/internal/heaprelease"
	"github.com/pglite-go/pglite/protocol"
)

// Client is the connection a Session answers. The Backend calls Notify and Terminate from
// any goroutine, sometimes with its lock held: they must not block or call the Backend.
type Client interface {
	// Write takes the answers to the client's requests, in order, from whichever goroutine
	// runs them. It blocks while the client does not read and fails once the client is
	// gone (or was dropped for not reading).
	io.Writer
	// Notify delivers a NotificationResponse for a channel the client listens on.
	Notify(msg []byte)
	// Terminate sends a final FATAL error and closes the connection; the owner then calls
	// Session.Detach.
	Terminate(fatal []byte)
	// Gone is closed when the client has disconnected.
	Gone() <-chan struct{}
}

// laterWriter is a Client that can take a result without waiting for the client to read
// it (what the socket does not take at once goes to a writer goroutine of its own), so that
// the backend goes on with the next client.
type laterWriter interface {
	WriteLater(p []byte) bool
}

// readerWaker is a Client whose reader can be told that the client's next query would now
// run at once (see Session.RunsAtOnce), so that it polls for it.
type readerWaker interface {
	WakeReader()
}

// Session is one client of a Backend.
type Session struct {
	b         *Backend
	id        uint64
	user      string
	super     bool              // the login role is a superuser
	startup   map[string]string // startup options: the reset values of this client
	namer     protocol.Namer    // the client's private statement and portal names
	prepared  preparedStore     // its named statements, to prepare again after another's DEALLOCATE ALL
	client    Client
	cancelPID uint32
	cancelKey []byte
	task      *task         // an embedding task posing as a session (task.go)
	credits   chan struct{} // one token per queued request; bounds what a fast sender queues
	stopped   atomic.Bool   // Stop was called: read nothing more
	fr        *protocol.Framer
	readErr   error // why Serve's reading ended (nil for a Terminate)
	ended     bool

	// Guarded by the Backend's lock.
	queue     []*request // waiting for the lease or for the running request
	settings  map[string]string
	inFlight  bool
	txStatus  byte
	listen    map[string]bool
	detached  bool
	used      bool // ran anything on the backend, so a cleanup is due when it leaves
	reprepare bool // another client deallocated every statement: prepare this one's again
	temp      map[uint32]tempObject
	// A COPY FROM STDIN of this client that runs on another goroutine waits on copyIn for
	// the client's next request (wantInput).
	copyIn    chan []byte
	wantInput bool
}

// maxQueuedBatches bounds a client's requests waiting for the backend; a batch is at most
// about 1 MiB (or one larger message), so this bounds the memory a fast sender can take.
const maxQueuedBatches = 64

// maxBatch is the size from which a reader stops gathering buffered messages into a batch.
const maxBatch = 1 << 20

var idleInTransactionFatal = protocol.IdleInTransactionTimeout()

func newSession(b *Backend, a Attach, super bool) *Session {
	return &Session{b: b, id: a.ID, user: a.User, super: super, startup: a.Startup,
		namer: protocol.NewNamer(uint32(a.ID)), client: a.Client, cancelPID: a.CancelPID,
		cancelKey: a.CancelKey, credits: make(chan struct{}, maxQueuedBatches), txStatus: 'I',
		listen: map[string]bool{}, copyIn: make(chan []byte, 1)}
}

// ID is the session's connection ID.
func (s *Session) ID() uint64 { return s.id }

// Serve reads the client's messages from fr until a Terminate or a read error, which it
// returns (nil for a Terminate), and runs them: in batches of everything already buffered,
// so that a pipeline reaches the backend in one turn, on this goroutine when the backend is
// free. A malformed message ends the session with FATAL 08P01.
func (s *Session) Serve(fr *protocol.Framer) error {
	s.fr = fr
	dead := false
	for !s.ended {
		batch := s.next()
		if len(batch) > 0 && !dead && !s.submit(batch) {
			dead = true
		}
	}
	heaprelease.NoteDropped(fr.Partial())
	heaprelease.ReleaseIfDirty()
	return s.readErr
}

// Stop makes Serve drop what the client sends from now on (it is being terminated).
func (s *Session) Stop() { s.stopped.Store(true) }

// next reads one batch: at least one message, plus whatever else is already buffered (up to
// about 1 MiB). At a read error or a Terminate it returns what it has and sets ended.
func (s *Session) next() [][]byte {
	var batch [][]byte
	size := 0
	for !s.ended {
		msg, err := s.fr.Next()
		if err != nil {
			s.readErr, s.ended = err, true
			break
		}
		if protocol.IsTerminate(msg.Raw) {
			s.ended = true
			break
		}
		batch = append(batch, append([]byte(nil), msg.Raw...))
		size += len(msg.Raw)
		if s.fr.Buffered() == 0 || size > maxBatch {
			break
		}
	}
	return batch
}

// submit queues a batch and runs it here when the backend is free. It reports false when
// the session is over or the batch is malformed.
func (s *Session) submit(msgs [][]byte) bool {
	if s.stopped.Load() {
		return false
	}
	select {
	case s.credits <- struct{}{}: // waits while too many requests are queued
	case <-s.client.Gone():
		return false
	}
	req, err := s.request(msgs)
	if err != nil {
		s.client.Terminate(protocol.ProtocolViolation(fmt.Sprintf("invalid message format: %v", err)))
		return false
	}
	b := s.b
	b.mu.Lock()
	if s.detached || b.sessions[s.id] != s {
		b.mu.Unlock()
		return false
	}
	if s.wantInput {
		// A COPY of this client runs on another goroutine and waits for its input.
		s.wantInput = false
		s.took()
		s.copyIn <- req.copyData()
		b.mu.Unlock()
		return true
	}
	req.queued = time.Now()
	s.queue = append(s.queue, req)
	if b.holder != s && !contains(b.waiting, s) {
		b.waiting = append(b.waiting, s)
	}
	var j *job
	if !b.running {
		if j = b.pickLocked(); j != nil {
			b.running = true
		}
	}
	b.mu.Unlock()
	if j != nil {
		b.run(j, s)
	}
	return true
}

// copyInput reads the client's next batch for a COPY FROM STDIN that runs on this very
// goroutine. It returns nil once the client is gone.
func (s *Session) copyInput() []byte {
	for !s.ended {
		batch := s.next()
		if len(batch) == 0 {
			continue
		}
		req, err := s.request(batch)
		if err != nil {
			s.readErr, s.ended = err, true
			s.client.Terminate(protocol.ProtocolViolation(fmt.Sprintf("invalid message format: %v", err)))
			return nil
		}
		return req.copyData()
	}
	return nil
}

// awaitInput waits for the client's next request while its COPY FROM STDIN runs on another
// goroutine. It returns nil once the client is gone.
func (s *Session) awaitInput() []byte {
	b := s.b
	b.mu.Lock()
	if len(s.queue) > 0 {
		next := s.queue[0]
		s.queue = s.queue[1:]
		s.took()
		b.mu.Unlock()
		return next.copyData()
	}
	if s.detached {
		b.mu.Unlock()
		return nil
	}
	s.wantInput = true
	b.mu.Unlock()
	select {
	case data := <-s.copyIn:
		return data
	case <-s.client.Gone():
		b.mu.Lock()
		s.wantInput = false
		b.mu.Unlock()
		select { // Detach may have answered meanwhile
		case data := <-s.copyIn:
			return data
		default:
		}
		return nil
	}
}

// Detach tells the Backend the client is gone: its transaction is rolled back and its
// statements, subscriptions, temporary objects and lease released, in its turn. It never
// blocks.
func (s *Session) Detach() {
	b := s.b
	b.mu.Lock()
	if s.detached || b.sessions[s.id] != s {
		b.mu.Unlock()
		return
	}
	s.detached = true
	s.queue = nil
	if s.wantInput {
		s.wantInput = false
		s.copyIn <- nil
	}
	if b.holder != s && !contains(b.waiting, s) {
		b.waiting = append(b.waiting, s)
	}
	b.kickLocked()
	// A client that ran nothing leaves without a job: the backend may be idle now.
	idle := !b.running && b.holder == nil && len(b.waiting) == 0 && !b.closed && len(b.sessions) == 0
	b.mu.Unlock()
	if idle && b.cfg.Idle != nil {
		b.cfg.Idle()
	}
}

// took returns the reader's token for one request taken off the queue.
func (s *Session) took() {
	select {
	case <-s.credits:
	default:
	}
}

// RunsAtOnce reports whether a batch the client sent now would run at once: it holds the
// backend, or nobody does and nobody waits. Worth a reader's while to poll its socket for
// the next query then (socket.SpinReads); otherwise the query would wait anyway.
func (s *Session) RunsAtOnce() bool {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.runsAtOnceLocked()
}

func (s *Session) runsAtOnceLocked() bool {
	b := s.b
	return !b.closed && !s.detached && (b.holder == s || b.holder == nil && !b.running && len(b.waiting) == 0)
}

func (s *Session) inFlightNow() bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.inFlight
}

func contains(ss []*Session, s *Session) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
