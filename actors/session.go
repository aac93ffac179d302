package actors

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// session is the Bridge's record of one attached client.
type session struct {
	id        uint64
	pid       *actor.PID     // the ConnectionHandler
	namer     protocol.Namer // the client's private statement names, to fix error texts
	user      string
	settings  map[string]string
	cancelPID uint32
	cancelKey []byte
	acks      chan struct{}
	gone      <-chan struct{}

	queue    []*ExecRequest // waiting for the lease or for the running request
	inFlight bool
	txStatus byte
	listen   map[string]bool
	detached bool
	used     bool          // ran anything on the backend, so a cleanup is due when it leaves
	api      *QueryRequest // an embedding query (ephemeral session)
}

// ackWindow is how many ExecChunks may be unwritten by a client before its query waits.
const ackWindow = 8
