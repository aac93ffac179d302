// Package bench measures what the wire server adds on top of the embedded instance.
//
// Benchmark_execSelect1Direct runs a simple-query "SELECT 1" straight through
// bridge.Instance.Exec; Benchmark_serverSelect1 sends the same bytes over loopback TCP to the
// actor tree and reads until ReadyForQuery. The difference of their ns/op is the latency the
// server adds per simple query (test/bench/latency.sh prints it). Benchmark_serverSelect1Pgx
// does the same round trip through pgx, for reference. There are no timing assertions here.
package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/bridge"
)

// select1 is the frontend Query message for "SELECT 1".
func select1(b *testing.B) []byte {
	msg, err := (&pgproto3.Query{String: "SELECT 1"}).Encode(nil)
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

// openDirect opens an in-memory instance for the direct (no server) benchmarks.
func openDirect(b *testing.B) *bridge.Instance {
	skipWithoutAssets(b)
	inst, err := bridge.Open(context.Background(), bridge.Config{Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = inst.Close() })
	return inst
}

func skipWithoutAssets(b *testing.B) {
	if _, err := bridge.LoadAssets(""); err != nil {
		b.Skipf("assets: %v", err)
	}
}

// replyChecker follows a backend byte stream across chunk boundaries and records whether a
// DataRow and a ReadyForQuery went by, without keeping the bytes.
type replyChecker struct {
	hdr     [5]byte // header of the message being skipped
	hdrN    int
	skip    int // body bytes of the current message still to skip
	sawRow  bool
	sawZ    bool
	sawErr  bool
	lastTyp byte
}

func (r *replyChecker) reset() { *r = replyChecker{} }

func (r *replyChecker) feed(p []byte) {
	for len(p) > 0 {
		if r.skip > 0 {
			n := min(r.skip, len(p))
			r.skip -= n
			p = p[n:]
			continue
		}
		n := copy(r.hdr[r.hdrN:], p)
		r.hdrN += n
		p = p[n:]
		if r.hdrN < 5 {
			return
		}
		r.hdrN = 0
		r.lastTyp = r.hdr[0]
		switch r.hdr[0] {
		case 'D':
			r.sawRow = true
		case 'Z':
			r.sawZ = true
		case 'E':
			r.sawErr = true
		}
		r.skip = int(binary.BigEndian.Uint32(r.hdr[1:])) - 4
	}
}

func (r *replyChecker) check(b *testing.B) {
	if !r.sawRow || !r.sawZ || r.sawErr || r.lastTyp != 'Z' || r.skip != 0 || r.hdrN != 0 {
		b.Fatalf("unexpected reply to SELECT 1: row=%v ready=%v error=%v last=%q", r.sawRow, r.sawZ, r.sawErr, r.lastTyp)
	}
}

// Benchmark_execSelect1Direct is the floor: one Exec of a simple Query on an in-memory
// instance, with no socket, actor or framing in between.
func Benchmark_execSelect1Direct(b *testing.B) {
	ctx := context.Background()
	inst := openDirect(b)
	msg := select1(b)
	var rc replyChecker
	out := func(p []byte) error { rc.feed(p); return nil }
	// Warm up: the first queries load catalog caches.
	for range 100 {
		rc.reset()
		if err := inst.Exec(ctx, msg, out); err != nil {
			b.Fatal(err)
		}
		rc.check(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rc.reset()
		if err := inst.Exec(ctx, msg, out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rc.check(b)
}

// startServer runs the actor tree on 127.0.0.1 with a free port and an in-memory database.
func startServer(b *testing.B) string {
	skipWithoutAssets(b)
	log := zerolog.Nop()
	system := actors.NewSystem(log)
	h, err := actors.Start(context.Background(), system, actors.Config{ListenAddr: "127.0.0.1", Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = h.Stop(ctx)
		system.Shutdown()
	})
	for _, a := range h.Addrs() {
		if t, ok := a.(*net.TCPAddr); ok {
			return t.String()
		}
	}
	b.Fatal("no TCP listener")
	return ""
}

// rawClient is a minimal protocol 3.0 client: startup, then whole messages read by hand.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	body []byte
}

func dialRaw(b *testing.B, addr string) *rawClient {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	c := &rawClient{conn: conn, r: bufio.NewReaderSize(conn, 64<<10)}
	startup, err := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "postgres", "database": "postgres"}}).Encode(nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(startup); err != nil {
		b.Fatal(err)
	}
	if err := c.untilReady(nil); err != nil {
		b.Fatalf("startup: %v", err)
	}
	_ = conn.SetDeadline(time.Time{})
	return c
}

// untilReady reads backend messages up to and including ReadyForQuery, feeding each to rc.
func (c *rawClient) untilReady(rc *replyChecker) error {
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
		if n < 0 {
			return fmt.Errorf("bad message length %d", n+4)
		}
		if cap(c.body) < n {
			c.body = make([]byte, n)
		}
		body := c.body[:n]
		if _, err := io.ReadFull(c.r, body); err != nil {
			return err
		}
		if rc != nil {
			rc.feed(hdr[:])
			rc.feed(body)
		}
		switch hdr[0] {
		case 'E':
			if rc == nil {
				return fmt.Errorf("error response: %q", body)
			}
		case 'Z':
			return nil
		}
	}
}

