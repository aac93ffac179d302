//go:build unix

package socket

import (
	"net"
	"syscall"
)

// WriteNow writes what of p the socket takes at once, without waiting for it to take more:
// one write(2) on a plain TCP or Unix socket. It reports false, having written nothing, for
// a conn that is not one (TLS), or when the write fails; the caller then writes through the
// conn as usual, which reports the error. A full socket buffer is not an error: n is 0.
func WriteNow(conn net.Conn, p []byte) (n int, ok bool) {
	sc, isRaw := conn.(syscall.Conn)
	if !isRaw || len(p) == 0 {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var werr error
	err = raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), p)
			if werr != syscall.EINTR {
				return true // done, whatever the socket took: never wait for room
			}
		}
	})
	switch {
	case err != nil:
		return 0, false
	case werr == syscall.EAGAIN:
		return 0, true
	case werr != nil:
		return 0, false
	}
	return n, true
}
