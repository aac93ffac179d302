package protocol

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

type authFunc func(be *pgproto3.Backend, user, password string) error

var authMethods = map[string]authFunc{
	"scram": AuthenticateSCRAM,
	"md5":   AuthenticateMD5,
	"cleartext": func(be *pgproto3.Backend, _, password string) error {
		return AuthenticateCleartext(be, password)
	},
}

// serveOne accepts a single connection and runs the server side of the
// handshake; the result is nil once the client has sent Terminate.
func serveOne(t *testing.T, auth authFunc, password string) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	result := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			result <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		result <- handshake(conn, auth, password)
	}()
	return ln.Addr().String(), result
}

func handshake(conn net.Conn, auth authFunc, password string) error {
	st, err := ReadStartup(conn, 0)
	if err != nil {
		return err
	}
	if st.Kind != KindStartup {
		return fmt.Errorf("unexpected %v", st.Kind)
	}
	// We speak 3.0 only; make the client fall back if it asked for more.
	if st.NeedsNegotiation(0) {
		if _, err := conn.Write(NegotiateProtocolVersion(0, st.ProtocolOptions())); err != nil {
			return err
		}
	}
	user := st.Params["user"]
	be := pgproto3.NewBackend(conn, conn)
	be.SetMaxBodyLen(65535)
	if err := auth(be, user, password); err != nil {
		if errors.Is(err, ErrAuthFailed) {
			conn.Write(PasswordFailed(user))
		}
		return err
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "18.6"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 4242, SecretKey: []byte{1, 2, 3, 4}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		return err
	}
	msg, err := be.Receive()
	if err != nil {
		return err
	}
	if _, ok := msg.(*pgproto3.Terminate); !ok {
		return fmt.Errorf("expected Terminate, got %T", msg)
	}
	return nil
}

func connect(addr, password, extra string) (*pgconn.PgConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgconn.Connect(ctx, fmt.Sprintf("postgres://u:%s@%s/db?sslmode=disable%s", password, addr, extra))
}

func TestAuthenticateEndToEnd(t *testing.T) {
	const password = "s3cr%C3%A9t" // "s3crét", URL-escaped
	for name, auth := range authMethods {
		t.Run(name+"/ok", func(t *testing.T) {
			addr, result := serveOne(t, auth, "s3crét")
			conn, err := connect(addr, password, "")
			if err != nil {
				t.Fatal(err)
			}
			if v := conn.ParameterStatus("server_version"); v != "18.6" {
				t.Fatalf("server_version %q", v)
			}
			if pid := conn.PID(); pid != 4242 {
				t.Fatalf("pid %d", pid)
			}
			conn.Close(context.Background())
			if err := <-result; err != nil {
				t.Fatalf("server: %v", err)
			}
		})
		t.Run(name+"/wrong", func(t *testing.T) {
			addr, result := serveOne(t, auth, "s3crét")
			conn, err := connect(addr, "nope", "")
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

// TestSCRAMNormalizedPassword covers a decomposed non-ASCII password, which
// pgx normalizes before hashing while the server holds the raw form.
func TestSCRAMNormalizedPassword(t *testing.T) {
	addr, result := serveOne(t, AuthenticateSCRAM, "pa\u0308ss")
	conn, err := connect(addr, "pa%CC%88ss", "")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

func TestNegotiateDownEndToEnd(t *testing.T) {
	addr, result := serveOne(t, AuthenticateSCRAM, "pw")
	conn, err := connect(addr, "pw", "&max_protocol_version=3.2")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

// TestSCRAMVectors checks the proof and signature maths against RFC 7677's
// example exchange.
func TestSCRAMVectors(t *testing.T) {
	const (
		clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO"
		serverFirst     = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
		clientFinal     = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
		serverFinal     = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	)
	cf, err := parseClientFirst("n,," + clientFirstBare)
	if err != nil || cf.nonce != "rOprNGfwEbeRWgbNEkqO" {
		t.Fatal(cf, err)
	}
	fin, err := parseClientFinal(clientFinal)
	if err != nil || fin.binding != "biws" {
		t.Fatal(fin, err)
	}
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	salted, _ := pbkdf2.Key(sha256.New, "pencil", salt, 4096, 32)
	authMessage := []byte(clientFirstBare + "," + serverFirst + "," + fin.withoutProof)
	if !scramProofValid(salted, authMessage, fin.proof) {
		t.Fatal("valid proof rejected")
	}
	sig := hmacSHA256(hmacSHA256(salted, []byte("Server Key")), authMessage)
	if got := "v=" + base64.StdEncoding.EncodeToString(sig); got != serverFinal {
		t.Fatalf("server final %s", got)
	}
	wrong, _ := pbkdf2.Key(sha256.New, "pencil2", salt, 4096, 32)
	if scramProofValid(wrong, authMessage, fin.proof) {
		t.Fatal("wrong password accepted")
	}
}

func TestSCRAMProtocolErrors(t *testing.T) {
	firsts := []string{
		"p=tls-server-end-point,,n=,r=abc",
		"n,a=admin,n=,r=abc",
		"n,,m=ext,n=,r=abc",
		"n,,n=,r=",
		"n,,n=,r=a b",
		"x",
	}
	for _, first := range firsts {
		err := runSCRAMClient(t, "SCRAM-SHA-256", first, "")
		if !errors.Is(err, ErrAuthProtocol) {
			t.Fatalf("%q: %v", first, err)
		}
	}
	if err := runSCRAMClient(t, "SCRAM-SHA-256-PLUS", "n,,n=,r=abc", ""); !errors.Is(err, ErrAuthProtocol) {
		t.Fatalf("mechanism: %v", err)
	}
	finals := []string{
		"c=biws,r=WRONG,p=AAAA",
		"c=eSws,r={nonce},p=AAAA",
		"c=biws,r={nonce}",
		"c=biws,r={nonce},p=!!!",
	}
	for _, final := range finals {
		if err := runSCRAMClient(t, "SCRAM-SHA-256", "n,,n=,r=abc", final); !errors.Is(err, ErrAuthProtocol) {
			t.Fatalf("%q: %v", final, err)
		}
	}
	// A well-formed final message with a bogus proof is a failed login.
	proof := base64.StdEncoding.EncodeToString(make([]byte, 32))
	if err := runSCRAMClient(t, "SCRAM-SHA-256", "n,,n=,r=abc", "c=biws,r={nonce},p="+proof); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("bogus proof: %v", err)
	}
}

// runSCRAMClient drives AuthenticateSCRAM with hand-written client
// messages; "{nonce}" in final is replaced by the server's combined nonce.
func runSCRAMClient(t *testing.T, mech, first, final string) error {
	t.Helper()
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	done := make(chan error, 1)
	go func() { done <- AuthenticateSCRAM(pgproto3.NewBackend(sc, sc), "u", "pw") }()

	fe := pgproto3.NewFrontend(cc, cc)
	if _, err := fe.Receive(); err != nil {
		t.Fatal(err)
	}
	fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: mech, Data: []byte(first)})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if final != "" {
		msg, err := fe.Receive()
		if err != nil {
			return <-done
		}
		cont, ok := msg.(*pgproto3.AuthenticationSASLContinue)
		if !ok {
			t.Fatalf("got %T", msg)
		}
		nonce := string(cont.Data[2:])
		nonce = nonce[:len(nonce)-len(",s=")-24-len(",i=4096")]
		final = strings.ReplaceAll(final, "{nonce}", nonce)
		fe.Send(&pgproto3.SASLResponse{Data: []byte(final)})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	return <-done
}
