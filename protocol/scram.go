package protocol

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5/pgproto3"
	"golang.org/x/text/unicode/norm"
)

// SCRAM parameters, matching what PostgreSQL uses by default.
const (
	scramMechanism  = "SCRAM-SHA-256"
	scramIterations = 4096
	scramSaltLen    = 16
	scramNonceLen   = 18
)

// AuthenticateSCRAM runs a SCRAM-SHA-256 exchange (RFC 5802/7677) the way
// PostgreSQL does: no channel binding is offered, the SCRAM user name is
// ignored in favour of the startup user, and a fresh random salt is used per
// exchange because we hold the plaintext password rather than a stored
// verifier (AuthenticateSCRAMSecret takes one). On success the server
// signature has been sent and flushed.
func AuthenticateSCRAM(be *pgproto3.Backend, user, password string) error {
	_ = user // the startup packet already fixed the role, as in PostgreSQL
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	return scramExchange(be, salt, scramIterations, func(authMessage, proof []byte) ([]byte, error) {
		for _, candidate := range scramPasswords(password) {
			salted, err := pbkdf2.Key(sha256.New, candidate, salt, scramIterations, sha256.Size)
			if err != nil {
				return nil, err
			}
			if scramProofValid(salted, authMessage, proof) {
				return hmacSHA256(salted, []byte("Server Key")), nil
			}
		}
		return nil, nil
	})
}

