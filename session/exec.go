package session

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/internal/heaprelease"
	"github.com/pglite-go/pglite/protocol"
)

// chunkSize bounds one write to the client; output is coalesced up to it.
const chunkSize = 64 << 10

// execResult reports a finished client batch.
type execResult struct {
	txStatus       byte // status of the last ReadyForQuery, if the output ended with one
	atSync         bool // the output ended with ReadyForQuery
	settings       map[string]string
	notifications  [][]byte
	listenTags     int
	rolesChanged   bool
	deallocatedAll bool         // the batch ran DEALLOCATE ALL or DISCARD ALL
	discardedAll   bool         // the batch ran DISCARD ALL
	tempObjects    []tempObject // the backend's temporary relations, when listed after the batch
	gone           bool         // the client went away or was dropped during the batch
	largest        int          // the longest message, buffered whole on its way to the client
	err            error        // the instance is broken
}

var errClientGone = errors.New("session: client disconnected")

// copyFail ends a COPY FROM STDIN whose client vanished.
var copyFail = mustEncode(&pgproto3.CopyFail{Message: "client disconnected"})

func mustEncode(m pgproto3.FrontendMessage) []byte {
	b, err := m.Encode(nil)
	if err != nil {
		panic(err)
	}
	return b
}

// runBatch executes one client batch: switch the backend to the client's session, run the
// internal and client segments, and stream the output in bounded chunks with backpressure.
func (b *Backend) runBatch(j *job, own bool) execResult {
	var res execResult
	s := j.s
	// A timeout that expired while the backend was idle belongs to its last owner.
	prev := b.cur.owner
	t, timedOut, err := b.inst.PollTimeouts()
	if err != nil {
		res.err = err
		return res
	}
	if timedOut && b.endTimedOut(prev, s, t) {
		res.gone = true
		return res
	}
	if err := b.switchTo(s); err != nil {
		res.err = err
		return res
	}
	b.inst.ClearCancel()
	if j.reprepare {
		if msgs := s.prepared.messages(); msgs != nil {
			if err := b.discard(msgs); err != nil {
				res.err = err
				return res
			}
		}
	}
	st := &streamState{b: b, job: j, own: own}
	for _, seg := range j.req.segments {
		if seg.internal {
			if err := b.discard(seg.data); err != nil {
				res.err = err
				return res
			}
			continue
		}
		err := b.inst.ExecStream(context.Background(), seg.data, st.more, st.out)
		if err != nil && errors.Is(err, bridge.ErrBroken) {
			res.err = err
			st.finish(&res)
			return res
		}
		if t, ok := b.inst.TakeSessionTimeout(); ok && b.endTimedOut(s.id, s, t) {
			st.buf, st.gone = st.buf[:0], true
			break
		}
		if t, bad := b.inst.CopyViolation(); bad {
			// PostgreSQL ends a connection that breaks the COPY protocol; here only this
			// one, while the backend got a CopyFail in its place.
			s.client.Terminate(protocol.CopyInFatal(t))
			st.buf, st.gone = st.buf[:0], true
			break
		}
	}
	st.finish(&res)
	heaprelease.NoteDropped(max(j.req.size(), st.largest))
	if res.settings != nil {
		b.cur.settings = res.settings
	}
	return res
}

// batchDone applies a finished batch under the lock: the session's state, LISTEN
// bookkeeping and notifications, and the lease.
func (b *Backend) batchDone(j *job, res execResult) {
	s := j.s
	s.inFlight, s.wantInput = false, false
	if res.settings != nil {
		s.settings = res.settings
	}
	if res.atSync {
		s.txStatus = res.txStatus
	}
	if res.rolesChanged {
		b.refreshRoles()
	}
	if res.deallocatedAll {
		b.deallocatedAll(s)
	}
	if res.discardedAll {
		b.discardedAll(s)
	}
	if res.tempObjects != nil {
		b.adoptTemp(s, res.tempObjects)
	}
	for _, n := range res.notifications {
		b.route(n)
	}
	if res.listenTags > 0 {
		b.applyListen(s, j.req.listen, j.req.unlisten, j.req.unlistenAll)
	}
	if res.gone {
		// Its output was cut short: clean up now, while it still holds the lease.
		s.detached, s.queue = true, nil
	}
	switch {
	case res.atSync && res.txStatus == 'I' && len(s.queue) == 0 && !s.detached:
		b.holder = nil
	case res.atSync && len(s.queue) == 0 && !s.detached && b.cfg.IdleInTransactionTimeout > 0:
		b.armIdleLocked(s)
	}
}

// endTimedOut ends the session a session timeout belongs to, with PostgreSQL's FATAL: the
// batch's own session (it reports true: the batch must not run on), or an earlier owner.
func (b *Backend) endTimedOut(owner uint64, s *Session, t bridge.SessionTimeout) bool {
	if owner == s.id {
		s.client.Terminate(t.Fatal)
		return true
	}
	if owner != 0 {
		b.mu.Lock()
		o := b.sessions[owner]
		b.mu.Unlock()
		if o != nil && o.task == nil {
			o.client.Terminate(t.Fatal)
		}
	}
	return false
}

