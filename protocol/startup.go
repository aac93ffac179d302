package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// DefaultMaxStartupLen mirrors PostgreSQL's MAX_STARTUP_PACKET_LENGTH: a
// startup packet is read before authentication, so it must be small.
const DefaultMaxStartupLen = 10000

// Request codes that share the startup packet layout with StartupMessage.
const (
	cancelRequestCode   = 80877102
	sslRequestCode      = 80877103
	gssencRequestCode   = 80877104
	protocolMajor       = 3
	minCancelKeyLen     = 4
	maxCancelKeyLen     = 256
	minStartupPacketLen = 8
)

// Sentinels for startup-phase failures; ReadStartup returns a *StartupError
// wrapping exactly one of them so callers can pick the right SQLSTATE.
var (
	ErrStartupTooLarge     = errors.New("protocol: startup packet too large")
	ErrStartupTruncated    = errors.New("protocol: startup packet truncated")
	ErrBadStartupLength    = errors.New("protocol: invalid startup packet length")
	ErrUnsupportedProtocol = errors.New("protocol: unsupported frontend protocol")
	ErrMalformedStartup    = errors.New("protocol: invalid startup packet layout")
)

// StartupError describes why a startup packet was rejected. Kind is one of
// the Err* sentinels above; Cause, when set, is the underlying I/O error.
type StartupError struct {
	Kind   error
	Detail string
	Cause  error
}

