package actors

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
)

// ErrStartup means the database could not be started at all: missing or corrupt assets, a bad
// or locked data directory, an unusable configuration. Such an error is never retried (the
// next attempt would fail the same way); Start's Handle reports it from WaitReady and Err,
// wrapped in *StartupError so that errors.Is also finds the cause's own sentinel, such as
// bridge.ErrDataDirInUse.
var ErrStartup = errors.New("actors: the database could not start")

// ErrBackendBusy answers a QueryRequest with NoWait while the backend is taken.
var ErrBackendBusy = errors.New("actors: the database is busy")

// StartupError carries the reason the first boot failed.
type StartupError struct{ Err error }

func (e *StartupError) Error() string        { return e.Err.Error() }
func (e *StartupError) Unwrap() error        { return e.Err }
func (e *StartupError) Is(target error) bool { return target == ErrStartup }

// bridgeStartFailed tells the Supervisor that a Bridge's first boot failed.
type bridgeStartFailed struct{ err error }

// startFailed ends a Bridge whose first boot failed, without a retry: clients waiting for it
// are told why, and the Supervisor stops the tree (one database) or this database (several).
func (b *bridgeActor) startFailed(ctx actor.Context, err error) {
	b.log.Debug().Err(err).Msg("could not start the database") // the Handle reports it
	fatal := protocol.FatalError("57P03", "the database system could not start: "+firstLine(err.Error()))
	for _, p := range b.pending {
		ctx.Send(p.sender, &AttachReply{Fatal: fatal})
	}
	b.pending = nil
	ctx.Request(ctx.Parent(), &bridgeStartFailed{err: err})
}