// streamState scans one batch's output as it streams.
type streamState struct {
	b          *Backend
	job        *job
	own        bool
	scan       protocol.BackendScanner
	buf        []byte
	gone       bool
	last       protocol.BackendKind
	txStatus   byte
	dirty      bool
	listenTags int
	roles      bool
	deallocAll bool
	discardAll bool
	notes      [][]byte
	largest    int
}

func (st *streamState) out(p []byte) error {
	if st.gone {
		return errClientGone
	}
	return st.scan.Feed(p, st.emit)
}

// emit sees each complete backend message once.
func (st *streamState) emit(msg []byte) error {
	kind := protocol.KindOf(msg)
	st.last = kind
	st.largest = max(st.largest, len(msg))
	switch kind {
	case protocol.KindNotification:
		st.notes = append(st.notes, append([]byte(nil), msg...))
		return nil
	case protocol.KindReadyForQuery:
		st.txStatus, _ = protocol.ReadyStatus(msg)
	case protocol.KindParameterStatus:
		st.dirty = true
	case protocol.KindError, protocol.KindNotice:
		msg = st.job.s.namer.FixErrorText(msg)
	case protocol.KindCommandComplete:
		tag, _ := protocol.CommandTag(msg)
		st.noteTag(tag)
	}
	st.buf = append(st.buf, msg...)
	if len(st.buf) >= chunkSize {
		return st.flush()
	}
	return nil
}

// noteTag records what a completed command changes in the session layer's books.
func (st *streamState) noteTag(tag string) {
	switch verb, _, _ := strings.Cut(tag, " "); verb {
	case "SET", "RESET":
		st.dirty = true
	case "DISCARD":
		st.dirty = true
		st.discardAll = st.discardAll || tag == "DISCARD ALL"
		st.deallocAll = st.deallocAll || st.discardAll
	case "DEALLOCATE":
		st.deallocAll = st.deallocAll || tag == "DEALLOCATE ALL"
	case "LISTEN", "UNLISTEN":
		st.listenTags++
	case "CREATE", "DROP", "ALTER":
		if strings.HasSuffix(tag, "ROLE") || strings.HasSuffix(tag, "USER") {
			st.roles = true
		}
	}
}

// flush writes the buffered output to the client. The write blocks while the client does
// not read (the client is dropped after its read timeout) and fails once it is gone.
func (st *streamState) flush() error {
	if st.gone {
		return errClientGone
	}
	if len(st.buf) == 0 {
		return nil
	}
	_, err := st.job.s.client.Write(st.buf)
	st.buf = st.buf[:0]
	if err != nil {
		st.b.cfg.Log.Debug().Err(err).Uint64("conn_id", st.job.s.id).Msg("client write failed; dropping it")
		st.gone = true
		return errClientGone
	}
	return nil
}

// handOff leaves the rest of the output to the client's WriteLater, which does not wait for
// the client, when the batch ends the client's turn and others wait for the backend.
func (st *streamState) handOff() bool {
	if !st.job.contended || st.last != protocol.KindReadyForQuery || st.txStatus != 'I' || st.gone || len(st.buf) == 0 {
		return false
	}
	later, ok := st.job.s.client.(laterWriter)
	if !ok || !later.WriteLater(st.buf) {
		return false
	}
	st.buf = st.buf[:0]
	return true
}

// more supplies the client's next request while a COPY FROM STDIN runs.
func (st *streamState) more() ([]byte, error) {
	if err := st.flush(); err != nil {
		return copyFail, nil
	}
	var data []byte
	if st.own {
		data = st.job.s.copyInput()
	} else {
		data = st.job.s.awaitInput()
	}
	if data == nil {
		st.gone = true
		return copyFail, nil
	}
	return data, nil
}

// finish writes the rest of the output and fills in the result. The client's settings and
// temporary objects are read once it is idle, never inside its transaction, where the
// reading query would take a snapshot the client could notice (SET TRANSACTION READ WRITE
// would fail after it, for one).
func (st *streamState) finish(res *execResult) {
	b := st.b
	if res.err != nil {
		// The client may reconnect at once: it must not attach to the dying instance.
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		st.job.s.client.Terminate(protocol.FatalError("XX000", "terminating connection because the database instance failed"))
	} else if !st.handOff() {
		_ = st.flush()
	}
	res.gone = st.gone
	res.atSync = st.last == protocol.KindReadyForQuery
	res.txStatus = st.txStatus
	res.notifications = st.notes
	res.listenTags = st.listenTags
	res.rolesChanged = st.roles
	res.deallocatedAll = st.deallocAll
	res.discardedAll = st.discardAll
	res.largest = st.largest
	if res.err != nil {
		return
	}
	idle := res.atSync && st.txStatus == 'I'
	if st.dirty || b.cur.settingsPending {
		if !idle {
			b.cur.settingsPending = true
		} else {
			b.cur.settingsPending = false
			if s, err := b.captureSettings(); err == nil {
				res.settings = s
			} else {
				b.cfg.Log.Warn().Err(err).Msg("could not capture session settings")
			}
		}
	}
	if st.job.req.mayCreateTemp || b.cur.tempPending {
		if !idle {
			b.cur.tempPending = true
		} else if objs, err := b.listTemp(); err == nil {
			b.cur.tempPending = false
			res.tempObjects = objs
		}
	}
}
