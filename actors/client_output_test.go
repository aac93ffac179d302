package actors

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/pglite-go/pglite/internal/testnet"
)

// readAll reads n bytes from c, failing the test after 10 s (a hang, not a timing check).
func readAll(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return buf
}

// A result that the socket takes at once is written by writeLater itself: no writer
// goroutine runs here, so a queued result would never arrive.
func TestWriteLater_writesWhatTheSocketTakes(t *testing.T) {
	server, client := testnet.TCPPair(t)
	o := newClientOutput(server, 0)
	msg := []byte("Z\x00\x00\x00\x05I")
	if !o.writeLater(msg) {
		t.Fatal("writeLater declined")
	}
	if q := o.queued.Load(); q != 0 {
		t.Fatalf("queued %d items, want 0", q)
	}
	if got := readAll(t, client, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("client read %q, want %q", got, msg)
	}
}

// A client that does not read gets what its socket buffer takes; the rest waits for the
// writer goroutine, and a later result queues behind it, so the order holds.
func TestWriteLater_slowClientKeepsOrder(t *testing.T) {
	server, client := testnet.TCPPair(t)
	// Small socket buffers, so that the kernel takes far less than the result at once.
	if err := server.(*net.TCPConn).SetWriteBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	if err := client.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	o := newClientOutput(server, 0)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	if !o.writeLater(big) {
		t.Fatal("writeLater declined")
	}
	if q := o.queued.Load(); q != 1 {
		t.Fatalf("queued %d items, want the rest of the result", q)
	}
	next := []byte("the next result")
	if n, err := o.Write(next); err != nil || n != len(next) {
		t.Fatalf("Write: %d, %v", n, err)
	}
	go o.run(func(error) {})
	defer o.close()
	want := append(append([]byte(nil), big...), next...)
	if got := readAll(t, client, len(want)); !bytes.Equal(got, want) {
		t.Fatal("the client read the results out of order or damaged")
	}
}

// A conn that is not a plain socket (TLS, here a pipe) has its result queued for the writer
// goroutine, as before.
func TestWriteLater_otherConnsQueue(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	o := newClientOutput(server, 0)
	msg := []byte("result")
	if !o.writeLater(msg) {
		t.Fatal("writeLater declined")
	}
	if q := o.queued.Load(); q != 1 {
		t.Fatalf("queued %d items, want 1", q)
	}
	go o.run(func(error) {})
	defer o.close()
	if got := readAll(t, client, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("client read %q, want %q", got, msg)
	}
}
