package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
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

// snapshotWait is a SnapshotRequest waiting for the backend to be free.
type snapshotWait struct {
	req    *SnapshotRequest
	sender *actor.PID
}

// snapshotDone reports the worker's snapshot.
type snapshotDone struct {
	reply  *SnapshotReply
	sender *actor.PID
	broken error
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

// snapshotRequested queues a snapshot behind the clients that hold or wait for the
// backend.
func (b *bridgeActor) snapshotRequested(ctx actor.Context, m *SnapshotRequest) {
	if b.draining != nil {
		ctx.Respond(&SnapshotReply{Err: errors.New("actors: snapshot: the database is shutting down")})
		return
	}
	b.snapshots = append(b.snapshots, snapshotWait{req: m, sender: ctx.Sender()})
	b.schedule(ctx)
}

// runSnapshot takes the first waiting snapshot on the worker. schedule calls it when the
// backend is free and no client waits.
func (b *bridgeActor) runSnapshot(ctx actor.Context) {
	sw := b.snapshots[0]
	b.snapshots = b.snapshots[1:]
	b.busy = true
	b.nextConnID++
	pseudo := &session{id: apiConnBase + b.nextConnID, user: bootUser}
	var listening []string // DISCARD ALL unlistens the whole backend; attached clients keep theirs
	for ch := range b.channels {
		listening = append(listening, ch)
	}
	self, system, w := ctx.Self(), ctx.ActorSystem(), b.worker
	b.jobs <- func(*grant) {
		t, err := w.snapshot(pseudo, sw.req.Checkpoint, listening)
		done := &snapshotDone{reply: &SnapshotReply{Template: t, Err: err}, sender: sw.sender}
		if errors.Is(err, bridge.ErrBroken) {
			done.broken = err
		}
		system.Root.Send(self, done)
	}
}

func (b *bridgeActor) snapshotFinished(ctx actor.Context, m *snapshotDone) {
	b.busy = false
	ctx.Send(m.sender, m.reply)
	if m.broken != nil {
		b.broken(ctx, m.broken)
		return
	}
	b.schedule(ctx)
}

// snapshot leaves the backend as a freshly booted one is (the boot user, no startup
// options, no session state), warms the caches a clone's start reads, and freezes it.
func (w *worker) snapshot(pseudo *session, checkpoint bool, listening []string) (*bridge.Template, error) {
	if err := w.switchTo(pseudo); err != nil {
		return nil, err
	}
	status, err := w.sync()
	if err != nil {
		return nil, err
	}
	if status != 'I' {
		if _, err := w.query("ROLLBACK"); errors.Is(err, bridge.ErrBroken) {
			return nil, err
		}
	}
	if _, err := w.query("DISCARD ALL"); err != nil {
		return nil, err
	}
	w.cur = backendSession{user: bootUser}
	if _, err := readBootInfo(w.inst); err != nil {
		return nil, err
	}
	if _, err := w.query("select name, reset_val from pg_catalog.pg_settings"); err != nil {
		return nil, err
	}
	if checkpoint {
		if _, err := w.query("CHECKPOINT"); err != nil {
			return nil, err
		}
	}
	t, err := w.inst.Snapshot()
	if err != nil || len(listening) == 0 {
		return t, err
	}
	var sql string
	for _, ch := range listening {
		sql += "LISTEN " + protocol.QuoteIdent(ch) + ";"
	}
	if _, err := w.query(sql); errors.Is(err, bridge.ErrBroken) {
		return nil, err
	}
	return t, nil
}
