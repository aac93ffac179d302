package actors

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// cleanup releases what a departed client left on the backend: an unfinished pipeline or
// transaction, its prepared statements, and the subscriptions no one else needs. When no
// other client is attached it also ends everything else a PostgreSQL backend ends with its
// connection, with DISCARD ALL: temporary tables, SQL-level prepared statements, cursors
// WITH HOLD, advisory locks; the next connection then finds none of them. (With others
// attached those belong to the shared session, see the README's known limits.)
func (w *worker) cleanup(s *session, prefix string, drop []string, alone bool, temp map[uint32]tempObject) error {
	status, err := w.sync()
	if err != nil {
		return err
	}
	if status != 'I' {
		if _, err := w.query("ROLLBACK"); errors.Is(err, bridge.ErrBroken) {
			return err
		}
	}
	if alone {
		if w.cur.owner != s.id {
			if err := w.switchTo(s); err != nil {
				return err
			}
		}
		if _, err := w.query("DISCARD ALL"); errors.Is(err, bridge.ErrBroken) {
			return err
		}
		// RESET ALL and RESET SESSION AUTHORIZATION went to this client's reset values.
		w.cur = backendSession{user: s.user, startup: s.startup}
		return nil
	}
	if err := w.dropTemp(temp); err != nil {
		return err
	}
	rows, err := w.query("select name from pg_prepared_statements where starts_with(name, " + protocol.QuoteLiteral(prefix) + ")")
	if errors.Is(err, bridge.ErrBroken) {
		return err
	}
	var msgs []byte
	for _, r := range rows {
		msgs = append(msgs, protocol.CloseStatement(r[0])...)
	}
	for _, ch := range drop {
		msgs = append(msgs, mustEncode(&pgproto3.Query{String: "UNLISTEN " + protocol.QuoteIdent(ch)})...)
	}
	if len(msgs) > 0 {
		msgs = append(msgs, mustEncode(&pgproto3.Sync{})...)
		if err := w.discard(msgs); err != nil {
			return err
		}
	}
	if w.cur.owner == s.id {
		w.cur.owner, w.cur.settingsPending = 0, false
	}
	return nil
}

// sync ends any extended-protocol pipeline and reports the transaction status.
func (w *worker) sync() (byte, error) {
	var status byte = 'I'
	var scan protocol.BackendScanner
	err := w.inst.Exec(context.Background(), mustEncode(&pgproto3.Sync{}), func(b []byte) error {
		return scan.Feed(b, func(m []byte) error {
			if st, ok := protocol.ReadyStatus(m); ok {
				status = st
			}
			return nil
		})
	})
	if errors.Is(err, bridge.ErrBroken) {
		return 0, err
	}
	return status, nil
}

// apiQuery runs one parameterised statement for an actor that asked without a socket.
func (w *worker) apiQuery(q *QueryRequest) (*QueryReply, error) {
	params := make([][]byte, len(q.Args))
	for i, a := range q.Args {
		if a != nil {
			params[i] = []byte(fmt.Sprint(a))
		}
	}
	var msgs []byte
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Parse{Query: q.SQL},
		&pgproto3.Bind{Parameters: params},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	} {
		msgs, _ = m.Encode(msgs)
	}
	reply := &QueryReply{}
	var scan protocol.BackendScanner
	err := w.inst.Exec(context.Background(), msgs, func(b []byte) error {
		return scan.Feed(b, func(m []byte) error {
			switch m[0] {
			case 'T':
				var rd pgproto3.RowDescription
				if rd.Decode(m[5:]) == nil {
					for _, f := range rd.Fields {
						reply.Columns = append(reply.Columns, string(f.Name))
					}
				}
			case 'D':
				var d pgproto3.DataRow
				if d.Decode(m[5:]) == nil {
					row := make([]any, len(d.Values))
					for i, v := range d.Values {
						if v != nil {
							row[i] = string(v)
						}
					}
					reply.Rows = append(reply.Rows, row)
				}
			case 'C':
				reply.Tag, _ = protocol.CommandTag(m)
			case 'E':
				if reply.Err == nil {
					_, code, text, _ := protocol.ErrorFields(m)
					reply.Err = &QueryError{Code: code, Message: text}
				}
			}
			return nil
		})
	})
	if errors.Is(err, bridge.ErrBroken) {
		return nil, err
	}
	if err != nil && reply.Err == nil {
		reply.Err = err
	}
	return reply, nil
}

// QueryError is a PostgreSQL error returned to a QueryRequest.
type QueryError struct {
	Code, Message string
}

func (e *QueryError) Error() string { return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code) }
