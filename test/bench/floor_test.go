package bench

import (
	"context"
	"io"
	"net"
	"testing"
)

// The floor of any loopback server on this machine, to read Benchmark_serverSelect1 against:
// Benchmark_loopbackEcho is one round trip of a 20-byte message to a Go echo server (the
// network alone), and Benchmark_execSelect1AfterEcho is that round trip followed by a direct
// Exec of SELECT 1, in one goroutine: what a server that added nothing but the socket would
// cost, including the CPU caches the network path evicts between two queries.

// echoConn starts a loopback echo server and returns a connection to it.
func echoConn(b *testing.B) net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

func echoRound(b *testing.B, c net.Conn, msg []byte) {
	if _, err := c.Write(msg); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, msg); err != nil {
		b.Fatal(err)
	}
}

func Benchmark_loopbackEcho(b *testing.B) {
	c := echoConn(b)
	msg := make([]byte, 20)
	for b.Loop() {
		echoRound(b, c, msg)
	}
}

func Benchmark_execSelect1AfterEcho(b *testing.B) {
	ctx := context.Background()
	inst := openDirect(b)
	c := echoConn(b)
	msg, q := make([]byte, 20), select1(b)
	var rc replyChecker
	out := func(p []byte) error { rc.feed(p); return nil }
	for range 100 {
		if err := inst.Exec(ctx, q, out); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		echoRound(b, c, msg)
		rc.reset()
		if err := inst.Exec(ctx, q, out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rc.check(b)
}
