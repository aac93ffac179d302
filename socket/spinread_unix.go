//go:build unix

package socket

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
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
	// spinWakes counts the sleeping reads that WakeRead woke.
	spinWakes atomic.Int64
)

// ReadWaker is a conn from SpinReads whose sleeping Read can be told to ask worth() again.
type ReadWaker interface {
	WakeRead()
}

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
	// sleeping: a Read waits in the poller.
	sleeping atomic.Bool
	// mu orders a WakeRead, which moves the conn's read deadline into the past, with the
	// Read that restores the caller's deadline (userDeadline, which bounds the polling too)
	// afterwards.
	mu           sync.Mutex
	woken        bool
	userDeadline time.Time
}

var _ ReadWaker = (*spinConn)(nil)

// WakeRead makes a Read that sleeps in the poller ask worth() again and poll if it now says
// so. The backend calls it when another goroutine ran this client's query and the client's
// next one would run at once: the reader then polls while the client reads its result,
// instead of waking only when the next query arrives.
func (c *spinConn) WakeRead() {
	if !c.sleeping.Load() {
		return // reading or polling: it asks worth() at its next Read anyway
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.woken {
		c.woken = true
		_ = c.Conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// unwake reports whether a deadline error was a WakeRead's, and puts the caller's read
// deadline back if so.
func (c *spinConn) unwake() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.woken {
		return false
	}
	c.woken = false
	_ = c.Conn.SetReadDeadline(c.userDeadline)
	spinWakes.Add(1)
	return true
}

// deadline is the caller's read deadline.
func (c *spinConn) deadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.userDeadline
}

func (c *spinConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (c *spinConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.userDeadline = t
	if c.woken {
		return nil // unwake sets it
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *spinConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := c.read(p)
		if errors.Is(err, os.ErrDeadlineExceeded) && c.unwake() {
			continue
		}
		return n, err
	}
}

func (c *spinConn) read(p []byte) (int, error) {
	var n int
	var rerr error
	first := true
	err := c.raw.Read(func(fd uintptr) bool {
		c.sleeping.Store(false)
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
				c.sleeping.Store(true)
				return false // sleep in the poller until the socket is readable
			}
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(c.window)
				if d := c.deadline(); !d.IsZero() && d.Before(deadline) {
					deadline = d
				}
			} else if now.After(deadline) {
				c.sleeping.Store(true)
				return false // the poller sleeps, or reports the read deadline
			}
		}
	})
	c.sleeping.Store(false)
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
