package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pglite-go/pglite/protocol"
	"github.com/pglite-go/pglite/socket"
)

// connReader is a client's reader goroutine. It frames messages, rewrites them for the
// session and sends them to the Bridge in batches: everything already buffered travels
// together, so a pipeline reaches the backend in one exchange. With each batch it offers
// itself to run it (see grant), so a query usually runs on this goroutine.
type connReader struct {
	h      *connHandler
	system *actor.ActorSystem
	self   *actor.PID
	fr     *protocol.Framer
	dead   bool  // a batch was refused: drop what follows
	err    error // why reading ended (nil for a Terminate)
	ended  bool
}

func (h *connHandler) startReader(system *actor.ActorSystem, self *actor.PID) {
	r := &connReader{h: h, system: system, self: self, fr: protocol.NewFramer(h.conn)}
	go r.loop()
}

func (r *connReader) loop() {
	for !r.ended {
		batch := r.next()
		if len(batch) > 0 && !r.dead && !r.submit(batch) {
			r.dead = true
		}
	}
	noteDropped(r.fr.Partial())
	releaseHeapIfDirty()
	if r.err != nil && !socket.IsBenignClose(r.err) {
		// Through the output, in order with a result a job may be writing meanwhile.
		_, _ = r.h.output.Write(protocol.ProtocolViolation(r.err.Error()))
	}
	r.system.Root.Send(r.self, &clientGone{err: r.err})
}

// next reads one batch: at least one message, plus whatever else is already buffered (up to
// about 1 MiB). At a read error or a Terminate it returns what it has and sets ended.
func (r *connReader) next() [][]byte {
	var batch [][]byte
	size := 0
	for !r.ended {
		msg, err := r.fr.Next()
		if err != nil {
			r.err, r.ended = err, true
			break
		}
		if msg.Type == 'X' {
			r.ended = true
			break
		}
		batch = append(batch, append([]byte(nil), msg.Raw...))
		size += len(msg.Raw)
		if r.fr.Buffered() == 0 || size > 1<<20 {
			break
		}
	}
	return batch
}

// submit sends a batch to the Bridge and runs it here when the Bridge grants that. It
// reports false when the session is over or the batch is malformed.
func (r *connReader) submit(msgs [][]byte) bool {
	h := r.h
	if h.stopped.Load() {
		return false
	}
	select {
	case h.credits <- struct{}{}: // waits while too many requests are queued
	case <-h.gone:
		return false
	}
	req, err := h.request(msgs)
	if err != nil {
		r.system.Root.Send(r.self, &clientFatal{msg: protocol.ProtocolViolation(fmt.Sprintf("invalid message format: %v", err))})
		return false
	}
	req.grant = &grant{reader: r}
	r.system.Root.Send(h.bridge, req)
	if w, j, conn := req.grant.take(); j != nil {
		w.execute(j, conn, r)
	}
	return true
}

// copyInput reads the client's next batch for a COPY FROM STDIN that runs on this very
// goroutine (the Bridge cannot relay it: this reader is busy running the COPY). It returns
// nil once the client is gone.
func (r *connReader) copyInput() []byte {
	for !r.ended {
		batch := r.next()
		if len(batch) == 0 {
			continue
		}
		req, err := r.h.request(batch)
		if err != nil {
			r.err, r.ended = err, true
			r.system.Root.Send(r.self, &clientFatal{msg: protocol.ProtocolViolation(fmt.Sprintf("invalid message format: %v", err))})
			return nil
		}
		return joinSegments(req)
	}
	return nil
}

// request rewrites a batch for this session: private statement and portal names, and an
// internal Close of the client's previous unnamed statement or portal before it is
// replaced. It needs only the immutable namer, so it runs on the reader goroutine.
func (h *connHandler) request(msgs [][]byte) (*ExecRequest, error) {
	req := &ExecRequest{ConnID: h.id}
	var cur []byte
	for _, m := range msgs {
		switch m[0] {
		case 'Q':
			q := string(m[5:])
			parseListen(q, req)
			if protocol.MentionsRoles(q) {
				h.cfg.hba.rolesMayChange()
			}
			req.mayCreateTemp = req.mayCreateTemp || protocol.MentionsTemp(q)
		case 'P':
			if name, rest, ok := cstring(m[5:]); ok {
				if q, _, ok := cstring(rest); ok {
					parseListen(q, req)
					if protocol.MentionsRoles(q) {
						h.cfg.hba.rolesMayChange()
					}
					req.mayCreateTemp = req.mayCreateTemp || protocol.MentionsTemp(q)
				}
				if name == "" {
					req.Segments, cur = flushSeg(req.Segments, cur)
					req.Segments = append(req.Segments, Segment{Data: protocol.CloseStatement(h.namer.UnnamedStatement()), Internal: true})
				}
			}
		case 'B':
			if portal, _, ok := cstring(m[5:]); ok && portal == "" {
				req.Segments, cur = flushSeg(req.Segments, cur)
				req.Segments = append(req.Segments, Segment{Data: protocol.ClosePortal(h.namer.UnnamedPortal()), Internal: true})
			}
		}
		var err error
		start := len(cur)
		if cur, err = h.namer.Rewrite(cur, m); err != nil {
			return nil, err
		}
		h.trackPrepared(m, cur[start:])
	}
	req.Segments, _ = flushSeg(req.Segments, cur)
	return req, nil
}

func flushSeg(segs []Segment, cur []byte) ([]Segment, []byte) {
	if len(cur) > 0 {
		segs = append(segs, Segment{Data: cur})
	}
	return segs, nil
}

func cstring(b []byte) (string, []byte, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", nil, false
}

// trackPrepared keeps the client's named statements in its preparedStore: a Parse of a named
// statement (as rewritten, with the private name) is kept until a Close of it.
func (h *connHandler) trackPrepared(m, rewritten []byte) {
	switch {
	case protocol.IsParse(m):
		if name, _, ok := cstring(m[5:]); ok && name != "" {
			h.prepared.put(name, rewritten)
		}
	case protocol.IsCloseStatement(m):
		if name, _, ok := cstring(m[6:]); ok && name != "" {
			h.prepared.remove(name)
		}
	}
}
