//go:build !unix

package socket

import "net"

// WriteNow writes nothing and reports false: writing without waiting is implemented on Unix
// only.
func WriteNow(conn net.Conn, p []byte) (n int, ok bool) { return 0, false }
