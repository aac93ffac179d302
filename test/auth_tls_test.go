package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pglite-go/pglite/actors"
	"github.com/pglite-go/pglite/socket"
)

func TestAuth_methods(t *testing.T) {
	for name, method := range map[string]socket.AuthMethod{"scram": socket.AuthSCRAM, "md5": socket.AuthMD5, "password": socket.AuthPassword} {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, func(c *actors.Config) { c.Password, c.Auth = "s3cret", method })
			base := "postgres://postgres:%s@127.0.0.1:" + itoa(s.port) + "/postgres?sslmode=disable"
			c, err := pgx.Connect(ctxT(t), fmt.Sprintf(base, "s3cret"))
			if err != nil {
				t.Fatalf("right password: %v", err)
			}
			c.Close(ctxT(t))
			_, err = pgx.Connect(ctxT(t), fmt.Sprintf(base, "wrong"))
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	cert := selfSigned(t)
	s := startServer(t, func(c *actors.Config) { c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}} })
	c := connect(t, s.dsnSSL("require", ""))
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("connection is not TLS: %T", c.PgConn().Conn())
	}
	if got := scalar[int](t, c, "select 40 + 2"); got != 42 {
		t.Fatal(got)
	}
	plain := startServer(t, nil)
	if _, err := pgx.Connect(ctxT(t), plain.dsnSSL("require", "")); err == nil {
		t.Fatal("sslmode=require succeeded without TLS configured")
	}
	connect(t, plain.dsnSSL("prefer", ""))
}

func TestProtocol_gssencAndVersions(t *testing.T) {
	s := startServer(t, nil)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", "127.0.0.1:"+itoa(s.port))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		t.Cleanup(func() { c.Close() })
		return c
	}
	// GSSENCRequest is declined with 'N', then a normal startup works.
	c := dial()
	c.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30})
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'N' {
		t.Fatalf("GSSENCRequest answer %q %v", b, err)
	}
	connectRaw(t, c)

	// Protocol 3.2 gets a 32-byte cancel key; 3.5 is negotiated down to 3.2.
	for _, minor := range []uint32{2, 5} {
		c := dial()
		params := []byte("user\x00postgres\x00database\x00postgres\x00\x00")
		pkt := binary.BigEndian.AppendUint32(nil, uint32(8+len(params)))
		pkt = binary.BigEndian.AppendUint32(pkt, 3<<16|minor)
		c.Write(append(pkt, params...))
		fe := pgproto3.NewFrontend(c, c)
		var negotiated, keyLen = uint32(0), 0
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatalf("minor %d: %v", minor, err)
			}
			if nv, ok := m.(*pgproto3.NegotiateProtocolVersion); ok {
				negotiated = nv.NewestMinorProtocol
			}
			if k, ok := m.(*pgproto3.BackendKeyData); ok {
				keyLen = len(k.SecretKey)
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		if minor == 5 && negotiated != 2 {
			t.Fatalf("3.5 negotiated to 3.%d", negotiated)
		}
		if keyLen != 32 {
			t.Fatalf("3.%d cancel key length %d", minor, keyLen)
		}
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
