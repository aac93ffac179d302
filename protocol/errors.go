package protocol

import (
	"github.com/jackc/pgx/v5/pgproto3"
)

// Severities used by the server itself; FATAL tells the client the
// connection is about to be closed.
const (
	SeverityError = "ERROR"
	SeverityFatal = "FATAL"
)

// ErrorResponse encodes an ErrorResponse the server sends on its own
// behalf, e.g. when refusing a connection before the backend is involved.
// Both the localized (S) and unlocalized (V) severity are set, as modern
// PostgreSQL does.
func ErrorResponse(severity, code, message string) []byte {
	msg := pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                code,
		Message:             message,
	}
	out, err := msg.Encode(nil)
	if err != nil {
		return nil
	}
	return out
}

// FatalError encodes a FATAL ErrorResponse; the caller closes the
// connection after sending it.
func FatalError(code, message string) []byte {
	return ErrorResponse(SeverityFatal, code, message)
}

// TooManyConnections refuses a client beyond the session limit.
func TooManyConnections() []byte {
	return FatalError("53300", "sorry, too many clients already")
}

// InvalidAuthorization rejects a startup that names no acceptable role or
// database (SQLSTATE 28000, invalid_authorization_specification).
func InvalidAuthorization(message string) []byte {
	return FatalError("28000", message)
}

// PasswordFailed reports failed password authentication (28P01) with
// PostgreSQL's wording.
func PasswordFailed(user string) []byte {
	return FatalError("28P01", `password authentication failed for user "`+user+`"`)
}

// ProtocolViolation ends a connection that broke the wire protocol.
func ProtocolViolation(message string) []byte {
	return FatalError("08P01", message)
}

// AdminShutdown tells clients the server is going away.
func AdminShutdown() []byte {
	return FatalError("57P01", "terminating connection due to administrator command")
}

// IdleInTransactionTimeout ends a session that held the shared backend in
// an open transaction for too long.
func IdleInTransactionTimeout() []byte {
	return FatalError("25P03", "terminating connection due to idle-in-transaction timeout")
}

// CannotConnectNow refuses connections while the backend is starting or
// stopping; an empty message uses PostgreSQL's start-up wording.
func CannotConnectNow(message string) []byte {
	if message == "" {
		message = "the database system is starting up"
	}
	return FatalError("57P03", message)
}
