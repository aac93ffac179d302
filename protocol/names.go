package protocol

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrMalformedMessage means a message could not be parsed well enough to
// rewrite it. The relay must not forward such a message to the shared
// backend: PostgreSQL answers a malformed message with a FATAL error, which
// would end every client's session.
var ErrMalformedMessage = errors.New("protocol: malformed message")

// Namer isolates sessions that share one backend by prepending a
// per-session Prefix to every prepared-statement and portal name a client
// uses in the extended query protocol.
//
// The unnamed statement and portal are rewritten too (to Prefix itself), so
// one client's unnamed statement can never be replaced or executed by
// another. The price is that the backend now sees a named object, and named
// objects cannot be silently redefined: before forwarding a Parse of the
// unnamed statement, the caller must send CloseStatement(n.UnnamedStatement())
// (closing a missing statement is not an error), and likewise
// ClosePortal(n.UnnamedPortal()) before a Bind to the unnamed portal, and
// swallow the extra CloseComplete ('3') replies.
//
// Prefixes of different sessions must never be prefixes of one another or
// names could collide ("c1" + "1x" == "c11" + "x"); NewNamer produces
// fixed-width prefixes that satisfy this. PostgreSQL truncates statement and
// portal names to 63 bytes when looking them up, so keep prefixes short.
//
// Prefix must not contain a NUL byte.
//
// SQL-level PREPARE, EXECUTE, DEALLOCATE and DECLARE CURSOR travel inside
// query text and are not rewritten.
type Namer struct {
	Prefix string
}

// NewNamer returns a Namer whose 10-byte prefix is unique per session id and
// the same length for every id.
func NewNamer(session uint32) Namer {
	return Namer{Prefix: fmt.Sprintf("_%08x_", session)}
}

// Name maps a client-visible statement or portal name to the backend name.
func (n Namer) Name(client string) string { return n.Prefix + client }

// UnnamedStatement is the backend name of this session's unnamed statement.
func (n Namer) UnnamedStatement() string { return n.Prefix }

// UnnamedPortal is the backend name of this session's unnamed portal.
func (n Namer) UnnamedPortal() string { return n.Prefix }

// CloseStatement encodes a Close message for the backend statement name
// (already prefixed; no rewriting is applied).
func CloseStatement(name string) []byte { return encodeClose('S', name) }

// ClosePortal encodes a Close message for the backend portal name (already
// prefixed; no rewriting is applied).
func ClosePortal(name string) []byte { return encodeClose('P', name) }

func encodeClose(kind byte, name string) []byte {
	dst, start := beginMessage(make([]byte, 0, 7+len(name)), 'C')
	dst = append(dst, kind)
	dst = appendCString(dst, name)
	return finishMessage(dst, start)
}

// Rewrite appends msg to dst with every statement and portal name prefixed.
// Parse, Bind, Describe, Close and Execute are fully validated first, since
// they are decoded anyway and a broken one must not reach the backend; all
// other message types are copied unchanged, apart from a framing check.
// On error dst is returned unchanged.
func (n Namer) Rewrite(dst []byte, msg []byte) ([]byte, error) {
	typ, body, ok := splitMessage(msg)
	if !ok {
		return dst, fmt.Errorf("%w: bad framing", ErrMalformedMessage)
	}
	var err error
	switch typ {
	case 'P':
		err = checkParse(body)
	case 'B':
		err = checkBind(body)
	case 'D', 'C':
		err = checkTargeted(body)
	case 'E':
		err = checkExecute(body)
	default:
		return append(dst, msg...), nil
	}
	if err != nil {
		return dst, fmt.Errorf("%w: %q: %v", ErrMalformedMessage, typ, err)
	}

	out, start := beginMessage(dst, typ)
	switch typ {
	case 'P', 'E':
		// Name first, everything after it unchanged.
		name, rest, _ := cstring(body)
		out = n.appendName(out, name)
		out = append(out, rest...)
	case 'B':
		portal, rest, _ := cstring(body)
		stmt, rest, _ := cstring(rest)
		out = n.appendName(out, portal)
		out = n.appendName(out, stmt)
		out = append(out, rest...)
	case 'D', 'C':
		name, _, _ := cstring(body[1:])
		out = append(out, body[0])
		out = n.appendName(out, name)
	}
	return finishMessage(out, start), nil
}

func (n Namer) appendName(dst, name []byte) []byte {
	dst = append(dst, n.Prefix...)
	dst = append(dst, name...)
	return append(dst, 0)
}

