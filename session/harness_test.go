package session

import (
	"context"
	"io"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/protocol"
)

// The tests drive a Backend on a real PostgreSQL instance (a clone of one booted template,
// so each test starts from a fresh database in milliseconds) with scripted clients:
// pgproto3 frontends, or pgx, on one end of a net.Pipe whose other end a small server
// serves with the package's own Session.Serve, as the actors do.

var (
	templateOnce sync.Once
	template     *bridge.Template
	templateErr  error
)

func sharedTemplate(t *testing.T) *bridge.Template {
	templateOnce.Do(func() {
		inst, err := bridge.Open(context.Background(), bridge.Config{})
		if err != nil {
			templateErr = err
			return
		}
		template, templateErr = inst.Snapshot()
	})
	if templateErr != nil {
		t.Fatalf("template: %v", templateErr)
	}
	return template
}

// testBackend is a Backend under test, with what its hooks reported.
type testBackend struct {
	*Backend
	broken atomic.Value // error
	idle   atomic.Int64
}

func newBackend(t *testing.T, tune func(*Config)) *testBackend {
	t.Helper()
	inst, err := bridge.OpenTemplate(context.Background(), sharedTemplate(t), zerolog.Nop())
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	tb := &testBackend{}
	cfg := Config{Database: "postgres", Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Broken: func(err error) { tb.broken.Store(err) }, Idle: func() { tb.idle.Add(1) }}
	if tune != nil {
		tune(&cfg)
	}
	be, err := Open(inst, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	tb.Backend = be
	t.Cleanup(func() { _ = be.Close(false) })
	return tb
}

// pipeClient is the server end of a scripted client's pipe: the Client a Session answers.
// Writes go through one queue to a writer goroutine, so that Notify and Terminate never
// block while results keep their order.
type pipeClient struct {
	conn      net.Conn
	queue     chan pipeWrite
	gone      chan struct{}
	goneOnce  sync.Once
	terminate atomic.Value // []byte: the FATAL it was terminated with
	sess      *Session
	wakes     atomic.Int32 // WakeReader calls
}

type pipeWrite struct {
	data  []byte
	done  chan error // nil: nobody waits
	final bool
}

func newPipeClient(conn net.Conn) *pipeClient {
	c := &pipeClient{conn: conn, queue: make(chan pipeWrite, 1024), gone: make(chan struct{})}
	go func() {
		for w := range c.queue {
			_, err := conn.Write(w.data)
			if w.done != nil {
				w.done <- err
			}
			if err != nil || w.final {
				c.close()
				return
			}
		}
	}()
	return c
}

func (c *pipeClient) close() {
	c.goneOnce.Do(func() {
		close(c.gone)
		c.conn.Close()
	})
}

func (c *pipeClient) Write(p []byte) (int, error) {
	done := make(chan error, 1)
	select {
	case c.queue <- pipeWrite{data: append([]byte(nil), p...), done: done}:
	case <-c.gone:
		return 0, net.ErrClosed
	}
	select {
	case err := <-done:
		if err != nil {
			return 0, err
		}
		return len(p), nil
	case <-c.gone:
		return 0, net.ErrClosed
	}
}

func (c *pipeClient) Notify(msg []byte) {
	select {
	case c.queue <- pipeWrite{data: append([]byte(nil), msg...)}:
	case <-c.gone:
	}
}

func (c *pipeClient) Terminate(fatal []byte) {
	c.terminate.Store(fatal)
	if c.sess != nil {
		c.sess.Stop()
	}
	select {
	case c.queue <- pipeWrite{data: fatal, final: true}:
	case <-c.gone:
	}
}

func (c *pipeClient) Gone() <-chan struct{} { return c.gone }

func (c *pipeClient) WakeReader() { c.wakes.Add(1) }

var nextConnID atomic.Uint64

// serveConn serves one client connection as the actors do: the startup packet, Attach,
// the greeting, then Session.Serve until the client leaves, then Detach.
func serveConn(b *Backend, conn net.Conn) {
	st, err := protocol.ReadStartup(conn, 0)
	if err != nil {
		conn.Close()
		return
	}
	if st.Kind == protocol.KindCancel {
		b.Cancel(st.CancelPID, st.CancelKey)
		conn.Close()
		return
	}
	id := nextConnID.Add(1)
	c := newPipeClient(conn)
	startup := map[string]string{}
	for k, v := range st.Params {
		if k != "user" && k != "database" {
			startup[k] = v
		}
	}
	key := []byte{byte(id), 1, 2, 3}
	db := st.Params["database"]
	if db == "" {
		db = st.Params["user"]
	}
	res, err := b.Attach(Attach{ID: id, User: st.Params["user"], Database: db, Startup: startup,
		CancelPID: uint32(id), CancelKey: key, Client: c})
	if err != nil || res.Fatal != nil {
		if res.Fatal != nil {
			c.Terminate(res.Fatal)
		} else {
			c.close()
		}
		return
	}
	c.sess = res.Session
	var greet []byte
	greet, _ = (&pgproto3.AuthenticationOk{}).Encode(greet)
	for _, p := range res.Params {
		greet, _ = (&pgproto3.ParameterStatus{Name: p[0], Value: p[1]}).Encode(greet)
	}
	greet, _ = (&pgproto3.BackendKeyData{ProcessID: uint32(id), SecretKey: key}).Encode(greet)
	greet, _ = (&pgproto3.ReadyForQuery{TxStatus: 'I'}).Encode(greet)
	_, _ = c.Write(greet)
	_ = res.Session.Serve(protocol.NewFramer(conn))
	c.close()
	res.Session.Detach()
}

// dial opens a client connection to b.
func dial(b *Backend) net.Conn {
	client, server := net.Pipe()
	go serveConn(b, server)
	return client
}

// connectPgx connects pgx to b as user, with extra startup parameters.
func connectPgx(t *testing.T, b *Backend, user string, params map[string]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://" + user + "@pipe/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) { return dial(b), nil }
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// scripted is a raw protocol client: a pgproto3 frontend on a pipe, after the greeting.
type scripted struct {
	t    *testing.T
	conn net.Conn
	fe   *pgproto3.Frontend
	pid  uint32
	key  []byte
}

func connectRaw(t *testing.T, b *Backend, user string, params map[string]string) *scripted {
	t.Helper()
	conn := dial(b)
	p := map[string]string{"user": user, "database": "postgres"}
	for k, v := range params {
		p[k] = v
	}
	if _, err := conn.Write(protocol.EncodeStartup(p, 0)); err != nil {
		t.Fatal(err)
	}
	c := &scripted{t: t, conn: conn, fe: pgproto3.NewFrontend(conn, conn)}
	t.Cleanup(func() { conn.Close() })
	for {
		m := c.receive()
		switch m := m.(type) {
		case *pgproto3.BackendKeyData:
			c.pid, c.key = m.ProcessID, m.SecretKey
		case *pgproto3.ErrorResponse:
			t.Fatalf("connect: %s %s", m.Code, m.Message)
		case *pgproto3.ReadyForQuery:
			return c
		}
	}
}

func (c *scripted) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *scripted) receive() pgproto3.BackendMessage {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	m, err := c.fe.Receive()
	if err != nil {
		c.t.Fatalf("receive: %v", err)
	}
	return m
}

// until collects messages up to and including the first one of type T.
func until[T pgproto3.BackendMessage](c *scripted) []pgproto3.BackendMessage {
	c.t.Helper()
	var out []pgproto3.BackendMessage
	for {
		m := c.receive()
		out = append(out, copyMessage(m))
		if _, ok := m.(T); ok {
			return out
		}
	}
}

// copyMessage keeps a received message past the frontend's next Receive, which reuses it.
func copyMessage(m pgproto3.BackendMessage) pgproto3.BackendMessage {
	raw, err := m.Encode(nil)
	if err != nil {
		return m
	}
	dup := reflect.New(reflect.TypeOf(m).Elem()).Interface().(pgproto3.BackendMessage)
	if dec, ok := dup.(interface{ Decode([]byte) error }); ok && dec.Decode(raw[5:]) == nil {
		return dup
	}
	return m
}

// simple runs one simple query and returns its rows as text, or the error's SQLSTATE and
// message.
func (c *scripted) simple(sql string) (rows [][]string, code string) {
	c.t.Helper()
	c.send(&pgproto3.Query{String: sql})
	for _, m := range until[*pgproto3.ReadyForQuery](c) {
		switch m := m.(type) {
		case *pgproto3.DataRow:
			row := make([]string, len(m.Values))
			for i, v := range m.Values {
				row[i] = string(v)
			}
			rows = append(rows, row)
		case *pgproto3.ErrorResponse:
			if code == "" {
				code = m.Code + " " + m.Message
			}
		}
	}
	return rows, code
}

// one runs a query that must succeed with one value.
func (c *scripted) one(sql string) string {
	c.t.Helper()
	rows, code := c.simple(sql)
	if code != "" {
		c.t.Fatalf("%s: %s", sql, code)
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		c.t.Fatalf("%s: rows %v", sql, rows)
	}
	return rows[0][0]
}

// nopConn is a connection whose writes are read and dropped.
func nopConn() net.Conn {
	a, b := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	return a
}
