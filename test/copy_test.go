package test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A COPY FROM STDIN usually runs on its client's own reader goroutine, which then reads the
// COPY data itself; when the COPY had to wait for another client's transaction, it runs on
// another goroutine and its data is relayed through the Bridge. Both ways must load every
// row, and a client that vanishes in the middle must leave nothing behind.

// TestCopy_waitsForLease: a COPY queued behind another client's open transaction loads all
// its rows once that transaction commits.
func TestCopy_waitsForLease(t *testing.T) {
	s := startServer(t, nil)
	a := connect(t, s.dsn(""))
	b := connect(t, s.dsn(""))
	mustExec(t, a, "create table cw(id int, v text)")
	mustExec(t, a, "begin")
	mustExec(t, a, "insert into cw values (0, 'from a')")

	var in strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&in, "%d\tfrom b %d\n", i, i)
	}
	done := make(chan error, 1)
	go func() {
		tag, err := b.PgConn().CopyFrom(ctxT(t), strings.NewReader(in.String()), "copy cw from stdin")
		if err == nil && tag.RowsAffected() != 5000 {
			err = fmt.Errorf("copied %d rows", tag.RowsAffected())
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("COPY finished while another client held the backend: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	mustExec(t, a, "commit")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, a, "select count(*) from cw"); n != 5001 {
		t.Fatalf("rows: %d, want 5001", n)
	}
	if n := scalar[int64](t, b, "select count(*) from cw where v like 'from b %'"); n != 5000 {
		t.Fatalf("rows from b: %d", n)
	}
}

// TestCopy_clientVanishes: a client that disconnects in the middle of COPY FROM STDIN, on
// its own goroutine or queued behind another client, loads nothing and blocks no one.
func TestCopy_clientVanishes(t *testing.T) {
	s := startServer(t, nil)
	a := connect(t, s.dsn(""))
	mustExec(t, a, "create table cv(id int)")
	copyThenVanish := func(waitForCopyIn bool) {
		raw, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
		if err != nil {
			t.Fatal(err)
		}
		connectRaw(t, raw)
		q, _ := (&pgproto3.Query{String: "copy cv from stdin"}).Encode(nil)
		if _, err := raw.Write(q); err != nil {
			t.Fatal(err)
		}
		if waitForCopyIn {
			fe := pgproto3.NewFrontend(raw, raw)
			raw.SetReadDeadline(time.Now().Add(10 * time.Second))
			m, err := fe.Receive()
			if _, ok := m.(*pgproto3.CopyInResponse); !ok {
				t.Fatalf("want CopyInResponse, got %T %v", m, err)
			}
		}
		for i := 0; i < 100; i++ {
			d, _ := (&pgproto3.CopyData{Data: []byte(itoa(i) + "\n")}).Encode(nil)
			raw.Write(d)
		}
		raw.Close() // no CopyDone
	}

	copyThenVanish(true)
	waitFor(t, func() bool { return scalar[int64](t, a, "select count(*) from cv") == 0 })

	// The same while a's transaction holds the backend: the COPY starts after it, on
	// another goroutine, with its client already gone.
	mustExec(t, a, "begin")
	mustExec(t, a, "insert into cv values (-1)")
	copyThenVanish(false)
	time.Sleep(200 * time.Millisecond)
	mustExec(t, a, "commit")

	c := connect(t, s.dsn(""))
	mustExec(t, c, "insert into cv values (-2)")
	if got := scalar[string](t, c, "select string_agg(id::text, ',' order by id) from cv"); got != "-2,-1" {
		t.Fatalf("rows after the vanished COPYs: %s, want -2,-1", got)
	}
}
