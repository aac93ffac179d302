package protocol

import (
	"encoding/binary"
	"fmt"
)

// BackendScanner reassembles the backend's output, which arrives in chunks
// that may split messages anywhere, into whole messages. Complete messages
// inside a chunk are passed to emit without copying; only an unfinished tail
// is buffered, so memory is bounded by the largest single message.
type BackendScanner struct {
	// MaxMessageLen caps the length field; zero means DefaultMaxMessageLen.
	MaxMessageLen int

	buf []byte
	err error
}

// Feed processes one chunk, calling emit once per complete message (type,
// length and payload). The slice passed to emit is only valid during the
// call. If emit fails, or the stream is malformed, Feed returns the error
// and every later Feed returns it too: the stream position is lost.
func (s *BackendScanner) Feed(chunk []byte, emit func(msg []byte) error) error {
	if s.err != nil {
		return s.err
	}
	if err := s.feed(chunk, emit); err != nil {
		s.err = err
		s.buf = nil
		return err
	}
	return nil
}

// Pending reports how many bytes of an unfinished message are buffered; a
// non-zero value at end of stream means the backend stopped mid-message.
func (s *BackendScanner) Pending() int { return len(s.buf) }

func (s *BackendScanner) feed(chunk []byte, emit func([]byte) error) error {
	if len(s.buf) > 0 {
		var done bool
		var err error
		chunk, done, err = s.fillPending(chunk)
		if err != nil || !done {
			return err
		}
		err = emit(s.buf)
		s.release()
		if err != nil {
			return err
		}
	}
	for len(chunk) >= headerLen {
		total, err := s.frameLen(chunk)
		if err != nil {
			return err
		}
		if len(chunk) < total {
			break
		}
		if err := emit(chunk[:total]); err != nil {
			return err
		}
		chunk = chunk[total:]
	}
	s.buf = append(s.buf, chunk...)
	return nil
}

// fillPending moves bytes from chunk into the partial message until it is
// complete or chunk runs out, returning what is left of chunk.
func (s *BackendScanner) fillPending(chunk []byte) ([]byte, bool, error) {
	if len(s.buf) < headerLen {
		n := min(headerLen-len(s.buf), len(chunk))
		s.buf = append(s.buf, chunk[:n]...)
		chunk = chunk[n:]
		if len(s.buf) < headerLen {
			return chunk, false, nil
		}
	}
	total, err := s.frameLen(s.buf)
	if err != nil {
		return nil, false, err
	}
	n := min(total-len(s.buf), len(chunk))
	s.buf = append(s.buf, chunk[:n]...)
	return chunk[n:], len(s.buf) == total, nil
}

// release empties the partial buffer, dropping it entirely after a large
// message so one huge DataRow does not stay resident.
func (s *BackendScanner) release() {
	if cap(s.buf) > reuseLimit {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
}

// frameLen returns the full size (type byte included) of the message whose
// header starts b.
func (s *BackendScanner) frameLen(b []byte) (int, error) {
	length := int64(int32(binary.BigEndian.Uint32(b[1:headerLen])))
	if length < 4 {
		return 0, fmt.Errorf("%w: backend %q length %d", ErrBadLength, b[0], length)
	}
	limit := s.MaxMessageLen
	if limit <= 0 {
		limit = DefaultMaxMessageLen
	}
	if length > int64(limit) {
		return 0, fmt.Errorf("%w: backend %q length %d", ErrMessageTooLarge, b[0], length)
	}
	return int(length) + 1, nil
}

// ReadyStatus returns the transaction status ('I', 'T' or 'E') from a
// ReadyForQuery message.
func ReadyStatus(msg []byte) (byte, bool) {
	typ, body, ok := splitMessage(msg)
	if !ok || typ != 'Z' || len(body) != 1 {
		return 0, false
	}
	return body[0], true
}

// Notification decodes a NotificationResponse, which the relay must route
// to the sessions that LISTEN on channel.
func Notification(msg []byte) (pid uint32, channel, payload string, ok bool) {
	typ, body, ok := splitMessage(msg)
	if !ok || typ != 'A' {
		return 0, "", "", false
	}
	pid, body, ok = uint32At(body)
	if !ok {
		return 0, "", "", false
	}
	ch, body, ok := cstring(body)
	if !ok {
		return 0, "", "", false
	}
	pl, body, ok := cstring(body)
	if !ok || len(body) != 0 {
		return 0, "", "", false
	}
	return pid, string(ch), string(pl), true
}

// ParameterStatus decodes a ParameterStatus report of a changed setting.
func ParameterStatus(msg []byte) (name, value string, ok bool) {
	typ, body, ok := splitMessage(msg)
	if !ok || typ != 'S' {
		return "", "", false
	}
	n, body, ok := cstring(body)
	if !ok {
		return "", "", false
	}
	v, body, ok := cstring(body)
	if !ok || len(body) != 0 {
		return "", "", false
	}
	return string(n), string(v), true
}

// CommandTag returns the tag of a CommandComplete message, such as
// "SELECT 1" or "BEGIN".
func CommandTag(msg []byte) (string, bool) {
	typ, body, ok := splitMessage(msg)
	if !ok || typ != 'C' {
		return "", false
	}
	tag, body, ok := cstring(body)
	if !ok || len(body) != 0 {
		return "", false
	}
	return string(tag), true
}

// ErrorFields extracts the fields a relay acts on from an ErrorResponse or
// NoticeResponse. severity prefers the never-localized 'V' field and falls
// back to 'S'.
func ErrorFields(msg []byte) (severity, code, message string, ok bool) {
	typ, body, ok := splitMessage(msg)
	if !ok || (typ != 'E' && typ != 'N') || !validFields(body) {
		return "", "", "", false
	}
	var localized string
	for len(body) > 1 {
		f := body[0]
		val, rest, _ := cstring(body[1:])
		switch f {
		case 'S':
			localized = string(val)
		case 'V':
			severity = string(val)
		case 'C':
			code = string(val)
		case 'M':
			message = string(val)
		}
		body = rest
	}
	if severity == "" {
		severity = localized
	}
	return severity, code, message, true
}
