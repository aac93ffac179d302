//go:build unix

package socket

import (
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	// spinning is how many readers poll their sockets right now, process-wide: at most one,
	// so that polling never takes more than one core from the backend and the other clients.
	spinning atomic.Int32
	// spinHits counts the reads that polling served, which would have slept otherwise.
	spinHits atomic.Int64
)

// SpinReads returns conn with reads that poll the socket for up to window before they sleep,
// while worth() says so, the way SO_BUSY_POLL does in the kernel. A client that sends its
// next query within microseconds of its result (a driver loop, pgbench, a pipeline of
// dependent statements) then finds the server awake: sleeping in the poller and waking
// costs a context switch and the Go scheduler's round trip, several microseconds a query on
// loopback. Polling stops at the first byte or after window, so an idle client costs window
// of CPU once per result. Only one reader in the process polls at a time, and none on a
// single CPU, where polling would keep the client itself from running. A conn that is not
// a plain TCP or Unix socket (TLS) is returned as it is, as is any conn when window <= 0.
func SpinReads(conn net.Conn, window time.Duration, worth func() bool) net.Conn {
	sc, ok := conn.(syscall.Conn)
	if !ok || window <= 0 || runtime.GOMAXPROCS(0) < 2 {
		return conn
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return conn
	}
	return &spinConn{Conn: conn, raw: raw, window: window, worth: worth}
}

type spinConn struct {
	net.Conn
	raw    syscall.RawConn
	window time.Duration
	worth  func() bool
	// readDeadline bounds the polling too (UnixNano, 0 for none).
	readDeadline atomic.Int64
}

func (c *spinConn) SetDeadline(t time.Time) error {
	c.noteDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *spinConn) SetReadDeadline(t time.Time) error {
	c.noteDeadline(t)
	return c.Conn.SetReadDeadline(t)
}

func (c *spinConn) noteDeadline(t time.Time) {
	if t.IsZero() {
		c.readDeadline.Store(0)
	} else {
		c.readDeadline.Store(t.UnixNano())
	}
}

func (c *spinConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var rerr error
	first := true
	err := c.raw.Read(func(fd uintptr) bool {
		spin := first && c.worth() && spinning.CompareAndSwap(0, 1)
		first = false // after a sleep in the poller, data is there or the conn ended
		if spin {
			defer spinning.Store(0)
		}
		var deadline time.Time
		for {
			n, rerr = syscall.Read(int(fd), p)
			switch {
			case rerr == syscall.EINTR:
				continue
			case rerr != syscall.EAGAIN:
				if spin && !deadline.IsZero() {
					spinHits.Add(1)
				}
				return true
			case !spin:
				return false // sleep in the poller until the socket is readable
			}
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(c.window)
				if d := c.readDeadline.Load(); d != 0 && d < deadline.UnixNano() {
					deadline = time.Unix(0, d)
				}
			} else if now.After(deadline) {
				return false // the poller sleeps, or reports the read deadline
			}
		}
	})
	switch {
	case err != nil:
		return 0, err // a deadline or a closed conn, as net.Conn reports them
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
