package test

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

func itoa(i int) string { return strconv.Itoa(i) }

// connectRaw performs a plain startup on conn and reads up to ReadyForQuery.
func connectRaw(t testing.TB, conn net.Conn) net.Conn {
	t.Helper()
	msg, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "postgres", "database": "postgres"}}).Encode(nil)
	if _, err := conn.Write(msg); err != nil {
		t.Fatal(err)
	}
	fe := pgproto3.NewFrontend(conn, conn)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	conn.SetReadDeadline(time.Time{})
	return conn
}

// readAll collects what the server sends until it closes the connection.
func readAll(conn net.Conn) []byte {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(conn)
	return b
}
