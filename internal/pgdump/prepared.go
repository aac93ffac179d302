package pgdump

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// pg_dump PREPAREs its catalog queries with SQL (PREPARE getColumnACLs(...) AS ...) and
// never deallocates them: on PostgreSQL its backend ends with it. On pglite-go every client
// shares one backend session, and SQL-level prepared statements stay in it while another
// client is attached, so a second pg_dump would fail with 42P05 "prepared statement
// "getcolumnacls" already exists". The outgoing stream is therefore watched for PREPARE
// statements and pg_dump's Terminate is held back; once pg_dump has finished, cleanUp
// deallocates what it prepared on the same connection, then terminates.

// outgoing splits libpq's byte stream into messages, which arrive in writes of any size.
type outgoing struct {
	pending  []byte
	started  bool            // the startup packet (untyped) went by
	prepared map[string]bool // statement names, lower case as PostgreSQL folds them
	sawTerm  bool
}

// sslRequest and gssRequest are the codes of untyped requests that precede the startup.
const sslRequest, gssRequest = 80877103, 80877104

// feed takes a write and returns the complete messages to forward, without a Terminate.
func (o *outgoing) feed(b []byte) []byte {
	o.pending = append(o.pending, b...)
	var out []byte
	for {
		if !o.started {
			if len(o.pending) < 8 {
				return out
			}
			n := int(binary.BigEndian.Uint32(o.pending))
			if n < 8 || len(o.pending) < n {
				return out
			}
			if code := binary.BigEndian.Uint32(o.pending[4:]); code != sslRequest && code != gssRequest {
				o.started = true
			}
			out = append(out, o.pending[:n]...)
			o.pending = o.pending[n:]
			continue
		}
		if len(o.pending) < 5 {
			return out
		}
		n := 1 + int(binary.BigEndian.Uint32(o.pending[1:]))
		if len(o.pending) < n {
			return out
		}
		msg := o.pending[:n]
		switch msg[0] {
		case 'X':
			o.sawTerm = true
		case 'Q':
			o.notePrepare(string(msg[5 : n-1]))
			out = append(out, msg...)
		default:
			out = append(out, msg...)
		}
		o.pending = o.pending[n:]
	}
}

// notePrepare records the name a PREPARE statement creates.
func (o *outgoing) notePrepare(sql string) {
	s := strings.TrimSpace(sql)
	if len(s) < 8 || !strings.EqualFold(s[:8], "PREPARE ") {
		return
	}
	name := strings.TrimSpace(s[8:])
	if i := strings.IndexAny(name, "( \t\n"); i >= 0 {
		name = name[:i]
	}
	if name == "" || strings.HasPrefix(name, `"`) {
		return // pg_dump's names are plain identifiers
	}
	if o.prepared == nil {
		o.prepared = map[string]bool{}
	}
	o.prepared[strings.ToLower(name)] = true
}

// cleanupTimeout bounds cleanUp: a server that does not answer gets the connection closed.
const cleanupTimeout = 10 * time.Second

// cleanUp ends pg_dump's session on conn: it rolls back whatever pg_dump left open,
// deallocates its prepared statements and terminates. The query ends with a marker row,
// so that answers still due to pg_dump (a COPY it stopped reading) are read past.
func (o *outgoing) cleanUp(conn net.Conn, in *incoming) error {
	if !o.started {
		return nil
	}
	_ = conn.SetDeadline(time.Now().Add(cleanupTimeout))
	defer conn.SetDeadline(time.Time{})
	var token [8]byte
	_, _ = rand.Read(token[:])
	marker := "pglite-go pg_dump cleanup " + hex.EncodeToString(token[:])
	// One query each, so that a failing DEALLOCATE (of a PREPARE that failed) does not
	// skip the others. They are written while the answers are read: the server may still
	// be writing a COPY pg_dump stopped reading, and a pipe buffers nothing.
	var buf []byte
	queries := []string{"ROLLBACK"}
	for name := range o.prepared {
		queries = append(queries, "DEALLOCATE "+protocol.QuoteIdent(name))
	}
	queries = append(queries, "SELECT "+protocol.QuoteLiteral(marker))
	for _, q := range queries {
		buf, _ = (&pgproto3.Query{String: q}).Encode(buf)
	}
	written := make(chan error, 1)
	go func() {
		_, err := conn.Write(buf)
		written <- err
	}()
	if err := in.skipRest(conn); err != nil {
		return err
	}
	fe := pgproto3.NewFrontend(conn, io.Discard)
	seen := false
	for {
		m, err := fe.Receive()
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
		case *pgproto3.DataRow:
			seen = seen || len(m.Values) == 1 && string(m.Values[0]) == marker
		case *pgproto3.ReadyForQuery:
			if seen {
				if err := <-written; err != nil {
					return err
				}
				term, _ := (&pgproto3.Terminate{}).Encode(nil)
				_, err := conn.Write(term)
				return err
			}
		}
	}
}
