//go:build !unix

package socket

import (
	"net"
	"time"
)

// SpinReads returns conn: reads that poll the socket are implemented on Unix only.
func SpinReads(conn net.Conn, window time.Duration, worth func() bool) net.Conn { return conn }