// Benchmark_serverSelect1 sends the same Query bytes as Benchmark_execSelect1Direct over one
// loopback TCP connection to the server and reads until ReadyForQuery.
func Benchmark_serverSelect1(b *testing.B) {
	addr := startServer(b)
	c := dialRaw(b, addr)
	msg := select1(b)
	var rc replyChecker
	round := func() {
		rc.reset()
		if _, err := c.conn.Write(msg); err != nil {
			b.Fatal(err)
		}
		if err := c.untilReady(&rc); err != nil {
			b.Fatal(err)
		}
	}
	for range 100 {
		round()
		rc.check(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		round()
	}
	b.StopTimer()
	rc.check(b)
}

// Benchmark_serverSelect1Pgx is the same round trip through pgx's simple protocol, which adds
// the client library's own cost.
func Benchmark_serverSelect1Pgx(b *testing.B) {
	addr := startServer(b)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", addr))
	if err != nil {
		b.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	var v int
	for range 100 {
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&v); err != nil || v != 1 {
			b.Fatalf("SELECT 1: %v %d", err, v)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmark_execAccountSelectDirect is the floor of a pgbench -S transaction: the same
// primary-key lookup on a 100,000-row pgbench_accounts, straight through Exec.
func Benchmark_execAccountSelectDirect(b *testing.B) {
	ctx := context.Background()
	inst := openDirect(b)
	var rc replyChecker
	out := func(p []byte) error { rc.feed(p); return nil }
	for _, sql := range []string{
		"create table pgbench_accounts(aid int primary key, bid int, abalance int, filler char(84))",
		"insert into pgbench_accounts select i, 1, 0, '' from generate_series(1, 100000) i",
		"vacuum analyze pgbench_accounts",
	} {
		msg, _ := (&pgproto3.Query{String: sql}).Encode(nil)
		var setup replyChecker
		if err := inst.Exec(ctx, msg, func(p []byte) error { setup.feed(p); return nil }); err != nil || setup.sawErr {
			b.Fatalf("%s: %v (error response: %v)", sql, err, setup.sawErr)
		}
	}
	msgs := make([][]byte, 1024)
	for i := range msgs {
		msgs[i], _ = (&pgproto3.Query{String: fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", 1+(i*7919)%100000)}).Encode(nil)
	}
	for i := range 200 {
		rc.reset()
		if err := inst.Exec(ctx, msgs[i%len(msgs)], out); err != nil {
			b.Fatal(err)
		}
		rc.check(b)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		rc.reset()
		if err := inst.Exec(ctx, msgs[i%len(msgs)], out); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	rc.check(b)
}
