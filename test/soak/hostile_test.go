package soak

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"math/rand"
	"net"
	"time"
)

// A badInput is one kind of malformed client. login says whether it sends a proper
// startup first (and waits for ReadyForQuery), so that its bytes reach the session's
// reader rather than the handshake.
type badInput struct {
	login bool
	bytes []byte
}

func frontend(typ byte, length uint32, body string) []byte {
	b := binary.BigEndian.AppendUint32([]byte{typ}, length)
	return append(b, body...)
}

var badInputs = []badInput{
	{false, []byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")},
	{false, []byte{0xff, 0xff, 0xff, 0xf0, 0, 3, 0, 0}},       // negative startup length
	{false, []byte{0x7f, 0, 0, 0, 0, 3, 0, 0}},                // huge startup length
	{false, []byte{0, 0, 0, 40, 0, 3, 0, 0, 'u', 's'}},        // truncated startup
	{true, []byte("\x01\x02\x03\x04\x05\x06\x07\x08garbage")}, // garbage after login
	{true, frontend('p', 9, "pass\x00")},                      // password message after login
	{true, frontend('Q', 0x7fffff00, "")},                     // length over 1 GB
	{true, frontend('Q', 0xfffffffb, "")},                     // negative length
	{true, frontend('!', 4, "")},                              // unknown type
	{true, frontend('Q', 100, "select")},                      // half a message, then hang up
	{true, frontend('P', 6, "ab")},                            // malformed Parse
	{true, frontend('B', 10, "no-nul")},                       // malformed Bind
}

func startup() []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint32(b, 3<<16)
	for _, s := range []string{"user", "postgres", "database", "postgres", "application_name", "soak-bad-input"} {
		b = append(append(b, s...), 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// badInputClient sends malformed input on new connections, one after the other, until
// ctx ends.
func badInputClient(ctx context.Context, d *daemon, st *stats, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < 100_000 && ctx.Err() == nil; i++ {
		if sendBad(d.addr(), badInputs[rng.Intn(len(badInputs))]) {
			st.badInputs.Add(1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(50+rng.Intn(150)) * time.Millisecond):
		}
	}
}

// sendBad delivers one bad input and reads the answer until the server hangs up (or a
// short while); false means it could not be delivered (the daemon is down).
func sendBad(addr string, in badInput) bool {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	r := bufio.NewReader(conn)
	if in.login {
		if _, err := conn.Write(startup()); err != nil || !readUntilReady(r) {
			return false
		}
	}
	if _, err := conn.Write(in.bytes); err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20))
	return true
}

// readUntilReady reads backend messages up to the first ReadyForQuery.
func readUntilReady(r *bufio.Reader) bool {
	var hdr [5]byte
	for i := 0; i < 100; i++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return false
		}
		n := int64(binary.BigEndian.Uint32(hdr[1:])) - 4
		if n < 0 || n > 1<<20 {
			return false
		}
		if _, err := io.CopyN(io.Discard, r, n); err != nil {
			return false
		}
		if hdr[0] == 'Z' {
			return true
		}
	}
	return false
}

// memoryHog runs a query that needs a few hundred MB now and then, until ctx ends.
func memoryHog(ctx context.Context, d *daemon, st *stats, every time.Duration) {
	for i := 0; i < 10_000 && ctx.Err() == nil; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		err := hogOnce(ctx, d, st)
		switch {
		case err != nil && ctx.Err() != nil:
			st.noteErr("memory-hungry query: soak ending")
		case err != nil:
			st.memoryErrs.Add(1)
			st.noteErr("memory-hungry query: " + errKind(err))
		}
	}
}

// hogOnce runs the memory-hungry query once, on a connection of its own.
func hogOnce(ctx context.Context, d *daemon, st *stats) error {
	c := connectRetry(ctx, d, st)
	if c == nil {
		return ctx.Err()
	}
	defer c.Close(context.Background())
	qctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st.memoryQueries.Add(1)
	var n int64
	return c.QueryRow(qctx, "select length(repeat('x', 200*1024*1024))").Scan(&n)
}
