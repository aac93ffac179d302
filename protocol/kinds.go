package protocol

// Message predicates: the one place that knows the wire protocol's type bytes. Everything
// above protocol/ asks these, so that no other package switches on raw type bytes. Each takes
// a whole message (type byte first) and reports false for an empty one.

// BackendKind names the backend messages the session layer acts on.
type BackendKind int

const (
	OtherBackend BackendKind = iota
	KindNotification
	KindReadyForQuery
	KindParameterStatus
	KindError
	KindNotice
	KindCommandComplete
	KindRowDescription
	KindDataRow
)

var backendKinds = [256]BackendKind{
	'A': KindNotification, 'Z': KindReadyForQuery, 'S': KindParameterStatus, 'E': KindError,
	'N': KindNotice, 'C': KindCommandComplete, 'T': KindRowDescription, 'D': KindDataRow,
}

// KindOf classifies a backend message.
func KindOf(msg []byte) BackendKind {
	if len(msg) == 0 {
		return OtherBackend
	}
	return backendKinds[msg[0]]
}

// IsTerminate reports whether a frontend message is Terminate.
func IsTerminate(m []byte) bool { return len(m) > 0 && m[0] == 'X' }

// QueryText returns the SQL of a simple Query message.
func QueryText(m []byte) (string, bool) {
	if len(m) < headerLen+1 || m[0] != 'Q' {
		return "", false
	}
	s, _, ok := cstring(m[headerLen:])
	return string(s), ok
}

// ParseFields returns the statement name and SQL of a Parse message.
func ParseFields(m []byte) (name, sql string, ok bool) {
	if len(m) < headerLen+2 || m[0] != 'P' {
		return "", "", false
	}
	n, rest, ok := cstring(m[headerLen:])
	if !ok {
		return "", "", false
	}
	q, _, ok := cstring(rest)
	return string(n), string(q), ok
}

// BindPortal returns the portal name of a Bind message.
func BindPortal(m []byte) (string, bool) {
	if len(m) < headerLen+1 || m[0] != 'B' {
		return "", false
	}
	p, _, ok := cstring(m[headerLen:])
	return string(p), ok
}

// ClosedStatement returns the name in a Close of a prepared statement.
func ClosedStatement(m []byte) (string, bool) {
	if !IsCloseStatement(m) {
		return "", false
	}
	n, _, ok := cstring(m[headerLen+1:])
	return string(n), ok
}
