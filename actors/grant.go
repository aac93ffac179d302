package actors

import "sync/atomic"

// A job is backend work the Bridge actor hands out: a client batch, its own internal
// queries, a cleanup. Exactly one job runs at a time (the Bridge's busy flag), always outside
// the actor's Receive, and it reports back with a message.
//
// Where it runs: a goroutine that sends the Bridge a message may offer itself to run the job
// that message makes runnable, through a grant. A client's reader offers itself with each
// request, and again when a job of its own finishes (for its client's next queued request,
// or for the one job that passes the backend to the next client); the worker goroutine
// offers itself for whatever comes next. The Bridge (in Receive, which never blocks) either
// gives the job to the offer or, when the offer is closed or does not fit, sends it to the
// worker goroutine. A reader takes no more than that one job of another client: while it
// runs a job it does not read its socket, so running other clients' work in a row could
// starve its own client. The usual query thus runs on the goroutine that read it off the
// socket and its answer is written from there: no goroutine hand-off and no cross-CPU cache
// refill between reading a query and running it. Under contention the worker runs the
// queue back to back.
type job func(g *grant)

// grant is one goroutine's offer to run a job. The Bridge may give it a job only while the
// offer is open; the goroutine closes it right after its message is handled, so a job given
// later (from another goroutine's Receive, say) goes to the worker instead.
type grant struct {
	state  atomic.Int32 // grantOpen, then grantClosed or grantGiven
	w      *worker
	job    job
	conn   uint64      // the session whose job was given
	reader *connReader // the client reader offering itself, nil for the worker
	// handOn lets a reader whose own job just finished run one job of another client: the
	// one that takes the backend to the next client in line. Its own client waits for
	// that job anyway, and the backend changes hands without waking the worker.
	handOn bool
}

const (
	grantOpen int32 = iota
	grantClosed
	grantGiven
)

// give hands session connID's job j to the offering goroutine; false means the offer is
// closed, g is nil, or g is another client's reader that may not take it.
func (g *grant) give(w *worker, connID uint64, j job) bool {
	if g == nil || (g.reader != nil && g.reader.h.id != connID && !g.handOn) {
		return false
	}
	g.w, g.job, g.conn = w, j, connID
	if g.state.CompareAndSwap(grantOpen, grantGiven) {
		return true
	}
	g.w, g.job, g.conn = nil, nil, 0
	return false
}

// take closes the offer and returns the job given to it, if any, and its session.
func (g *grant) take() (*worker, job, uint64) {
	if g.state.CompareAndSwap(grantOpen, grantClosed) {
		return nil, nil, 0
	}
	return g.w, g.job, g.conn
}

// execute runs session conn's job j and then every job the Bridge gives this goroutine in
// turn. The worker's lock makes a job and the worker's final Close of the instance
// exclusive.
func (w *worker) execute(j job, conn uint64, r *connReader) {
	for j != nil && w != nil {
		next := &grant{reader: r, handOn: r != nil && conn == r.h.id}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return
		}
		j(next)
		w.mu.Unlock()
		w, j, conn = next.take()
	}
}
