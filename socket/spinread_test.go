//go:build unix

package socket

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pglite-go/pglite/internal/testnet"
)

// TestSpinReads: data that arrives while a reader polls is read without sleeping, data that
// arrives later after a sleep, with polling off as well; the end of the stream is io.EOF and
// a read deadline still fires.
func TestSpinReads(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("polling is off on a single CPU")
	}
	for _, worth := range []bool{true, false} {
		server, client := testnet.TCPPair(t)
		// A window long enough that a write 1 ms later certainly lands inside it.
		conn := SpinReads(server, 2*time.Second, func() bool { return worth })
		buf := make([]byte, 16)
		hits := spinHits.Load()
		go func() {
			time.Sleep(time.Millisecond)
			client.Write([]byte("ping"))
		}()
		if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("worth=%v: read %q, %v", worth, buf[:n], err)
		}
		if got := spinHits.Load() - hits; worth && got != 1 || !worth && got != 0 {
			t.Fatalf("worth=%v: %d reads served by polling", worth, got)
		}
		if err := conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("worth=%v: read past the deadline: %v", worth, err)
		}
		conn.SetReadDeadline(time.Time{})
		client.Write([]byte("last"))
		client.Close()
		if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "last" {
			t.Fatalf("worth=%v: read %q, %v", worth, buf[:n], err)
		}
		if _, err := conn.Read(buf); err != io.EOF {
			t.Fatalf("worth=%v: at the end: %v", worth, err)
		}
	}
}

// TestSpinReads_notASocket: a TLS conn and a disabled window are left as they are.
func TestSpinReads_notASocket(t *testing.T) {
	server, _ := testnet.TCPPair(t)
	tc := tls.Server(server, &tls.Config{})
	if got := SpinReads(tc, time.Millisecond, func() bool { return true }); got != net.Conn(tc) {
		t.Fatal("a TLS conn was wrapped")
	}
	if got := SpinReads(server, 0, func() bool { return true }); got != server {
		t.Fatal("a zero window wrapped the conn")
	}
}

// TestSpinReads_wake: a Read that sleeps because polling was not worth it, woken once it is,
// polls and so serves the next bytes without sleeping; the caller's read deadline outlives
// the wake and still fires on time.
func TestSpinReads_wake(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("polling is off on a single CPU")
	}
	server, client := testnet.TCPPair(t)
	var worth atomic.Bool
	conn := SpinReads(server, 2*time.Second, worth.Load)
	deadline := time.Now().Add(3 * time.Second)
	if err := conn.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	wakes, hits := spinWakes.Load(), spinHits.Load()
	type result struct {
		data string
		err  error
	}
	done := make(chan result, 1)
	buf := make([]byte, 16)
	go func() {
		n, err := conn.Read(buf)
		done <- result{string(buf[:n]), err}
	}()
	waitFor(t, func() bool { return conn.(*spinConn).sleeping.Load() })
	worth.Store(true)
	conn.(ReadWaker).WakeRead()
	waitFor(t, func() bool { return spinWakes.Load() > wakes })
	time.Sleep(10 * time.Millisecond) // inside the 2 s window
	client.Write([]byte("ping"))
	if r := <-done; r.err != nil || r.data != "ping" {
		t.Fatalf("read %q, %v", r.data, r.err)
	}
	if spinHits.Load() == hits {
		t.Fatal("the woken read slept instead of polling")
	}
	// A wake before the deadline leaves it in force: the read ends at it, not before.
	worth.Store(false)
	go func() {
		n, err := conn.Read(buf)
		done <- result{string(buf[:n]), err}
	}()
	waitFor(t, func() bool { return conn.(*spinConn).sleeping.Load() })
	conn.(ReadWaker).WakeRead()
	r := <-done
	if !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the wake: %q, %v", r.data, r.err)
	}
	if early := time.Until(deadline); early > 100*time.Millisecond {
		t.Fatalf("the read ended %v before its deadline", early)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("timed out")
		}
	}
}
