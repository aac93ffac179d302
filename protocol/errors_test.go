package protocol

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func TestErrorBuilders(t *testing.T) {
	cases := []struct {
		raw               []byte
		sev, code, prefix string
	}{
		{ErrorResponse("ERROR", "42601", "syntax"), "ERROR", "42601", "syntax"},
		{FatalError("XX000", "boom"), "FATAL", "XX000", "boom"},
		{TooManyConnections(), "FATAL", "53300", "sorry, too many clients already"},
		{InvalidAuthorization("role \"x\" does not exist"), "FATAL", "28000", "role \"x\" does not exist"},
		{PasswordFailed("bob"), "FATAL", "28P01", "password authentication failed for user \"bob\""},
		{ProtocolViolation("invalid frontend message type 90"), "FATAL", "08P01", "invalid frontend message type 90"},
		{AdminShutdown(), "FATAL", "57P01", "terminating connection due to administrator command"},
		{IdleInTransactionTimeout(), "FATAL", "25P03", "terminating connection due to idle-in-transaction timeout"},
		{CannotConnectNow(""), "FATAL", "57P03", "the database system is starting up"},
		{CannotConnectNow("the database system is shutting down"), "FATAL", "57P03", "the database system is shutting down"},
	}
	for _, tc := range cases {
		typ, body, ok := splitMessage(tc.raw)
		if !ok || typ != 'E' {
			t.Fatalf("bad framing %q", tc.raw)
		}
		var e pgproto3.ErrorResponse
		if err := e.Decode(body); err != nil {
			t.Fatal(err)
		}
		if e.Severity != tc.sev || e.SeverityUnlocalized != tc.sev || e.Code != tc.code || e.Message != tc.prefix {
			t.Fatalf("got %+v", e)
		}
		sev, code, msg, ok := ErrorFields(tc.raw)
		if !ok || sev != tc.sev || code != tc.code || msg != tc.prefix {
			t.Fatalf("ErrorFields %q %q %q", sev, code, msg)
		}
	}
}
