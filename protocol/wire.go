// Package protocol holds pure PostgreSQL wire-protocol helpers for a server
// that multiplexes many client sessions onto one backend session: reading
// startup packets and frontend messages, rewriting statement and portal names
// so sessions cannot see each other's objects, scanning the backend's output
// stream, building error responses and running password authentication.
//
// Nothing here knows about the backend implementation; every function works
// on raw message bytes or on a pgproto3.Backend.
package protocol

import (
	"bytes"
	"encoding/binary"
)

// headerLen is the size of a regular message header: one type byte plus the
// Int32 length that counts itself but not the type byte.
const headerLen = 5

// DefaultMaxMessageLen bounds a single regular message (type byte excluded)
// when no other limit is configured. PostgreSQL's own hard limit for a
// protocol message is 1 GiB, so this never rejects something the backend
// would accept.
const DefaultMaxMessageLen = 1 << 30

// AppendMessage appends one regular message with the given type and body to
// dst, filling in the length field, and returns the extended slice.
func AppendMessage(dst []byte, typ byte, body []byte) []byte {
	dst, start := beginMessage(dst, typ)
	dst = append(dst, body...)
	return finishMessage(dst, start)
}

// beginMessage appends the type byte and a placeholder length; the returned
// offset is where the length field lives, for finishMessage to patch.
func beginMessage(dst []byte, typ byte) ([]byte, int) {
	dst = append(dst, typ)
	start := len(dst)
	return append(dst, 0, 0, 0, 0), start
}

// finishMessage writes the final length, which counts everything from the
// length field to the end of dst.
func finishMessage(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// appendCString appends s followed by the NUL terminator used for every
// string on the wire.
func appendCString(dst []byte, s string) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}

// splitMessage checks that msg is exactly one well-framed regular message and
// returns its type and body. Callers get ok=false instead of a panic for any
// truncated or over-long input.
func splitMessage(msg []byte) (typ byte, body []byte, ok bool) {
	if len(msg) < headerLen {
		return 0, nil, false
	}
	n := binary.BigEndian.Uint32(msg[1:headerLen])
	if uint64(n) != uint64(len(msg)-1) {
		return 0, nil, false
	}
	return msg[0], msg[headerLen:], true
}

// cstring splits a NUL-terminated string off the front of b.
func cstring(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// uint16At and uint32At read big-endian integers, reporting whether b was
// long enough so that malformed input never panics.
func uint16At(b []byte) (uint16, []byte, bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint16(b), b[2:], true
}

func uint32At(b []byte) (uint32, []byte, bool) {
	if len(b) < 4 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint32(b), b[4:], true
}
