package socket

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// AuthenticateRole runs the password exchange that a pg_hba.conf method calls for, against
// the role's own verifier, as PostgreSQL's CheckPWChallengeAuth and CheckPasswordAuth do:
//
//   - scram-sha-256 runs SCRAM with the role's SCRAM secret;
//   - md5 runs the md5 challenge with an md5 hash, and SCRAM with a SCRAM secret;
//   - password asks for the cleartext and checks it against either kind.
//
// A role without a password uses shortcut, the server-wide password (--password), when
// there is one. A role that does not exist, whose password has expired (rolvaliduntil), or
// that has no password and no shortcut, still goes through a full exchange, which fails:
// the client cannot tell these cases apart, as in PostgreSQL. It leaves the connection right
// before AuthenticationOk; on failure the client has been sent PostgreSQL's FATAL.
func AuthenticateRole(conn net.Conn, method AuthMethod, user string, role *Role, shortcut string) error {
	be := pgproto3.NewBackend(conn, conn)
	be.SetMaxBodyLen(16 << 10)
	err := authenticateRole(be, method, user, role, shortcut, time.Now())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, protocol.ErrAuthFailed):
		_, _ = conn.Write(protocol.PasswordFailed(user))
	case errors.Is(err, protocol.ErrAuthProtocol):
		_, _ = conn.Write(protocol.ProtocolViolation(err.Error()))
	}
	return fmt.Errorf("%w: %v", ErrAuthFailed, err)
}

func authenticateRole(be *pgproto3.Backend, method AuthMethod, user string, role *Role, shortcut string, now time.Time) error {
	secret, usable := "", role != nil && role.Exists
	if usable && !role.ValidUntil.IsZero() && !now.Before(role.ValidUntil) {
		usable = false // an expired password, or an expired shortcut standing in for one
	}
	if usable {
		secret = role.Password
	}
	if usable && secret == "" && shortcut != "" {
		switch method {
		case AuthPassword:
			return protocol.AuthenticateCleartext(be, shortcut)
		case AuthMD5:
			return protocol.AuthenticateMD5(be, user, shortcut)
		default:
			return protocol.AuthenticateSCRAM(be, user, shortcut)
		}
	}
	if method == AuthPassword {
		// An empty secret matches no password; the client still sends one.
		return protocol.AuthenticateCleartextSecret(be, user, secret)
	}
	if method == AuthMD5 && protocol.IsMD5Secret(secret) {
		return protocol.AuthenticateMD5Secret(be, secret)
	}
	sec, ok := protocol.ParseSCRAMSecret(secret)
	if !ok {
		sec = protocol.MockSCRAMSecret()
	}
	return protocol.AuthenticateSCRAMSecret(be, sec)
}
