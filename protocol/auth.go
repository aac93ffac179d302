package protocol

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Authentication outcomes. ErrAuthFailed means the client answered properly
// but with the wrong secret (send PasswordFailed); ErrAuthProtocol means it
// sent something that is not a valid answer (send ProtocolViolation).
// Other errors come from the connection itself.
var (
	ErrAuthFailed   = errors.New("protocol: password authentication failed")
	ErrAuthProtocol = errors.New("protocol: invalid authentication response")
)

// The exchanges below leave the connection right before AuthenticationOk:
// on a nil error the caller sends AuthenticationOk and the rest of the
// greeting itself. Callers should bound pre-auth input with
// be.SetMaxBodyLen, as an unauthenticated peer controls message sizes.

// AuthenticateCleartext asks for the password in clear text. Only use it
// over TLS or a local socket.
func AuthenticateCleartext(be *pgproto3.Backend, password string) error {
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	msg, err := receiveAuth[*pgproto3.PasswordMessage](be, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(msg.Password), []byte(password)) != 1 {
		return ErrAuthFailed
	}
	return nil
}

// AuthenticateMD5 runs PostgreSQL's legacy md5 challenge, where the client
// proves knowledge of md5(password || user) salted with 4 random bytes.
func AuthenticateMD5(be *pgproto3.Backend, user, password string) error {
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return err
	}
	be.Send(&pgproto3.AuthenticationMD5Password{Salt: salt})
	msg, err := receiveAuth[*pgproto3.PasswordMessage](be, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	want := md5Response(user, password, salt)
	if subtle.ConstantTimeCompare([]byte(msg.Password), []byte(want)) != 1 {
		return ErrAuthFailed
	}
	return nil
}

// md5Response computes "md5" + hex(md5(hex(md5(password+user)) + salt)).
func md5Response(user, password string, salt [4]byte) string {
	inner := md5.Sum([]byte(password + user))
	outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), salt[:]...))
	return "md5" + hex.EncodeToString(outer[:])
}

// receiveAuth flushes the pending request, tells be how to decode the 'p'
// reply that follows it and insists the reply has type T.
func receiveAuth[T pgproto3.FrontendMessage](be *pgproto3.Backend, authType uint32) (T, error) {
	var zero T
	if err := be.Flush(); err != nil {
		return zero, err
	}
	if err := be.SetAuthType(authType); err != nil {
		return zero, err
	}
	msg, err := be.Receive()
	if err != nil {
		return zero, err
	}
	m, ok := msg.(T)
	if !ok {
		return zero, fmt.Errorf("%w: expected password response, got %T", ErrAuthProtocol, msg)
	}
	return m, nil
}
