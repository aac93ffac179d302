package protocol

import "encoding/binary"

// CopyInViolation scans what a client sent while its COPY FROM STDIN runs: CopyData, and
// Flush and Sync (which PostgreSQL ignores there), up to a CopyDone or CopyFail that ends the
// COPY, after which anything may follow. Any other message is the client's protocol violation
// (PostgreSQL ends that connection with FATAL); passed on, it would make the shared backend
// lose protocol synchronisation and exit. CopyInViolation returns the offset of the first such
// message and its type, or ok false when there is none. msgs holds whole messages.
func CopyInViolation(msgs []byte) (offset int, typ byte, ok bool) {
	for off := 0; off+headerLen <= len(msgs); {
		switch t := msgs[off]; {
		case AllowedInCopyIn(t):
		case EndsCopyIn(t):
			return 0, 0, false
		default:
			return off, t, true
		}
		off += 1 + int(binary.BigEndian.Uint32(msgs[off+1:]))
	}
	return 0, 0, false
}

// CopyInFatal is PostgreSQL's FATAL for a message that is not allowed during COPY FROM STDIN.
func CopyInFatal(typ byte) []byte {
	return FatalError("08P01", "unexpected message type 0x"+hexByte(typ)+" during COPY from stdin")
}

func hexByte(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// Frontend message types as the COPY FROM STDIN sub-protocol sees them.

// AllowedInCopyIn reports whether a client may send a message of type t while its COPY
// FROM STDIN runs without ending it: CopyData, and Flush and Sync, which PostgreSQL ignores.
func AllowedInCopyIn(t byte) bool { return t == 'd' || t == 'H' || t == 'S' }

// EndsCopyIn reports whether t is CopyDone or CopyFail.
func EndsCopyIn(t byte) bool { return t == 'c' || t == 'f' }

// MayStartCopy reports whether a frontend message of type t can make the backend enter a
// COPY: a simple Query or an Execute.
func MayStartCopy(t byte) bool { return t == 'Q' || t == 'E' }

// IsCopyInResponse reports whether a backend message of type t is CopyInResponse.
func IsCopyInResponse(t byte) bool { return t == 'G' }

// IsParse and IsCloseStatement recognise the frontend messages that create and drop a
// prepared statement.
func IsParse(m []byte) bool { return len(m) > 0 && m[0] == 'P' }

// IsCloseStatement reports whether m is a Close of a prepared statement (not a portal).
func IsCloseStatement(m []byte) bool { return len(m) > 5 && m[0] == 'C' && m[5] == 'S' }