var (
	errTrailing = errors.New("trailing bytes")
	errShort    = errors.New("truncated")
)

// checkParse validates: name, query, Int16 count, count x Int32 type OIDs.
func checkParse(b []byte) error {
	_, b, ok := cstring(b)
	if !ok {
		return errShort
	}
	if _, b, ok = cstring(b); !ok {
		return errShort
	}
	cnt, b, ok := uint16At(b)
	if !ok {
		return errShort
	}
	if int16(cnt) < 0 || len(b) != 4*int(cnt) {
		return errTrailing
	}
	return nil
}

// checkBind validates: portal, statement, format codes, parameter values
// (Int32 length, -1 for NULL) and result format codes, ending exactly.
func checkBind(b []byte) error {
	var ok bool
	if _, b, ok = cstring(b); !ok {
		return errShort
	}
	if _, b, ok = cstring(b); !ok {
		return errShort
	}
	if b, ok = skipInt16Array(b); !ok {
		return errShort
	}
	nparams, b, ok := uint16At(b)
	if !ok || int16(nparams) < 0 {
		return errShort
	}
	for range int(nparams) {
		var l uint32
		if l, b, ok = uint32At(b); !ok {
			return errShort
		}
		if int32(l) < 0 {
			if int32(l) != -1 {
				return errShort
			}
			continue
		}
		if uint64(l) > uint64(len(b)) {
			return errShort
		}
		b = b[l:]
	}
	if b, ok = skipInt16Array(b); !ok {
		return errShort
	}
	if len(b) != 0 {
		return errTrailing
	}
	return nil
}

// skipInt16Array skips an Int16 count followed by that many Int16 values.
func skipInt16Array(b []byte) ([]byte, bool) {
	cnt, b, ok := uint16At(b)
	if !ok || int16(cnt) < 0 || len(b) < 2*int(cnt) {
		return nil, false
	}
	return b[2*int(cnt):], true
}

// checkTargeted validates Describe and Close: kind 'S' or 'P', then a name.
func checkTargeted(b []byte) error {
	if len(b) < 1 || (b[0] != 'S' && b[0] != 'P') {
		return errors.New("kind must be 'S' or 'P'")
	}
	_, rest, ok := cstring(b[1:])
	if !ok {
		return errShort
	}
	if len(rest) != 0 {
		return errTrailing
	}
	return nil
}

// checkExecute validates: portal name, Int32 row limit.
func checkExecute(b []byte) error {
	_, rest, ok := cstring(b)
	if !ok {
		return errShort
	}
	if len(rest) != 4 {
		return errTrailing
	}
	return nil
}

// FixErrorText undoes the rewriting in the Message field of an
// ErrorResponse or NoticeResponse, where PostgreSQL quotes names (for
// example `prepared statement "X" does not exist`), so a client sees its own
// names. The unnamed statement's error is restored to PostgreSQL's wording
// for it. Any other message, or a malformed one, is returned as is;
// otherwise a new slice is returned.
func (n Namer) FixErrorText(backendMsg []byte) []byte {
	if n.Prefix == "" {
		return backendMsg
	}
	typ, body, ok := splitMessage(backendMsg)
	if !ok || (typ != 'E' && typ != 'N') {
		return backendMsg
	}
	needle := []byte(`"` + n.Prefix)
	if !bytes.Contains(body, needle) || !validFields(body) {
		return backendMsg
	}
	unnamed := []byte(`prepared statement "` + n.Prefix + `" does not exist`)
	out, start := beginMessage(make([]byte, 0, len(backendMsg)), typ)
	for len(body) > 1 {
		code := body[0]
		val, rest, _ := cstring(body[1:])
		out = append(out, code)
		switch {
		case code != 'M':
			out = append(out, val...)
		case bytes.Equal(val, unnamed):
			out = append(out, "unnamed prepared statement does not exist"...)
		default:
			out = append(out, bytes.ReplaceAll(val, needle, []byte(`"`))...)
		}
		out = append(out, 0)
		body = rest
	}
	out = append(out, 0)
	return finishMessage(out, start)
}

// validFields checks an error/notice body: (code byte, NUL-terminated value)*
// followed by a single NUL.
func validFields(b []byte) bool {
	for {
		if len(b) == 0 {
			return false
		}
		if b[0] == 0 {
			return len(b) == 1
		}
		var ok bool
		if _, b, ok = cstring(b[1:]); !ok {
			return false
		}
	}
}
