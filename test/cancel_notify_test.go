package test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pglite-go/pglite/actors"
)

// TestCancel_runningQuery: a CancelRequest with the right key stops pg_sleep(30) with 57014
// within a second; a wrong key does nothing.
func TestCancel_runningQuery(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	other := connect(t, s.dsn(""))
	pid := c.PgConn().PID()
	// Wrong key: nothing happens.
	go func() {
		time.Sleep(200 * time.Millisecond)
		sendCancel(t, s.port, pid, []byte{1, 2, 3, 4})
	}()
	if got := scalar[string](t, c, "select pg_sleep(0.6)::text || 'done'"); got != "done" {
		t.Fatalf("wrong key cancelled: %q", got)
	}
	// Right key, sent by pgx when the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Exec(ctx, "select pg_sleep(30)")
	took := time.Since(start)
	var pgErr *pgconn.PgError
	if err == nil {
		t.Fatal("pg_sleep(30) was not cancelled")
	}
	if errors.As(err, &pgErr) && pgErr.Code != "57014" {
		t.Fatalf("want 57014, got %v", err)
	}
	if took > 1300*time.Millisecond {
		t.Fatalf("cancel took %v", took)
	}
	// The other client is unaffected and the backend is free.
	if got := scalar[int](t, other, "select 7"); got != 7 {
		t.Fatal(got)
	}
}

func sendCancel(t testing.TB, port int, pid uint32, key []byte) {
	conn, err := net.Dial("tcp", "127.0.0.1:"+itoa(port))
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	b := binary.BigEndian.AppendUint32(nil, uint32(12+len(key)-4))
	b = binary.BigEndian.AppendUint32(b, 80877102)
	b = binary.BigEndian.AppendUint32(b, pid)
	b = append(b, key...)
	conn.Write(b)
}

// TestCancel_statementTimeout: statement_timeout ends a long query with 57014.
func TestCancel_statementTimeout(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	mustExec(t, c, "set statement_timeout = '300ms'")
	start := time.Now()
	_, err := c.Exec(ctxT(t), "select pg_sleep(10)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("want 57014, got %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("statement_timeout took %v", took)
	}
	t.Logf("%s after %v", pgErr.Message, time.Since(start))
}

// TestNotify_routing: notifications reach exactly the clients listening on the channel,
// while they are idle.
func TestNotify_routing(t *testing.T) {
	s := startServer(t, nil)
	a, b, sender := connect(t, s.dsn("")), connect(t, s.dsn("")), connect(t, s.dsn(""))
	mustExec(t, a, "listen alpha")
	mustExec(t, b, "listen beta")
	mustExec(t, sender, "notify alpha, 'to a'")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	n, err := a.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("a got no notification while idle: %v", err)
	}
	if n.Channel != "alpha" || n.Payload != "to a" {
		t.Fatalf("a got %+v", n)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if n, err := b.WaitForNotification(ctx2); err == nil {
		t.Fatalf("b got a notification for another channel: %+v", n)
	}
	// The sender does not listen on alpha and must not get it either.
	ctx3, cancel3 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel3()
	if n, err := sender.WaitForNotification(ctx3); err == nil {
		t.Fatalf("sender got %+v", n)
	}
	// UNLISTEN by one client keeps the other's subscription.
	mustExec(t, b, "listen alpha")
	mustExec(t, b, "unlisten alpha")
	mustExec(t, sender, "select pg_notify('alpha', 'again')")
	ctx4, cancel4 := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel4()
	if n, err := a.WaitForNotification(ctx4); err != nil || n.Payload != "again" {
		t.Fatalf("a lost its subscription after b's UNLISTEN: %v %+v", err, n)
	}
}

// TestMaxConnections: clients past the limit get FATAL 53300; the others keep working.
func TestMaxConnections(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.MaxConnections = 3 })
	var conns []*pgx.Conn
	for i := 0; i < 3; i++ {
		conns = append(conns, connect(t, s.dsn("")))
	}
	for i := 0; i < 5; i++ {
		_, err := pgconn.Connect(ctxT(t), s.dsn(""))
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "53300" {
			t.Fatalf("connection past the limit: %v", err)
		}
	}
	for _, c := range conns {
		if got := scalar[int](t, c, "select 1"); got != 1 {
			t.Fatal(got)
		}
	}
	conns[0].Close(context.Background())
	waitFor(t, func() bool {
		c, err := pgconn.Connect(ctxT(t), s.dsn(""))
		if err != nil {
			return false
		}
		c.Close(context.Background())
		return true
	})
}

// TestIdleInTransactionTimeout: a session idle inside a transaction is ended with 25P03 and
// rolled back, and others proceed.
func TestIdleInTransactionTimeout(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.IdleInTransactionTimeout = 300 * time.Millisecond })
	idle, other := connect(t, s.dsn("")), connect(t, s.dsn(""))
	mustExec(t, other, "create table itx(x int)")
	mustExec(t, idle, "begin")
	mustExec(t, idle, "insert into itx values (1)")
	start := time.Now()
	if got := scalar[int64](t, other, "select count(*) from itx"); got != 0 {
		t.Fatalf("uncommitted row visible: %d", got)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Logf("other waited %v for the lease", took)
	}
	_, err := idle.Exec(ctxT(t), "select 1")
	if err == nil || !strings.Contains(err.Error(), "25P03") && !strings.Contains(err.Error(), "idle-in-transaction") && !idle.IsClosed() {
		t.Fatalf("idle session still alive: %v", err)
	}
}