// scramExchange runs the messages of a SCRAM-SHA-256 exchange with the given
// salt and iteration count. check decides whether the client's proof is right
// and returns the ServerKey that signs the server's final message, or nil for
// a wrong password.
func scramExchange(be *pgproto3.Backend, salt []byte, iterations int, check func(authMessage, proof []byte) ([]byte, error)) error {
	be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	initial, err := receiveAuth[*pgproto3.SASLInitialResponse](be, pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	if initial.AuthMechanism != scramMechanism {
		return fmt.Errorf("%w: unsupported SASL mechanism %q", ErrAuthProtocol, initial.AuthMechanism)
	}
	first, err := parseClientFirst(string(initial.Data))
	if err != nil {
		return err
	}

	nonce := make([]byte, scramNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	fullNonce := first.nonce + base64.StdEncoding.EncodeToString(nonce)
	serverFirst := "r=" + fullNonce + ",s=" + base64.StdEncoding.EncodeToString(salt) +
		",i=" + strconv.Itoa(iterations)

	be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	resp, err := receiveAuth[*pgproto3.SASLResponse](be, pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	final, err := parseClientFinal(string(resp.Data))
	if err != nil {
		return err
	}
	if final.binding != base64.StdEncoding.EncodeToString([]byte(first.gs2Header)) {
		return fmt.Errorf("%w: SCRAM channel binding check failed", ErrAuthProtocol)
	}
	if final.nonce != fullNonce {
		return fmt.Errorf("%w: SCRAM nonce mismatch", ErrAuthProtocol)
	}

	authMessage := []byte(first.bare + "," + serverFirst + "," + final.withoutProof)
	serverKey, err := check(authMessage, final.proof)
	if err != nil {
		return err
	}
	if serverKey == nil {
		return ErrAuthFailed
	}
	serverSig := hmacSHA256(serverKey, authMessage)
	be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	return be.Flush()
}

// scramProofValid checks a proof against the salted password.
func scramProofValid(salted, authMessage, proof []byte) bool {
	storedKey := sha256.Sum256(hmacSHA256(salted, []byte("Client Key")))
	return storedKeyProofValid(storedKey[:], authMessage, proof)
}

// storedKeyProofValid recovers ClientKey = proof XOR HMAC(StoredKey,
// AuthMessage) and checks that it hashes to StoredKey.
func storedKeyProofValid(storedKey, authMessage, proof []byte) bool {
	if len(proof) != sha256.Size || len(storedKey) != sha256.Size {
		return false
	}
	sig := hmacSHA256(storedKey, authMessage)
	recovered := make([]byte, sha256.Size)
	for i := range recovered {
		recovered[i] = proof[i] ^ sig[i]
	}
	got := sha256.Sum256(recovered)
	return hmac.Equal(got[:], storedKey)
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// scramPasswords lists the byte strings a client may have hashed. libpq
// applies SASLprep (NFKC) while pgx applies the PRECIS OpaqueString profile
// (NFC); both map non-ASCII spaces to U+0020, and both fall back to the raw
// password. ASCII passwords are the same under all three, so only they
// avoid extra PBKDF2 rounds.
func scramPasswords(password string) []string {
	out := []string{password}
	ascii := true
	for i := 0; i < len(password); i++ {
		if password[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return out
	}
	mapped := strings.Map(func(r rune) rune {
		if r != ' ' && unicode.Is(unicode.Zs, r) {
			return ' '
		}
		return r
	}, password)
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(norm.NFC.String(mapped))
	add(norm.NFKC.String(strings.Map(func(r rune) rune {
		if mappedToNothing(r) {
			return -1
		}
		return r
	}, mapped)))
	return out
}

// mappedToNothing is RFC 3454 table B.1, which SASLprep deletes.
func mappedToNothing(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x1806, r == 0x2060, r == 0xFEFF:
		return true
	case r >= 0x180B && r <= 0x180D, r >= 0x200B && r <= 0x200D, r >= 0xFE00 && r <= 0xFE0F:
		return true
	}
	return false
}

// clientFirst holds what the server needs from client-first-message.
type clientFirst struct {
	gs2Header string // "n,," or "y,,", echoed back base64'd in client-final
	bare      string // client-first-message-bare, part of AuthMessage
	nonce     string
}

// parseClientFirst accepts gs2 headers "n,," and "y,," only: "p=" would ask
// for channel binding we never offered, and PostgreSQL does not support an
// authorization identity or mandatory extensions either.
func parseClientFirst(msg string) (clientFirst, error) {
	var cf clientFirst
	switch {
	case strings.HasPrefix(msg, "n,,"), strings.HasPrefix(msg, "y,,"):
		cf.gs2Header, cf.bare = msg[:3], msg[3:]
	case strings.HasPrefix(msg, "p="):
		return cf, fmt.Errorf("%w: SCRAM channel binding requested but not offered", ErrAuthProtocol)
	default:
		return cf, fmt.Errorf("%w: malformed SCRAM client-first-message", ErrAuthProtocol)
	}
	attrs := strings.Split(cf.bare, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return cf, fmt.Errorf("%w: malformed SCRAM client-first-message", ErrAuthProtocol)
	}
	cf.nonce = attrs[1][2:]
	if !validNonce(cf.nonce) {
		return cf, fmt.Errorf("%w: invalid SCRAM client nonce", ErrAuthProtocol)
	}
	return cf, nil
}

// validNonce enforces RFC 5802's printable characters excluding ','.
func validNonce(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x21 || n[i] > 0x7e || n[i] == ',' {
			return false
		}
	}
	return true
}

// clientFinal holds the parsed client-final-message.
type clientFinal struct {
	binding      string
	nonce        string
	withoutProof string
	proof        []byte
}

// parseClientFinal expects "c=...,r=...[,ext...],p=..." with the proof last.
func parseClientFinal(msg string) (clientFinal, error) {
	var cf clientFinal
	bad := fmt.Errorf("%w: malformed SCRAM client-final-message", ErrAuthProtocol)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return cf, bad
	}
	cf.withoutProof = msg[:i]
	proof, err := base64.StdEncoding.DecodeString(msg[i+3:])
	if err != nil {
		return cf, bad
	}
	cf.proof = proof
	attrs := strings.Split(cf.withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return cf, bad
	}
	cf.binding, cf.nonce = attrs[0][2:], attrs[1][2:]
	return cf, nil
}
