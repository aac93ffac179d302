package actors

import "sync/atomic"

// A job is backend work the Bridge actor hands out: a client batch, its own internal
// queries, a cleanup. Exactly one job runs at a time (the Bridge's busy flag), always outside
// the actor's Receive, and it reports back with a message.
//
// Where it runs: a goroutine that sends the Bridge a message may offer itself to run the job
// that message makes runnable, through a grant. A client's reader offers itself with each
// request, and again for its client's next queued request when a job of its own finishes;
// the worker goroutine offers itself for whatever comes next. The Bridge (in Receive, which
// never blocks) either gives the job to the offer or, when the offer is closed or does not
// fit, sends it to the worker goroutine. A reader takes only its own client's jobs: while it
// runs a job it does not read its socket, so running other clients' work could starve its
// own client. The usual query thus runs on the goroutine that read it off the socket and
// its answer is written from there: no goroutine hand-off and no cross-CPU cache refill
// between reading a query and running it. Under contention the worker runs the queue back
// to back.
type job func(g *grant)

// grant is one goroutine's offer to run a job. The Bridge may give it a job only while the
// offer is open; the goroutine closes it right after its message is handled, so a job given
// later (from another goroutine's Receive, say) goes to the worker instead.
type grant struct {
	state  atomic.Int32 // grantOpen, then grantClosed or grantGiven
	w      *worker
	job    job
	reader *connReader // the client reader offering itself, nil for the worker
}

const (
	grantOpen int32 = iota
	grantClosed
	grantGiven
)

// give hands session connID's job j to the offering goroutine; false means the offer is
// closed, g is nil, or g is another client's reader.
func (g *grant) give(w *worker, connID uint64, j job) bool {
	if g == nil || (g.reader != nil && g.reader.h.id != connID) {
		return false
	}
	g.w, g.job = w, j
	if g.state.CompareAndSwap(grantOpen, grantGiven) {
		return true
	}
	g.w, g.job = nil, nil
	return false
}

// take closes the offer and returns the job given to it, if any.
func (g *grant) take() (*worker, job) {
	if g.state.CompareAndSwap(grantOpen, grantClosed) {
		return nil, nil
	}
	return g.w, g.job
}

// execute runs j and then every job the Bridge gives this goroutine in turn. The worker's
// lock makes a job and the worker's final Close of the instance exclusive.
func (w *worker) execute(j job, r *connReader) {
	for j != nil && w != nil {
		next := &grant{reader: r}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return
		}
		j(next)
		w.mu.Unlock()
		w, j = next.take()
	}
}
