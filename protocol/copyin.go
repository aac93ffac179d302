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
		switch t := msgs[off]; t {
		case 'd', 'H', 'S':
		case 'c', 'f':
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
