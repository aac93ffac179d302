package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// The Backend's own statements. They run only inside a job, between client batches or in
// a client's turn at an idle moment, never inside a client's transaction.

// query runs internal SQL and returns its rows as text, or the first error.
func (b *Backend) query(sql string) ([][]string, error) {
	var rows [][]string
	var qerr error
	var scan protocol.BackendScanner
	err := b.inst.Exec(context.Background(), mustEncode(&pgproto3.Query{String: sql}), func(p []byte) error {
		return scan.Feed(p, func(m []byte) error {
			switch protocol.KindOf(m) {
			case protocol.KindDataRow:
				rows = append(rows, dataRow(m))
			case protocol.KindError:
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

// discard runs internal messages and drops their output.
func (b *Backend) discard(data []byte) error {
	err := b.inst.Exec(context.Background(), data, func([]byte) error { return nil })
	if isBroken(err) {
		return err
	}
	return nil
}

// sync ends any extended-protocol pipeline and reports the transaction status.
func (b *Backend) sync() (byte, error) {
	var status byte = 'I'
	var scan protocol.BackendScanner
	err := b.inst.Exec(context.Background(), mustEncode(&pgproto3.Sync{}), func(p []byte) error {
		return scan.Feed(p, func(m []byte) error {
			if st, ok := protocol.ReadyStatus(m); ok {
				status = st
			}
			return nil
		})
	})
	if isBroken(err) {
		return 0, err
	}
	return status, nil
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

func isBroken(err error) bool { return errors.Is(err, bridge.ErrBroken) }
