package test

import (
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/actors"
)

// TestSlowReader: a client that stops reading a large result while holding the backend is
// disconnected after ClientReadTimeout, and the others go on.
func TestSlowReader(t *testing.T) {
	s := startServer(t, func(c *actors.Config) { c.ClientReadTimeout = 500 * time.Millisecond })
	other := connect(t, s.dsn(""))
	raw, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	connectRaw(t, raw)
	q, _ := (&pgproto3.Query{String: "select repeat('x', 1000) from generate_series(1, 200000)"}).Encode(nil)
	raw.Write(q) // and never read the ~200 MB answer
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if got := scalar[int](t, other, "select 11"); got != 11 {
		t.Fatal(got)
	}
	t.Logf("the other client was served after %v", time.Since(start))
}
