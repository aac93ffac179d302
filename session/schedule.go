package session

import "time"

// A job is one turn of the backend: a client batch, the cleanup of a departed client, an
// embedding task, or the Backend's own internal work. Exactly one runs at a time (running),
// without the lock held; its result is applied under the lock.
type job struct {
	kind jobKind
	s    *Session
	// exec
	req *request
	// contended: other sessions waited when the batch started. If it ends the client's
	// turn, its last write must not wait for the client (laterWriter), and the backend
	// goes on with the next client at once.
	contended bool
	reprepare bool
	// cleanup
	plan cleanupPlan
	// internal
	internal []internalJob
}

type jobKind int

const (
	jobExec jobKind = iota
	jobCleanup
	jobTask
	jobInternal
)

// internalJob is backend work of the Backend itself, between client batches. It runs like a
// job and may return a function to apply its result under the lock.
type internalJob func(b *Backend) (apply func(), err error)

// jobResult is what a job reports back.
type jobResult struct {
	exec  execResult
	apply []func()
	err   error // the instance is broken
}

// pickLocked takes the next job off the queues, or nil when there is none: the Backend's
// internal work first, then the lease holder's next batch, or the lease to the first
// waiting session, or a task that waits for a free backend.
func (b *Backend) pickLocked() *job {
	if b.closed || b.frozen {
		return nil
	}
	if len(b.internal) > 0 {
		jobs := b.internal
		b.internal = nil
		return &job{kind: jobInternal, internal: jobs}
	}
	for b.holder == nil && len(b.waiting) > 0 {
		s := b.waiting[0]
		b.waiting = b.waiting[1:]
		if len(s.queue) > 0 || s.detached || s.task != nil {
			b.holder = s
		}
	}
	if b.holder == nil {
		if len(b.idleTasks) > 0 {
			t := b.idleTasks[0]
			b.idleTasks = b.idleTasks[1:]
			return &job{kind: jobTask, s: t}
		}
		return nil
	}
	s := b.holder
	if s.task == nil && !s.detached && len(s.queue) == 0 {
		return nil // the holder is idle inside a transaction or a pipeline
	}
	if b.idleTimer != nil {
		b.idleTimer.Stop()
	}
	switch {
	case s.task != nil:
		return &job{kind: jobTask, s: s}
	case s.detached && !s.used:
		delete(b.sessions, s.id)
		b.holder = nil
		return b.pickLocked()
	case s.detached:
		return &job{kind: jobCleanup, s: s, plan: b.planCleanup(s)}
	default:
		req := s.queue[0]
		s.queue = s.queue[1:]
		s.took()
		s.inFlight, s.used = true, true
		j := &job{kind: jobExec, s: s, req: req, contended: len(b.waiting) > 0, reprepare: s.reprepare}
		s.reprepare = false
		return j
	}
}

// run executes j on the calling goroutine, then the jobs that follow it, as long as they
// are self's (the client whose reader this is; nil for the Backend's own goroutine) or the
// one job of another client that passes the backend on. Anything else goes to the Backend's
// goroutine: a reader that runs a job does not read its own socket meanwhile.
func (b *Backend) run(j *job, self *Session) {
	foreign := false
	for j != nil {
		res := b.execute(j, self != nil && j.s == self)
		b.mu.Lock()
		b.complete(j, res)
		next := b.pickLocked()
		if next != nil && self != nil && next.s != self {
			if foreign {
				b.handoff <- next // running stays true: the Backend's goroutine has the turn
				next = nil
				b.mu.Unlock()
				return
			}
			foreign = true
		}
		idle := false
		if next == nil {
			b.running = false
			b.idleRun.Broadcast()
			idle = b.holder == nil && len(b.waiting) == 0 && !b.closed && len(b.sessions) == 0
		}
		// Another goroutine ran this batch, so its client's reader sleeps; if the client's
		// next query would run at once, wake the reader to poll for it.
		var wake readerWaker
		if j.kind == jobExec && j.s != self && (next == nil || next.s != j.s) && j.s.runsAtOnceLocked() {
			wake, _ = j.s.client.(readerWaker)
		}
		b.mu.Unlock()
		if wake != nil {
			wake.WakeReader()
		}
		if idle && b.cfg.Idle != nil {
			b.cfg.Idle()
		}
		j = next
	}
}

// workerLoop is the Backend's own goroutine: it runs the jobs handed to it.
func (b *Backend) workerLoop() {
	for j := range b.handoff {
		b.run(j, nil)
	}
}

// kickLocked starts the next job on the Backend's goroutine if the backend is free.
func (b *Backend) kickLocked() {
	if b.running {
		return
	}
	if j := b.pickLocked(); j != nil {
		b.running = true
		b.handoff <- j
	}
}

// execute runs a job without the lock. own: the job's client is the one whose reader runs
// it, so a COPY reads its input from the socket itself.
func (b *Backend) execute(j *job, own bool) jobResult {
	switch j.kind {
	case jobExec:
		start := time.Now()
		r := b.runBatch(j, own)
		if b.cfg.BatchDone != nil {
			b.cfg.BatchDone(start.Sub(j.req.queued), r.largest, uint64(len(b.inst.Process().Memory())))
		}
		return jobResult{exec: r, err: r.err}
	case jobCleanup:
		return jobResult{err: b.cleanup(j.s, j.plan)}
	case jobTask:
		return jobResult{err: j.s.task.run(b, j.s)}
	default:
		var res jobResult
		for _, ij := range j.internal {
			apply, err := ij(b)
			if isBroken(err) {
				res.err = err
				break
			}
			if err != nil {
				b.cfg.Log.Warn().Err(err).Msg("internal query failed")
			}
			if apply != nil {
				res.apply = append(res.apply, apply)
			}
		}
		return res
	}
}

// complete applies a job's result under the lock.
func (b *Backend) complete(j *job, res jobResult) {
	if j.s != nil && j.kind != jobExec {
		delete(b.sessions, j.s.id)
		if b.holder == j.s {
			b.holder = nil
		}
	}
	if res.err != nil {
		if j.s != nil {
			j.s.inFlight = false
		}
		b.fail(res.err)
		return
	}
	switch j.kind {
	case jobExec:
		b.batchDone(j, res.exec)
	case jobInternal:
		for _, apply := range res.apply {
			apply()
		}
	}
}

// armIdleLocked ends session s if it stays idle inside its transaction for the timeout.
func (b *Backend) armIdleLocked(s *Session) {
	if b.idleTimer != nil {
		b.idleTimer.Stop()
	}
	b.idleTimer = time.AfterFunc(b.cfg.IdleInTransactionTimeout, func() { b.checkIdle(s) })
}

func (b *Backend) checkIdle(s *Session) {
	b.mu.Lock()
	idle := b.holder == s && !s.inFlight && len(s.queue) == 0 && s.txStatus != 'I' && !s.detached
	b.mu.Unlock()
	if !idle {
		return
	}
	b.cfg.Log.Info().Uint64("conn_id", s.id).Msg("terminating idle-in-transaction session")
	s.client.Terminate(idleInTransactionFatal)
	s.Detach()
}