func (e *StartupError) Error() string {
	msg := e.Kind.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap exposes both the sentinel and the I/O cause to errors.Is.
func (e *StartupError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

func startupErr(kind error, format string, args ...any) *StartupError {
	return &StartupError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// StartupKind says which of the four packets that may open a connection was
// received.
type StartupKind int

// The packets a client may send before the regular protocol starts.
const (
	KindStartup StartupKind = iota
	KindSSLRequest
	KindGSSENCRequest
	KindCancel
)

func (k StartupKind) String() string {
	switch k {
	case KindStartup:
		return "StartupMessage"
	case KindSSLRequest:
		return "SSLRequest"
	case KindGSSENCRequest:
		return "GSSENCRequest"
	case KindCancel:
		return "CancelRequest"
	}
	return fmt.Sprintf("StartupKind(%d)", int(k))
}

// Startup is one decoded startup-phase packet. Only the fields relevant to
// Kind are set. Raw is a private copy of the whole packet, length included.
type Startup struct {
	Kind         StartupKind
	Major, Minor uint16
	// Params holds the StartupMessage parameters; a repeated key keeps its
	// last value, as PostgreSQL does.
	Params map[string]string
	// ParamOrder lists each key once, in first-seen order, so the packet can
	// be re-encoded faithfully.
	ParamOrder []string
	CancelPID  uint32
	CancelKey  []byte
	Raw        []byte
}

// ReadStartup reads exactly one startup-phase packet from r and nothing more,
// so r can be handed to TLS or a message reader afterwards. maxLen <= 0 means
// DefaultMaxStartupLen. A connection closed before any byte arrives yields a
// bare io.EOF, which callers usually treat as a silent disconnect; other
// read errors (deadlines, resets) are returned unwrapped.
func ReadStartup(r io.Reader, maxLen int) (Startup, error) {
	if maxLen <= 0 {
		maxLen = DefaultMaxStartupLen
	}
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && err == io.EOF {
			return Startup{}, io.EOF
		}
		return Startup{}, truncated(err, "reading length")
	}
	length := int64(int32(binary.BigEndian.Uint32(hdr[:])))
	if length < minStartupPacketLen {
		return Startup{}, startupErr(ErrBadStartupLength, "length %d", length)
	}
	if length > int64(maxLen) {
		return Startup{}, startupErr(ErrStartupTooLarge, "length %d exceeds %d", length, maxLen)
	}
	raw, err := readLarge(r, hdr[:], int(length))
	if err != nil {
		return Startup{}, truncated(err, fmt.Sprintf("want %d bytes", length))
	}
	return parseStartup(raw)
}

// truncated wraps an end of stream inside the packet in ErrStartupTruncated
// and returns any other read error, such as a deadline, unchanged.
func truncated(err error, detail string) error {
	if err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	return &StartupError{Kind: ErrStartupTruncated, Detail: detail, Cause: io.ErrUnexpectedEOF}
}

// parseStartup decodes a complete packet whose length field already matches
// len(raw) and is at least 8.
func parseStartup(raw []byte) (Startup, error) {
	code := binary.BigEndian.Uint32(raw[4:8])
	payload := raw[8:]
	s := Startup{Raw: raw}
	switch code {
	case sslRequestCode, gssencRequestCode:
		if len(payload) != 0 {
			return Startup{}, startupErr(ErrBadStartupLength, "encryption request with %d extra bytes", len(payload))
		}
		s.Kind = KindSSLRequest
		if code == gssencRequestCode {
			s.Kind = KindGSSENCRequest
		}
		return s, nil
	case cancelRequestCode:
		// ProcessID plus a secret key of 4 bytes (3.0) up to 256 bytes (3.2).
		if len(payload) < 4+minCancelKeyLen || len(payload) > 4+maxCancelKeyLen {
			return Startup{}, startupErr(ErrBadStartupLength, "cancel request of %d bytes", len(raw))
		}
		s.Kind = KindCancel
		s.CancelPID = binary.BigEndian.Uint32(payload)
		s.CancelKey = payload[4:]
		return s, nil
	}
	s.Kind = KindStartup
	s.Major, s.Minor = uint16(code>>16), uint16(code)
	if s.Major != protocolMajor {
		return Startup{}, startupErr(ErrUnsupportedProtocol, "%d.%d", s.Major, s.Minor)
	}
	if err := s.parseParams(payload); err != nil {
		return Startup{}, err
	}
	return s, nil
}

// parseParams applies PostgreSQL's rules: NUL-terminated key/value pairs, an
// empty key as the final terminator and nothing after it, and a non-empty
// user.
func (s *Startup) parseParams(b []byte) error {
	s.Params = make(map[string]string)
	for {
		key, rest, ok := cstring(b)
		if !ok {
			return startupErr(ErrMalformedStartup, "missing terminator")
		}
		if len(key) == 0 {
			if len(rest) != 0 {
				return startupErr(ErrMalformedStartup, "expected terminator as last byte")
			}
			break
		}
		val, rest, ok := cstring(rest)
		if !ok {
			return startupErr(ErrMalformedStartup, "parameter %q has no value", key)
		}
		k := string(key)
		if _, dup := s.Params[k]; !dup {
			s.ParamOrder = append(s.ParamOrder, k)
		}
		s.Params[k] = string(val)
		b = rest
	}
	if s.Params["user"] == "" {
		return startupErr(ErrMalformedStartup, "no user name specified")
	}
	return nil
}

// protocolOptionPrefix marks protocol extension options, which a server must
// either understand or list in NegotiateProtocolVersion.
const protocolOptionPrefix = "_pq_."

// ProtocolOptions lists the "_pq_." parameters in packet order. We implement
// none of them, so all of them must be reported back as unrecognized.
func (s Startup) ProtocolOptions() []string {
	var opts []string
	for _, k := range s.ParamOrder {
		if strings.HasPrefix(k, protocolOptionPrefix) {
			opts = append(opts, k)
		}
	}
	return opts
}

// NeedsNegotiation reports whether the server must answer with
// NegotiateProtocolVersion before authentication: the client asked for a
// newer minor version than newestMinor or sent protocol options.
func (s Startup) NeedsNegotiation(newestMinor uint16) bool {
	return s.Kind == KindStartup && (s.Minor > newestMinor || len(s.ProtocolOptions()) > 0)
}

// NegotiateProtocolVersion encodes the 'v' message that tells a client which
// minor version and options the server actually speaks.
func NegotiateProtocolVersion(newestMinor uint32, unsupportedOpts []string) []byte {
	msg := pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: newestMinor, UnrecognizedOptions: unsupportedOpts}
	out, err := msg.Encode(nil)
	if err != nil {
		return nil
	}
	return out
}

// EncodeStartup builds a protocol 3.minor StartupMessage, used to hand the
// backend a normalised packet. Keys are written in sorted order so the bytes
// are deterministic. Pairs that cannot be represented (empty key, or a NUL
// inside key or value) are skipped; values from ReadStartup never hit this.
func EncodeStartup(params map[string]string, minor uint16) []byte {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k == "" || strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dst := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(dst[4:], protocolMajor<<16|uint32(minor))
	for _, k := range keys {
		dst = appendCString(dst, k)
		dst = appendCString(dst, params[k])
	}
	dst = append(dst, 0)
	binary.BigEndian.PutUint32(dst, uint32(len(dst)))
	return dst
}
