package protocol

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// testSCRAMSecret builds a rolpassword the way PostgreSQL's CREATE ROLE does (RFC 5802
// with SHA-256), written out here rather than through the package's helpers.
func testSCRAMSecret(t *testing.T, password string, salt []byte, iterations int) string {
	t.Helper()
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(mac(salted, "Server Key")))
}

func testMD5Secret(password, user string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

func TestParseSCRAMSecret(t *testing.T) {
	good := testSCRAMSecret(t, "pw", []byte("0123456789abcdef"), 4096)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", good, true},
		{"md5", testMD5Secret("pw", "u"), false},
		{"other mechanism", "SCRAM-SHA-1" + good[len("SCRAM-SHA-256"):], false},
		{"no keys", "SCRAM-SHA-256$4096:c2FsdA==", false},
		{"zero iterations", "SCRAM-SHA-256$0" + good[len("SCRAM-SHA-256$4096"):], false},
		{"bad base64", "SCRAM-SHA-256$4096:!!$AA==:AA==", false},
		{"short key", "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, ok := ParseSCRAMSecret(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if ok && (sec.Iterations != 4096 || string(sec.Salt) != "0123456789abcdef") {
				t.Fatalf("parsed %+v", sec)
			}
		})
	}
}

func TestIsMD5Secret(t *testing.T) {
	for in, want := range map[string]bool{
		testMD5Secret("pw", "u"):                   true,
		"md5" + "0123456789ABCDEF0123456789abcdef": false, // PostgreSQL writes lower case only
		"md5" + "0123456789abcdef":                 false,
		"plain password":                           false,
	} {
		if got := IsMD5Secret(in); got != want {
			t.Errorf("IsMD5Secret(%q) = %v", in, got)
		}
	}
}

func TestCheckPlainPassword(t *testing.T) {
	scram := testSCRAMSecret(t, "s3cret", []byte("saltsaltsalt"), 1000)
	md := testMD5Secret("s3cret", "app")
	tests := []struct {
		name, user, password, secret string
		want                         bool
	}{
		{"scram right", "app", "s3cret", scram, true},
		{"scram wrong", "app", "s3cret!", scram, false},
		{"scram ignores the user", "other", "s3cret", scram, true},
		{"md5 right", "app", "s3cret", md, true},
		{"md5 is salted with the user", "other", "s3cret", md, false},
		{"md5 wrong", "app", "nope", md, false},
		{"unknown form", "app", "s3cret", "s3cret", false},
		{"normalised non-ASCII", "app", "pa\u0308ss", testSCRAMSecret(t, "p\u00e4ss", []byte("salt"), 64), true},
	}
	for _, tt := range tests {
		if got := CheckPlainPassword(tt.user, tt.password, tt.secret); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

// TestAuthenticateSecretEndToEnd runs pgconn against every verifier-based exchange, with the
// right and a wrong password.
func TestAuthenticateSecretEndToEnd(t *testing.T) {
	scram := testSCRAMSecret(t, "s3cret", []byte("0123456789"), 1234)
	sec, ok := ParseSCRAMSecret(scram)
	if !ok {
		t.Fatal("secret not parsed")
	}
	md := testMD5Secret("s3cret", "u") // connect() logs in as u
	tests := []struct {
		name string
		auth authFunc
	}{
		{"scram secret", func(be *pgproto3.Backend, _, _ string) error { return AuthenticateSCRAMSecret(be, sec) }},
		{"md5 secret", func(be *pgproto3.Backend, _, _ string) error { return AuthenticateMD5Secret(be, md) }},
		{"cleartext against scram", func(be *pgproto3.Backend, user, _ string) error {
			return AuthenticateCleartextSecret(be, user, scram)
		}},
		{"cleartext against md5", func(be *pgproto3.Backend, user, _ string) error {
			return AuthenticateCleartextSecret(be, user, md)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/ok", func(t *testing.T) {
			addr, result := serveOne(t, tt.auth, "")
			conn, err := connect(addr, "s3cret", "")
			if err != nil {
				t.Fatal(err)
			}
			conn.Close(context.Background())
			if err := <-result; err != nil {
				t.Fatalf("server: %v", err)
			}
		})
		t.Run(tt.name+"/wrong", func(t *testing.T) {
			addr, result := serveOne(t, tt.auth, "")
			conn, err := connect(addr, "s3cret2", "")
			if err == nil {
				conn.Close(context.Background())
				t.Fatal("connected with a wrong password")
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
				t.Fatalf("client error %v", err)
			}
			if err := <-result; !errors.Is(err, ErrAuthFailed) {
				t.Fatalf("server: %v", err)
			}
		})
	}
}

// TestMockSCRAMSecret: the exchange runs to the end and fails, whatever the password.
func TestMockSCRAMSecret(t *testing.T) {
	mock := func(be *pgproto3.Backend, _, _ string) error { return AuthenticateSCRAMSecret(be, MockSCRAMSecret()) }
	addr, result := serveOne(t, mock, "")
	if conn, err := connect(addr, "x", ""); err == nil {
		conn.Close(context.Background())
		t.Fatal("a mock secret let a client in")
	}
	if err := <-result; !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("server: %v", err)
	}
}
