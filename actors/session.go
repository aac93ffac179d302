package actors

import (
	"io"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// session is the Bridge's record of one attached client.
type session struct {
	id        uint64
	pid       *actor.PID     // the ConnectionHandler
	namer     protocol.Namer // the client's private statement names, to fix error texts
	user      string
	super     bool              // the login role is a superuser
	startup   map[string]string // startup-packet options: the reset values of this client
	settings  map[string]string // session-level settings, as read after the client's SETs
	cancelPID uint32
	cancelKey []byte
	out       io.Writer     // see AttachRequest.Output
	credits   chan struct{} // see AttachRequest.Credits
	gone      <-chan struct{}

	queue    []*ExecRequest // waiting for the lease or for the running request
	inFlight bool
	txStatus byte
	listen   map[string]bool
	detached bool
	used     bool           // ran anything on the backend, so a cleanup is due when it leaves
	api      *QueryRequest  // an embedding query (ephemeral session)
	prepared *preparedStore // see AttachRequest.Prepared; nil for embedding queries
	// reprepare: another client deallocated every statement; prepare this one's again
	// before its next batch.
	reprepare bool
	// temp are the temporary relations this client created (tempobjects.go).
	temp map[uint32]tempObject
}

// maxQueuedBatches bounds a client's requests waiting at the Bridge; a batch is at most
// about 1 MiB (or one larger message), so this bounds the memory a fast sender can take.
const maxQueuedBatches = 64

// took returns the reader's token for one request the Bridge has taken off the queue.
func (s *session) took() {
	select {
	case <-s.credits:
	default:
	}
}
