package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/bridge"
)

// SnapshotRequest asks the Bridge to freeze its in-memory instance into a bridge.Template
// (see bridge.Instance.Snapshot). It runs on the worker, like every call into the
// instance, once no client holds the backend and none waits for it: an open transaction
// is never captured. The backend session is first reset (ROLLBACK, DISCARD ALL) and its
// catalog caches warmed with the queries a clone's Bridge runs at start. Sessions still
// attached stay attached. Reply: *SnapshotReply.
type SnapshotRequest struct {
	// Checkpoint runs CHECKPOINT before the snapshot, so that the data directory of the
	// template's file system boots with little to recover (bridge.Template.ExportCluster).
	Checkpoint bool
}

// SnapshotReply answers SnapshotRequest.
type SnapshotReply struct {
	Template *bridge.Template
	Err      error
}

// Snapshot freezes the served database into a bridge.Template once no client holds the
// backend (see SnapshotRequest). It needs an in-memory database and a single-database tree.
func (h *Handle) Snapshot(ctx context.Context, checkpoint bool) (*bridge.Template, error) {
	select {
	case <-h.done:
		return nil, errors.New("actors: stopped")
	default:
	}
	timeout := 5 * time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	res, err := h.system.Root.RequestFuture(h.Bridge(), &SnapshotRequest{Checkpoint: checkpoint}, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("actors: snapshot: %w", err)
	}
	reply, ok := res.(*SnapshotReply)
	if !ok {
		return nil, fmt.Errorf("actors: unexpected reply %T", res)
	}
	return reply.Template, reply.Err
}

// snapshot takes a snapshot off the mailbox, once the Backend is free of clients (see
// session.Backend.Snapshot).
func (b *bridgeActor) snapshot(ctx actor.Context, m *SnapshotRequest, sender *actor.PID) {
	if b.draining != nil {
		ctx.Send(sender, &SnapshotReply{Err: errors.New("actors: snapshot: the database is shutting down")})
		return
	}
	if !b.ready {
		b.whenReady = append(b.whenReady, func(ctx actor.Context) { b.snapshot(ctx, m, sender) })
		return
	}
	be, system := b.backend, ctx.ActorSystem()
	go func() {
		t, err := be.Snapshot(context.Background(), m.Checkpoint)
		system.Root.Send(sender, &SnapshotReply{Template: t, Err: err})
	}()
}
