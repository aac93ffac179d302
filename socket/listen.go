// Package socket accepts PostgreSQL clients: TCP and Unix listeners, the SSL/GSS negotiation,
// TLS, protocol version negotiation and authentication, up to a ready-to-use connection.
// It knows nothing of actors or WebAssembly.
package socket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// UnixSocketPath is libpq's socket name for a port: <dir>/.s.PGSQL.<port>, so that
// `psql -h <dir> -p <port>` finds it.
func UnixSocketPath(dir string, port int) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

// ListenTCP listens on host:port. Port 0 picks a free port.
func ListenTCP(host string, port int) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("socket: listen tcp: %w", err)
	}
	return l, nil
}

// ListenUnix listens on the libpq-named socket in dir, replacing a stale socket file left by
// a crashed server (but never a live one).
func ListenUnix(dir string, port int) (net.Listener, error) {
	path := UnixSocketPath(dir, port)
	if _, err := os.Stat(path); err == nil {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket: %s is in use by a running server", path)
		}
		_ = os.Remove(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("socket: listen unix: %w", err)
	}
	_ = os.Chmod(path, 0o777)
	return l, nil
}

// IsBenignClose reports errors that mean the peer or we closed the connection normally; they
// are logged at Debug, not as failures.
func IsBenignClose(err error) bool {
	if err == nil {
		return true
	}
	var ne *net.OpError
	switch {
	case errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
		return true
	case isEOF(err), isConnReset(err):
		return true
	case errors.As(err, &ne) && ne.Err != nil && ne.Err.Error() == "use of closed network connection":
		return true
	}
	return false
}
