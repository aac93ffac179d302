package session

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// A task is backend work for the embedding program (a query, a snapshot), run in its turn
// as a short-lived session of the boot user.
type task struct {
	do   func(b *Backend, s *Session) (any, error)
	done chan taskResult
}

type taskResult struct {
	v   any
	err error
}

func (t *task) finish(v any, err error) {
	select {
	case t.done <- taskResult{v, err}:
	default: // finished already
	}
}

// run runs the task as session s and delivers its result; it returns the error only when
// the instance broke.
func (t *task) run(b *Backend, s *Session) error {
	v, err := t.do(b, s)
	t.finish(v, err)
	if isBroken(err) {
		return err
	}
	return nil
}

// taskBase keeps task sessions apart from client connection IDs.
const taskBase = 1 << 62

// schedule queues a task: in turn with the clients, or once nobody holds or waits for the
// backend (whenIdle). noWait refuses with ErrBusy instead of waiting behind a client.
func (b *Backend) schedule(ctx context.Context, t *task, whenIdle, noWait bool) (any, error) {
	t.done = make(chan taskResult, 1)
	b.mu.Lock()
	if b.closed || b.frozen {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	if noWait && (b.running || b.holder != nil || len(b.waiting) > 0) {
		b.mu.Unlock()
		return nil, ErrBusy
	}
	b.nextTask++
	s := &Session{b: b, id: taskBase + b.nextTask, user: bootUser, task: t, listen: map[string]bool{}}
	if whenIdle {
		b.idleTasks = append(b.idleTasks, s)
	} else {
		b.sessions[s.id] = s
		b.waiting = append(b.waiting, s)
	}
	b.kickLocked()
	b.mu.Unlock()
	select {
	case r := <-t.done:
		return r.v, r.err
	case <-ctx.Done():
		// Still queued: it runs, and its result is dropped.
		return nil, ctx.Err()
	}
}

// Result is the answer to Query: text values as strings, NULL as nil.
type Result struct {
	Columns []string
	Rows    [][]any
	Tag     string
}

// QueryError is a PostgreSQL error returned to Query.
type QueryError struct {
	Code, Message string
}

func (e *QueryError) Error() string { return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code) }

// Query runs one statement with text parameters for the embedding program, in its turn
// for the backend, as the boot user with the server's default settings. With noWait it
// answers ErrBusy at once, instead of queueing, when a client holds the backend or others
// wait for it. A PostgreSQL error is a *QueryError, with the result so far.
func (b *Backend) Query(ctx context.Context, sql string, args []any, noWait bool) (*Result, error) {
	t := &task{do: func(b *Backend, s *Session) (any, error) {
		if err := b.switchTo(s); err != nil {
			return nil, err
		}
		return b.runQuery(sql, args)
	}}
	v, err := b.schedule(ctx, t, false, noWait)
	r, _ := v.(*Result)
	return r, err
}

func (b *Backend) runQuery(sql string, args []any) (*Result, error) {
	params := make([][]byte, len(args))
	for i, a := range args {
		if a != nil {
			params[i] = []byte(fmt.Sprint(a))
		}
	}
	var msgs []byte
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Parse{Query: sql},
		&pgproto3.Bind{Parameters: params},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	} {
		msgs, _ = m.Encode(msgs)
	}
	res := &Result{}
	var qerr error
	var scan protocol.BackendScanner
	err := b.inst.Exec(context.Background(), msgs, func(p []byte) error {
		return scan.Feed(p, func(m []byte) error {
			switch protocol.KindOf(m) {
			case protocol.KindRowDescription:
				var rd pgproto3.RowDescription
				if rd.Decode(m[5:]) == nil {
					for _, f := range rd.Fields {
						res.Columns = append(res.Columns, string(f.Name))
					}
				}
			case protocol.KindDataRow:
				var d pgproto3.DataRow
				if d.Decode(m[5:]) == nil {
					row := make([]any, len(d.Values))
					for i, v := range d.Values {
						if v != nil {
							row[i] = string(v)
						}
					}
					res.Rows = append(res.Rows, row)
				}
			case protocol.KindCommandComplete:
				res.Tag, _ = protocol.CommandTag(m)
			case protocol.KindError:
				if qerr == nil {
					_, code, text, _ := protocol.ErrorFields(m)
					qerr = &QueryError{Code: code, Message: text}
				}
			}
			return nil
		})
	})
	if isBroken(err) {
		return nil, err
	}
	if qerr == nil {
		qerr = err
	}
	return res, qerr
}

// Snapshot freezes the instance into a bridge.Template once no client holds the backend
// and none waits for it: an open transaction is never captured. The backend session is
// first reset (ROLLBACK, DISCARD ALL), as a freshly booted one is, and its catalog caches
// warmed with the queries a clone's Open runs. Attached sessions stay attached and keep
// their subscriptions. checkpoint runs CHECKPOINT first, so that the template's data
// directory boots with little to recover.
func (b *Backend) Snapshot(ctx context.Context, checkpoint bool) (*bridge.Template, error) {
	t := &task{do: func(b *Backend, s *Session) (any, error) { return b.snapshot(s, checkpoint) }}
	v, err := b.schedule(ctx, t, true, false)
	tpl, _ := v.(*bridge.Template)
	return tpl, err
}

func (b *Backend) snapshot(s *Session, checkpoint bool) (*bridge.Template, error) {
	b.mu.Lock()
	var listening []string // DISCARD ALL unlistens the whole backend; attached clients keep theirs
	for ch := range b.channels {
		listening = append(listening, ch)
	}
	b.mu.Unlock()
	if err := b.switchTo(s); err != nil {
		return nil, err
	}
	status, err := b.sync()
	if err != nil {
		return nil, err
	}
	if status != 'I' {
		if _, err := b.query("ROLLBACK"); isBroken(err) {
			return nil, err
		}
	}
	if _, err := b.query("DISCARD ALL"); err != nil {
		return nil, err
	}
	b.cur = backendState{user: bootUser}
	if _, err := readParams(b); err != nil {
		return nil, err
	}
	if _, err := readRoles(b); err != nil {
		return nil, err
	}
	if _, err := readResets(b); err != nil {
		return nil, err
	}
	if checkpoint {
		if _, err := b.query("CHECKPOINT"); err != nil {
			return nil, err
		}
	}
	t, err := b.inst.Snapshot()
	if err != nil || len(listening) == 0 {
		return t, err
	}
	if _, err := b.query(listenSQL(listening)); isBroken(err) {
		return nil, err
	}
	return t, nil
}
