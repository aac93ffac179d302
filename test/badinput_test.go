package test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pglite-go/pglite/actors"
)

// TestBadInput: every kind of malformed input hurts only its own connection, which gets a
// clear error where the protocol allows; the server and committed data are unaffected.
func TestBadInput(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.MaxConnections = 20 })
	good := connect(t, s.dsn(""))
	mustExec(t, good, "create table keep(x int); insert into keep values (1), (2), (3)")
	// A flood of connections past the limit: each one is served or told 53300.
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			outcome := "ok"
			c, err := pgconn.Connect(ctx, s.dsn(""))
			if err == nil {
				_, err = c.Exec(ctx, "select pg_sleep(0.05)").ReadAll()
				c.Close(ctx)
			}
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				outcome = pgErr.Code
			} else if err != nil {
				outcome = err.Error()
			}
			mu.Lock()
			outcomes[outcome]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcomes["ok"]+outcomes["53300"] != 60 || outcomes["53300"] == 0 {
		t.Fatalf("flood outcomes: %v", outcomes)
	}
	t.Logf("flood outcomes: %v", outcomes)
	mustExec(t, good, "begin; insert into keep values (4)")

	dial := func() net.Conn {
		c, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	msg := func(typ byte, length int32, body []byte) []byte {
		b := []byte{typ}
		b = binary.BigEndian.AppendUint32(b, uint32(length))
		return append(b, body...)
	}
	cases := []struct {
		name      string
		startup   bool // do a normal startup first
		send      []byte
		wantError string // SQLSTATE expected in the reply, if any
	}{
		{"garbage before startup", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "08P01"},
		{"negative startup length", false, []byte{0xff, 0xff, 0xff, 0xf0, 0, 3, 0, 0}, "08P01"},
		{"huge startup length", false, []byte{0x7f, 0, 0, 0, 0, 3, 0, 0}, "08P01"},
		{"truncated startup", false, []byte{0, 0, 0, 40, 0, 3, 0, 0, 'u', 's'}, ""},
		{"garbage after startup", true, []byte("\x01\x02\x03\x04\x05\x06\x07\x08garbage"), "08P01"},
		{"length over 1GB", true, msg('Q', 0x7fffff00, nil), "08P01"},
		{"negative length", true, msg('Q', -5, nil), "08P01"},
		{"unknown message type", true, msg('!', 4, nil), "08P01"},
		{"password message after login", true, msg('p', 9, []byte("pass\x00")), "invalid frontend message type 112"},
		{"half a message", true, msg('Q', 100, []byte("select")), ""},
		{"malformed parse", true, msg('P', 6, []byte{'a', 'b'}), "08P01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			defer c.Close()
			if tc.startup {
				connectRaw(t, c)
			}
			c.Write(tc.send)
			if tc.wantError == "" {
				c.Close()
			} else {
				got := readAll(c)
				if !bytes.Contains(got, []byte(tc.wantError)) {
					t.Fatalf("reply %q lacks %s", got, tc.wantError)
				}
			}
		})
	}
	// The good client's transaction and the committed data are intact.
	mustExec(t, good, "commit")
	if n := scalar[int64](t, good, "select count(*) from keep"); n != 4 {
		t.Fatalf("rows: %d", n)
	}
	fresh := connect(t, s.dsn(""))
	if n := scalar[int64](t, fresh, "select sum(x) from keep"); n != 10 {
		t.Fatalf("sum: %d", n)
	}
}

// TestBadInput_copyProtocol: a message that is not allowed inside COPY FROM STDIN ends only
// the sender's connection, with PostgreSQL's FATAL; the COPY rolls back, and the other
// session and the instance go on.
func TestBadInput_copyProtocol(t *testing.T) {
	s := startServer(t, nil)
	good := connect(t, s.dsn(""))
	mustExec(t, good, "create table copied(x int)")
	msg := func(typ byte, body string) []byte {
		b := []byte{typ}
		b = binary.BigEndian.AppendUint32(b, uint32(len(body)+4))
		return append(b, body...)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	connectRaw(t, c)
	c.Write(msg('Q', "copy copied from stdin\x00"))
	time.Sleep(200 * time.Millisecond) // the COPY is waiting for data now
	c.Write(append(append(msg('d', "1\n"), msg('Q', "select 1\x00")...), msg('c', "")...))
	got := readAll(c)
	if !bytes.Contains(got, []byte("unexpected message type 0x51 during COPY from stdin")) || !bytes.Contains(got, []byte("08P01")) {
		t.Fatalf("reply %q", got)
	}
	if n := scalar[int64](t, good, "select count(*) from copied"); n != 0 {
		t.Fatalf("rows from the broken COPY: %d", n)
	}
	if r := s.h.Metrics().Restarts(); r != 0 {
		t.Fatalf("the instance restarted %d times", r)
	}
}
