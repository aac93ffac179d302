package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// worker holds the Bridge's bridge.Instance and its goroutine. Queries can run for a long
// time, so they never run inside the Bridge actor's Receive: the actor hands out jobs, to
// the goroutine that offered to run them (see grant) or over a channel to the worker's own,
// and the job reports back with a message. Every call into the instance happens in a job,
// one at a time.
type worker struct {
	inst *bridge.Instance
	send func(pid *actor.PID, msg any)
	self *actor.PID
	log  zerolog.Logger
	cur  backendSession // whose settings the backend holds now; only jobs touch it (under mu)
	// resets are the server's reset values, read at boot, for putting back a setting that
	// the previous client's startup options changed.
	resets  map[string]string
	metrics *Metrics
	failing *atomic.Bool // set when the instance broke, before the Bridge actor knows

	// mu is held while a job runs (on whichever goroutine) and while the instance is closed.
	mu     sync.Mutex
	closed bool // the instance was released; no job may run
}

// loop runs jobs until the Bridge actor stops or restarts, then releases the instance (a
// broken one is only freed; a healthy one is shut down cleanly).
func (w *worker) loop(jobs <-chan job, prev <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if prev != nil {
		<-prev
	}
	for j := range jobs {
		w.execute(j, 0, nil)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.inst != nil {
		_ = w.inst.Close()
	}
}

// backendSession is the per-client state the backend holds at a time.
type backendSession struct {
	owner    uint64
	user     string
	startup  map[string]string // the owner's startup options, which RESET returns to
	settings map[string]string // its session-level settings (SET)
	// settingsPending: the owner changed a setting inside a transaction or pipeline that is
	// still open; its settings are read once it is idle, never inside its transaction,
	// where the reading query would take a snapshot the client could notice (SET
	// TRANSACTION READ WRITE would fail after it, for one).
	settingsPending bool
	// tempPending: the owner's SQL may have created temporary objects; they are listed
	// once it is idle, like its settings.
	tempPending bool
}

// chunkSize bounds one write to the client; output is coalesced up to it.
const chunkSize = 64 << 10

// execJob is one ExecRequest to run for a session.
type execJob struct {
	sess *session
	req  *ExecRequest
	more chan []byte // requests of the same client that feed a running COPY
	// own is the session's reader when the job runs on it; a COPY then reads its input
	// from the socket itself.
	own *connReader
	// contended: other sessions waited for the backend when the job started. If the job
	// releases the lease, its last write is left to the client's writer goroutine and the
	// backend goes on with the next client at once.
	contended bool
}

// execResult reports a finished execJob to the Bridge actor.
type execResult struct {
	connID         uint64
	txStatus       byte // status of the last ReadyForQuery, if the output ended with one
	atSync         bool // the output ended with ReadyForQuery
	settings       map[string]string
	notifications  [][]byte
	listenTags     int
	rolesChanged   bool
	deallocatedAll bool         // the batch ran DEALLOCATE ALL or DISCARD ALL
	discardedAll   bool         // the batch ran DISCARD ALL
	tempObjects    []tempObject // the backend's temporary relations, when listed after the batch
	req            *ExecRequest
	gone           bool  // the client went away or was dropped during the batch
	err            error // the instance is broken
}

var errClientGone = errors.New("actors: client disconnected")

// copyFail ends a COPY FROM STDIN whose client vanished.
var copyFail = mustEncode(&pgproto3.CopyFail{Message: "client disconnected"})

func mustEncode(m pgproto3.FrontendMessage) []byte {
	b, err := m.Encode(nil)
	if err != nil {
		panic(err)
	}
	return b
}

// run executes one client batch: switch the backend to the client's session, run the
// internal and client segments, stream output in bounded chunks with backpressure, and
// route notifications.
func (w *worker) run(j *execJob) execResult {
	res := execResult{connID: j.sess.id}
	// A timeout that expired while the backend was idle belongs to its last owner.
	prev := w.cur.owner
	t, timedOut, err := w.inst.PollTimeouts()
	if err != nil {
		res.err = err
		return res
	}
	if timedOut && w.endTimedOut(prev, j, t) {
		res.gone = true
		return res
	}
	if err := w.switchTo(j.sess); err != nil {
		res.err = err
		return res
	}
	w.inst.ClearCancel()
	if j.req.reprepare && j.sess.prepared != nil {
		if msgs := j.sess.prepared.messages(); msgs != nil {
			if err := w.discard(msgs); err != nil {
				res.err = err
				return res
			}
		}
	}
	st := &streamState{w: w, job: j, namer: j.sess.namer}
	for _, seg := range j.req.Segments {
		if seg.Internal {
			if err := w.discard(seg.Data); err != nil {
				res.err = err
				return res
			}
			continue
		}
		more := func() ([]byte, error) { return st.more() }
		err := w.inst.ExecStream(context.Background(), seg.Data, more, st.out)
		if err != nil && errors.Is(err, bridge.ErrBroken) {
			res.err = err
			st.finish(&res)
			return res
		}
		if t, ok := w.inst.TakeSessionTimeout(); ok && w.endTimedOut(j.sess.id, j, t) {
			st.buf, st.gone = st.buf[:0], true
			break
		}
		if t, bad := w.inst.CopyViolation(); bad {
			// PostgreSQL ends a connection that breaks the COPY protocol; here only this
			// one, while the backend got a CopyFail in its place.
			w.send(j.sess.pid, &SessionTerminated{Message: protocol.CopyInFatal(t)})
			st.buf, st.gone = st.buf[:0], true
			break
		}
	}
	st.finish(&res)
	noteDropped(max(j.req.size(), st.largest))
	if res.settings != nil {
		w.cur.settings = res.settings
	}
	if w.metrics != nil {
		w.metrics.memoryBytes.Store(uint64(len(w.inst.Process().Memory())))
	}
	return res
}

// streamState scans one batch's output as it streams.
type streamState struct {
	w          *worker
	job        *execJob
	namer      protocol.Namer
	scan       protocol.BackendScanner
	buf        []byte
	gone       bool
	lastType   byte
	txStatus   byte
	dirty      bool
	listenTags int
	roles      bool
	deallocAll bool
	discardAll bool
	notes      [][]byte
	largest    int // the longest message, buffered whole on its way to the client
}

func (st *streamState) out(b []byte) error {
	if st.gone {
		return errClientGone
	}
	return st.scan.Feed(b, st.emit)
}

// emit sees each complete backend message once.
func (st *streamState) emit(msg []byte) error {
	st.lastType = msg[0]
	st.largest = max(st.largest, len(msg))
	switch msg[0] {
	case 'A':
		st.notes = append(st.notes, append([]byte(nil), msg...))
		return nil
	case 'Z':
		st.txStatus, _ = protocol.ReadyStatus(msg)
	case 'S':
		st.dirty = true
	case 'E', 'N':
		msg = st.namer.FixErrorText(msg)
	case 'C':
		tag, _ := protocol.CommandTag(msg)
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
	st.buf = append(st.buf, msg...)
	if len(st.buf) >= chunkSize {
		return st.flush()
	}
	return nil
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
	_, err := st.job.sess.out.Write(st.buf)
	st.buf = st.buf[:0]
	if err != nil {
		if errors.Is(err, errClientNotReading) {
			st.w.log.Warn().Uint64("conn_id", st.job.sess.id).Msg("client stopped reading its results; dropping it")
		}
		st.gone = true
		return errClientGone
	}
	return nil
}

// handOff queues the rest of the output for the client's writer goroutine when the batch
// ends the client's turn and others wait for the backend.
func (st *streamState) handOff() bool {
	if !st.job.contended || st.lastType != 'Z' || st.txStatus != 'I' || st.gone || len(st.buf) == 0 {
		return false
	}
	later, ok := st.job.sess.out.(interface{ writeLater([]byte) bool })
	if !ok || !later.writeLater(st.buf) {
		return false
	}
	st.buf = st.buf[:0]
	return true
}

// more waits for the client's next request while a COPY FROM STDIN runs.
func (st *streamState) more() ([]byte, error) {
	if err := st.flush(); err != nil {
		return copyFail, nil
	}
	if own := st.job.own; own != nil {
		data := own.copyInput()
		if data == nil {
			st.gone = true
			return copyFail, nil
		}
		return data, nil
	}
	st.w.send(st.w.self, &inputWanted{connID: st.job.sess.id})
	select {
	case data, ok := <-st.job.more:
		if !ok {
			return copyFail, nil
		}
		return data, nil
	case <-st.job.sess.gone:
		st.gone = true
		return copyFail, nil
	}
}

// finish writes the rest of the output and fills in the result.
func (st *streamState) finish(res *execResult) {
	if res.err != nil {
		if st.w.failing != nil {
			// The client learns of the failure from the message below, maybe before the
			// Bridge actor does: new sessions must not attach to the dying incarnation.
			st.w.failing.Store(true)
		}
		st.w.send(st.job.sess.pid, &SessionTerminated{Message: protocol.FatalError("XX000",
			"terminating connection because the database instance failed")})
	} else if !st.handOff() {
		_ = st.flush()
	}
	res.gone = st.gone
	res.atSync = st.lastType == 'Z'
	res.txStatus = st.txStatus
	res.notifications = st.notes
	res.listenTags = st.listenTags
	res.rolesChanged = st.roles
	res.deallocatedAll = st.deallocAll
	res.discardedAll = st.discardAll
	idle := st.lastType == 'Z' && st.txStatus == 'I'
	if (st.dirty || st.w.cur.settingsPending) && res.err == nil {
		if !idle {
			st.w.cur.settingsPending = true
		} else {
			st.w.cur.settingsPending = false
			if s, err := st.w.captureSettings(); err == nil {
				res.settings = s
			} else {
				st.w.log.Warn().Err(err).Msg("could not capture session settings")
			}
		}
	}
	if (st.job.req.mayCreateTemp || st.w.cur.tempPending) && res.err == nil {
		if !idle {
			st.w.cur.tempPending = true
		} else if objs, err := st.w.listTemp(); err == nil {
			st.w.cur.tempPending = false
			res.tempObjects = objs
		}
	}
}

// discard runs internal messages and drops their output.
func (w *worker) discard(data []byte) error {
	err := w.inst.Exec(context.Background(), data, func([]byte) error { return nil })
	if errors.Is(err, bridge.ErrBroken) {
		return err
	}
	return nil
}

// query runs internal SQL and returns its rows as text, or the first error.
func (w *worker) query(sql string) ([][]string, error) {
	var rows [][]string
	var qerr error
	var scan protocol.BackendScanner
	msg := mustEncode(&pgproto3.Query{String: sql})
	err := w.inst.Exec(context.Background(), msg, func(b []byte) error {
		return scan.Feed(b, func(m []byte) error {
			switch m[0] {
			case 'D':
				rows = append(rows, dataRow(m))
			case 'E':
				if qerr == nil {
					_, code, text, _ := protocol.ErrorFields(m)
					qerr = fmt.Errorf("%s (SQLSTATE %s)", text, code)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return rows, qerr
}

// dataRow decodes a DataRow's values as text ("" for NULL).
func dataRow(m []byte) []string {
	var d pgproto3.DataRow
	if err := d.Decode(m[5:]); err != nil {
		return nil
	}
	out := make([]string, len(d.Values))
	for i, v := range d.Values {
		out[i] = string(v)
	}
	return out
}

// endTimedOut ends the session a session timeout belongs to, with PostgreSQL's FATAL: the
// job's own session (it reports true: the job must not run on), or an earlier owner, which
// the Bridge actor ends.
func (w *worker) endTimedOut(owner uint64, j *execJob, t bridge.SessionTimeout) bool {
	switch {
	case owner == j.sess.id:
		w.send(j.sess.pid, &SessionTerminated{Message: t.Fatal})
		return true
	case owner != 0:
		w.send(w.self, &sessionTimedOut{connID: owner, fatal: t.Fatal})
	}
	return false
}
