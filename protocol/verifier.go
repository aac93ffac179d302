package protocol

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A role's password as PostgreSQL stores it in pg_authid.rolpassword is a
// verifier, not the password: a SCRAM-SHA-256 secret, or a legacy md5 hash.
// The exchanges below authenticate against such a verifier, so the server
// never needs the password itself.

// SCRAMSecret is a stored SCRAM-SHA-256 secret. StoredKey checks the client's
// proof and ServerKey signs the server's answer (RFC 5802).
type SCRAMSecret struct {
	Iterations int
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
}

// ParseSCRAMSecret reads PostgreSQL's form
// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", base64 parts.
func ParseSCRAMSecret(s string) (SCRAMSecret, bool) {
	var sec SCRAMSecret
	rest, ok := strings.CutPrefix(s, scramMechanism+"$")
	if !ok {
		return sec, false
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return sec, false
	}
	iter, salt, ok1 := strings.Cut(params, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return sec, false
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n <= 0 {
		return sec, false
	}
	sec.Iterations = n
	var errs [3]error
	sec.Salt, errs[0] = base64.StdEncoding.DecodeString(salt)
	sec.StoredKey, errs[1] = base64.StdEncoding.DecodeString(stored)
	sec.ServerKey, errs[2] = base64.StdEncoding.DecodeString(server)
	for _, err := range errs {
		if err != nil {
			return SCRAMSecret{}, false
		}
	}
	if len(sec.Salt) == 0 || len(sec.StoredKey) != sha256.Size || len(sec.ServerKey) != sha256.Size {
		return SCRAMSecret{}, false
	}
	return sec, true
}

// MockSCRAMSecret is a random secret that no password matches. Like
// PostgreSQL, the server runs a full exchange against one for a role that
// does not exist or has no usable password, so that a client cannot tell
// those cases from a wrong password.
func MockSCRAMSecret() SCRAMSecret {
	sec := SCRAMSecret{Iterations: scramIterations, Salt: make([]byte, scramSaltLen),
		StoredKey: make([]byte, sha256.Size), ServerKey: make([]byte, sha256.Size)}
	_, _ = rand.Read(sec.Salt)
	_, _ = rand.Read(sec.StoredKey)
	_, _ = rand.Read(sec.ServerKey)
	return sec
}

// AuthenticateSCRAMSecret runs SCRAM-SHA-256 with the stored salt, iteration
// count and keys. On success the server signature has been sent and flushed.
func AuthenticateSCRAMSecret(be *pgproto3.Backend, sec SCRAMSecret) error {
	return scramExchange(be, sec.Salt, sec.Iterations, func(authMessage, proof []byte) ([]byte, error) {
		if storedKeyProofValid(sec.StoredKey, authMessage, proof) {
			return sec.ServerKey, nil
		}
		return nil, nil
	})
}

// IsMD5Secret reports whether s is PostgreSQL's md5 form: "md5" followed by
// 32 lower-case hex digits of md5(password || user).
func IsMD5Secret(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	for i := 3; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// AuthenticateMD5Secret runs the md5 challenge against a stored md5 hash:
// the client's answer is md5(hash || salt), which the hash alone gives.
func AuthenticateMD5Secret(be *pgproto3.Backend, secret string) error {
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return err
	}
	be.Send(&pgproto3.AuthenticationMD5Password{Salt: salt})
	msg, err := receiveAuth[*pgproto3.PasswordMessage](be, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	if !IsMD5Secret(secret) {
		return ErrAuthFailed
	}
	outer := md5.Sum(append([]byte(secret[3:]), salt[:]...))
	want := "md5" + hex.EncodeToString(outer[:])
	if subtle.ConstantTimeCompare([]byte(msg.Password), []byte(want)) != 1 {
		return ErrAuthFailed
	}
	return nil
}

// AuthenticateCleartextSecret asks for the password in clear text and checks
// it against a stored verifier of either kind (CheckPlainPassword).
func AuthenticateCleartextSecret(be *pgproto3.Backend, user, secret string) error {
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	msg, err := receiveAuth[*pgproto3.PasswordMessage](be, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	if msg.Password == "" || !CheckPlainPassword(user, msg.Password, secret) {
		return ErrAuthFailed
	}
	return nil
}

// CheckPlainPassword reports whether password matches a stored verifier: a
// SCRAM secret is recomputed from its salt and iterations (after the same
// normalisations AuthenticateSCRAM accepts), an md5 hash from the role name.
func CheckPlainPassword(user, password, secret string) bool {
	if sec, ok := ParseSCRAMSecret(secret); ok {
		for _, candidate := range scramPasswords(password) {
			salted, err := pbkdf2.Key(sha256.New, candidate, sec.Salt, sec.Iterations, sha256.Size)
			if err != nil {
				return false
			}
			if hmac.Equal(hmacSHA256(salted, []byte("Server Key")), sec.ServerKey) {
				return true
			}
		}
		return false
	}
	if IsMD5Secret(secret) {
		sum := md5.Sum([]byte(password + user))
		return subtle.ConstantTimeCompare([]byte("md5"+hex.EncodeToString(sum[:])), []byte(secret)) == 1
	}
	return false
}
