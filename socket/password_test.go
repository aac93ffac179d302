package socket

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/protocol"
)

func scramSecretOf(t *testing.T, password string) string {
	t.Helper()
	salt := []byte("pglite-test-salt")
	salted, err := pbkdf2.Key(sha256.New, password, salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(msg string) []byte {
		m := hmac.New(sha256.New, salted)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	stored := sha256.Sum256(mac("Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$4096:%s$%s:%s", b64(salt), b64(stored[:]), b64(mac("Server Key")))
}

func md5SecretOf(password, user string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// sniffConn records the code of the first authentication request the client reads.
type sniffConn struct {
	net.Conn
	mu   sync.Mutex
	buf  []byte
	code int
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if c.code == 0 && len(c.buf) < 9 {
		c.buf = append(c.buf, p[:n]...)
		if len(c.buf) >= 9 && c.buf[0] == 'R' {
			c.code = int(binary.BigEndian.Uint32(c.buf[5:9]))
		}
	}
	c.mu.Unlock()
	return n, err
}

// login runs AuthenticateRole against pgconn over a pipe; it returns the first
// authentication request's code (3 cleartext, 5 md5, 10 SASL) and both sides' errors.
func login(t *testing.T, method AuthMethod, role *Role, shortcut, password string) (int, error, error) {
	t.Helper()
	server, client := net.Pipe()
	sniff := &sniffConn{Conn: client}
	serverErr := make(chan error, 1)
	go func() {
		defer server.Close()
		server.SetDeadline(time.Now().Add(10 * time.Second))
		st, err := protocol.ReadStartup(server, 0)
		if err != nil {
			serverErr <- err
			return
		}
		user := st.Params["user"]
		if err := AuthenticateRole(server, method, user, role, shortcut); err != nil {
			serverErr <- err
			return
		}
		be := pgproto3.NewBackend(server, server)
		be.Send(&pgproto3.AuthenticationOk{})
		be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		serverErr <- be.Flush()
	}()
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("postgres://app:%s@pipe/db?sslmode=disable", password))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DialFunc = func(context.Context, string, string) (net.Conn, error) { return sniff, nil }
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"pipe"}, nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, clientErr := pgconn.ConnectConfig(ctx, cfg)
	if clientErr == nil {
		conn.Close(ctx)
	}
	sErr := <-serverErr
	sniff.mu.Lock()
	defer sniff.mu.Unlock()
	return sniff.code, clientErr, sErr
}

func TestAuthenticateRole(t *testing.T) {
	const (
		sasl      = 10
		md5Req    = 5
		cleartext = 3
	)
	scram := &Role{Name: "app", Exists: true, CanLogin: true, Password: scramSecretOf(t, "right")}
	md := &Role{Name: "app", Exists: true, CanLogin: true, Password: md5SecretOf("right", "app")}
	bare := &Role{Name: "app", Exists: true, CanLogin: true}
	expired := &Role{Name: "app", Exists: true, Password: scram.Password, ValidUntil: time.Now().Add(-time.Hour)}
	later := &Role{Name: "app", Exists: true, Password: scram.Password, ValidUntil: time.Now().Add(time.Hour)}
	missing := &Role{Name: "app"}
	tests := []struct {
		name     string
		method   AuthMethod
		role     *Role
		shortcut string
		password string
		code     int
		ok       bool
	}{
		{"scram secret", AuthSCRAM, scram, "", "right", sasl, true},
		{"scram secret, wrong password", AuthSCRAM, scram, "", "wrong", sasl, false},
		{"scram secret, the shortcut does not apply", AuthSCRAM, scram, "short", "short", sasl, false},
		{"md5 method with a scram secret runs SCRAM", AuthMD5, scram, "", "right", sasl, true},
		{"md5 secret", AuthMD5, md, "", "right", md5Req, true},
		{"md5 secret, wrong password", AuthMD5, md, "", "wrong", md5Req, false},
		{"scram method cannot use an md5 secret", AuthSCRAM, md, "", "right", sasl, false},
		{"password against scram", AuthPassword, scram, "", "right", cleartext, true},
		{"password against md5", AuthPassword, md, "", "right", cleartext, true},
		{"password, wrong", AuthPassword, md, "", "wrong", cleartext, false},
		{"no password: shortcut, scram", AuthSCRAM, bare, "short", "short", sasl, true},
		{"no password: shortcut, md5", AuthMD5, bare, "short", "short", md5Req, true},
		{"no password: shortcut, password", AuthPassword, bare, "short", "short", cleartext, true},
		{"no password: shortcut, wrong", AuthSCRAM, bare, "short", "wrong", sasl, false},
		{"no password and no shortcut", AuthSCRAM, bare, "", "anything", sasl, false},
		{"no password and no shortcut, md5 blends in as SCRAM", AuthMD5, bare, "", "anything", sasl, false},
		{"no role", AuthSCRAM, missing, "short", "short", sasl, false},
		{"nil role", AuthMD5, nil, "short", "short", sasl, false},
		{"expired", AuthSCRAM, expired, "", "right", sasl, false},
		{"expired, cleartext", AuthPassword, expired, "", "right", cleartext, false},
		{"valid until later", AuthSCRAM, later, "", "right", sasl, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, clientErr, serverErr := login(t, tt.method, tt.role, tt.shortcut, tt.password)
			if code != tt.code {
				t.Errorf("authentication request %d, want %d", code, tt.code)
			}
			if tt.ok {
				if clientErr != nil || serverErr != nil {
					t.Fatalf("client %v, server %v", clientErr, serverErr)
				}
				return
			}
			var pgErr *pgconn.PgError
			if !errors.As(clientErr, &pgErr) || pgErr.Code != "28P01" || pgErr.Message != `password authentication failed for user "app"` {
				t.Fatalf("client error %v", clientErr)
			}
			if !errors.Is(serverErr, ErrAuthFailed) {
				t.Fatalf("server error %v", serverErr)
			}
		})
	}
}
