package session

import (
	"time"

	"github.com/pglite-go/pglite/protocol"
)

// request is one batch of a client's messages, rewritten for its session.
type request struct {
	// segments run in order; internal ones (closing the client's previous unnamed
	// statement or portal, which are named per client to keep them private) have their
	// output discarded.
	segments []segment
	// listen and unlisten are the channels the batch subscribes to or drops (parsed from
	// its SQL); they take effect when a LISTEN or UNLISTEN command completes.
	listen, unlisten []string
	unlistenAll      bool
	// mayCreateTemp: its SQL mentions TEMP, TEMPORARY or pg_temp, so the server looks for
	// temporary objects it created (temp.go).
	mayCreateTemp bool
	queued        time.Time // when it was queued, for the lease-wait metric
}

// segment is a run of whole frontend messages.
type segment struct {
	data     []byte
	internal bool
}

// request rewrites a batch for this session: private statement and portal names, and an
// internal Close of the client's previous unnamed statement or portal before it is
// replaced. It needs only the session's immutable namer and its own statement store, so it
// runs on the reader goroutine.
func (s *Session) request(msgs [][]byte) (*request, error) {
	req := &request{}
	var cur []byte
	for _, m := range msgs {
		if q, ok := protocol.QueryText(m); ok {
			s.noteSQL(q, req)
		} else if name, q, ok := protocol.ParseFields(m); ok {
			s.noteSQL(q, req)
			if name == "" {
				req.segments, cur = flushSegment(req.segments, cur)
				req.segments = append(req.segments, segment{data: protocol.CloseStatement(s.namer.UnnamedStatement()), internal: true})
			}
		} else if portal, ok := protocol.BindPortal(m); ok && portal == "" {
			req.segments, cur = flushSegment(req.segments, cur)
			req.segments = append(req.segments, segment{data: protocol.ClosePortal(s.namer.UnnamedPortal()), internal: true})
		}
		start := len(cur)
		var err error
		if cur, err = s.namer.Rewrite(cur, m); err != nil {
			return nil, err
		}
		s.trackPrepared(m, cur[start:])
	}
	req.segments, _ = flushSegment(req.segments, cur)
	return req, nil
}

// noteSQL records what a statement's text tells the session layer before it runs.
func (s *Session) noteSQL(sql string, req *request) {
	parseListen(sql, req)
	if protocol.MentionsRoles(sql) && s.b.cfg.RolesMayChange != nil {
		s.b.cfg.RolesMayChange()
	}
	req.mayCreateTemp = req.mayCreateTemp || protocol.MentionsTemp(sql)
}

func flushSegment(segs []segment, cur []byte) ([]segment, []byte) {
	if len(cur) > 0 {
		segs = append(segs, segment{data: cur})
	}
	return segs, nil
}

// trackPrepared keeps the client's named statements: a Parse of a named statement (as
// rewritten, with the private name) is kept until a Close of it.
func (s *Session) trackPrepared(m, rewritten []byte) {
	if name, _, ok := protocol.ParseFields(m); ok && name != "" {
		s.prepared.put(name, rewritten)
	} else if name, ok := protocol.ClosedStatement(m); ok && name != "" {
		s.prepared.remove(name)
	}
}

// copyData is the request's client messages, for a running COPY FROM STDIN.
func (r *request) copyData() []byte {
	var out []byte
	for _, s := range r.segments {
		if !s.internal {
			out = append(out, s.data...)
		}
	}
	return out
}

// size is the number of bytes of the request's messages.
func (r *request) size() int {
	n := 0
	for _, s := range r.segments {
		n += len(s.data)
	}
	return n
}
