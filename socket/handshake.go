package socket

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

// AuthMethod selects how clients prove who they are.
type AuthMethod int

const (
	// AuthTrust accepts every client, like pg_hba's trust.
	AuthTrust AuthMethod = iota
	// AuthSCRAM requires SCRAM-SHA-256 (the default when a password is set).
	AuthSCRAM
	// AuthMD5 uses the legacy md5 challenge; only when configured.
	AuthMD5
	// AuthPassword sends the password in clear text; only when configured.
	AuthPassword
)

// HandshakeConfig configures the startup phase.
type HandshakeConfig struct {
	TLS      *tls.Config // nil: SSLRequest is answered 'N'
	Auth     AuthMethod
	Password string
	// Timeout bounds the whole startup phase, so a silent client cannot hold a slot.
	Timeout time.Duration
}

// NewestMinor is the newest protocol 3 minor version served: 3.2 (PostgreSQL 18), whose
// only difference here is the longer cancel key.
const NewestMinor = 2

// Handshake is a client after negotiation: either a cancel request or an authenticated
// session start.
type Handshake struct {
	Conn    net.Conn // possibly TLS-wrapped
	Startup protocol.Startup
	Minor   uint16 // the protocol minor version agreed
}

// ErrAuthFailed is returned after the client failed authentication (it was told).
var ErrAuthFailed = errors.New("socket: authentication failed")

// Negotiate runs the startup phase up to (not including) AuthenticationOk: SSLRequest and
// GSSENCRequest, TLS, the startup packet, protocol version negotiation. Cancel requests come
// back with Startup.Kind == KindCancel. Protocol errors are reported to the client before
// the error is returned.
func Negotiate(conn net.Conn, cfg HandshakeConfig) (*Handshake, error) {
	if cfg.Timeout > 0 {
		_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
		defer conn.SetDeadline(time.Time{})
	}
	tlsDone, gssDone := false, false
	for {
		st, err := protocol.ReadStartup(conn, 0)
		if err != nil {
			if !IsBenignClose(err) {
				_, _ = conn.Write(protocol.ProtocolViolation(fmt.Sprintf("invalid startup packet: %v", err)))
			}
			return nil, err
		}
		switch st.Kind {
		case protocol.KindSSLRequest:
			if tlsDone || cfg.TLS == nil {
				if _, err := conn.Write([]byte{'N'}); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := conn.Write([]byte{'S'}); err != nil {
				return nil, err
			}
			tc := tls.Server(conn, cfg.TLS)
			if err := tc.Handshake(); err != nil {
				return nil, fmt.Errorf("socket: tls: %w", err)
			}
			conn, tlsDone = tc, true
		case protocol.KindGSSENCRequest:
			if gssDone {
				return nil, errors.New("socket: repeated GSSENCRequest")
			}
			gssDone = true
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return nil, err
			}
		case protocol.KindCancel:
			return &Handshake{Conn: conn, Startup: st}, nil
		default:
			return startSession(conn, st, cfg)
		}
	}
}

func startSession(conn net.Conn, st protocol.Startup, cfg HandshakeConfig) (*Handshake, error) {
	if st.Major != 3 {
		_, _ = conn.Write(protocol.ProtocolViolation(fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0 to 3.%d", st.Major, st.Minor, NewestMinor)))
		return nil, fmt.Errorf("socket: unsupported protocol %d.%d", st.Major, st.Minor)
	}
	minor := st.Minor
	if st.NeedsNegotiation(NewestMinor) {
		if minor > NewestMinor {
			minor = NewestMinor
		}
		if _, err := conn.Write(protocol.NegotiateProtocolVersion(uint32(minor), st.ProtocolOptions())); err != nil {
			return nil, err
		}
	}
	if minor == 1 {
		minor = 0 // 3.1 was never defined; it behaves as 3.0
	}
	if err := authenticate(conn, st, cfg); err != nil {
		return nil, err
	}
	return &Handshake{Conn: conn, Startup: st, Minor: minor}, nil
}

func authenticate(conn net.Conn, st protocol.Startup, cfg HandshakeConfig) error {
	if cfg.Auth == AuthTrust || cfg.Password == "" {
		return nil
	}
	be := pgproto3.NewBackend(conn, conn)
	be.SetMaxBodyLen(16 << 10)
	user := st.Params["user"]
	var err error
	switch cfg.Auth {
	case AuthMD5:
		err = protocol.AuthenticateMD5(be, user, cfg.Password)
	case AuthPassword:
		err = protocol.AuthenticateCleartext(be, cfg.Password)
	default:
		err = protocol.AuthenticateSCRAM(be, user, cfg.Password)
	}
	if err != nil {
		_, _ = conn.Write(protocol.PasswordFailed(user))
		return fmt.Errorf("%w: %v", ErrAuthFailed, err)
	}
	return nil
}
