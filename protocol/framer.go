package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Framing errors for regular frontend messages. They are returned wrapped
// with the offending type or length, so use errors.Is.
var (
	ErrMessageTooLarge    = errors.New("protocol: message too large")
	ErrBadLength          = errors.New("protocol: invalid message length")
	ErrUnknownMessageType = errors.New("invalid frontend message type")
)

// frontendTypes marks every type byte a client may send after startup: the
// ones PostgresMain accepts. A relay must refuse anything else, including a
// stray password message ('p', valid only during authentication), instead of
// passing it to the shared backend, where a protocol violation would end
// every session at once.
var frontendTypes = func() (t [256]bool) {
	for _, c := range []byte("BCdcfDEHFPQSX") {
		t[c] = true
	}
	return t
}()

// IsFrontendType reports whether typ is a valid post-startup frontend
// message type.
func IsFrontendType(typ byte) bool { return frontendTypes[typ] }

// Message is one complete frontend message. Raw holds the type byte, the
// length and the body; it stays valid only until the next Framer.Next call.
type Message struct {
	Type byte
	Raw  []byte
}

// Body returns the message payload after the 5-byte header.
func (m Message) Body() []byte { return m.Raw[headerLen:] }

// Framer splits a client's byte stream into messages without interpreting
// them, so the relay can forward the exact bytes it received.
type Framer struct {
	// MaxMessageLen caps the length field (which counts itself but not the
	// type byte); zero means DefaultMaxMessageLen.
	MaxMessageLen int

	r       *bufio.Reader
	buf     []byte
	partial int // see Partial
}

// reuseLimit is the largest buffer the Framer keeps between messages. Bigger
// messages get a one-off allocation so one huge COPY row does not pin its
// memory for the rest of the session.
const reuseLimit = 256 << 10

// growStep is the largest allocation made before the data to fill it has
// arrived.
const growStep = 1 << 20

// NewFramer reads messages from r through a buffered reader.
func NewFramer(r io.Reader) *Framer {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	return &Framer{r: br, buf: make([]byte, 0, 1024)}
}

// Buffered reports how many bytes have been read from the connection but not
// yet returned as messages.
func (f *Framer) Buffered() int { return f.r.Buffered() }

// Partial is the size of the one-off buffer (see reuseLimit) that held the message a read
// error cut short, 0 if the error came between messages or inside a small one: the memory
// a vanished client's half-sent message took.
func (f *Framer) Partial() int { return f.partial }

// Next returns the next message. A clean end of stream between messages is
// io.EOF; an end inside a message is io.ErrUnexpectedEOF; other read errors
// are returned as they are. After any error the stream position is lost.
func (f *Framer) Next() (Message, error) {
	hdr := f.buf[:headerLen]
	if n, err := io.ReadFull(f.r, hdr); err != nil {
		if n == 0 && err == io.EOF {
			return Message{}, io.EOF
		}
		return Message{}, midMessage(err)
	}
	typ := hdr[0]
	if !frontendTypes[typ] {
		return Message{}, fmt.Errorf("%w %d", ErrUnknownMessageType, typ) // PostgreSQL's words
	}
	length := int64(int32(binary.BigEndian.Uint32(hdr[1:])))
	if length < 4 {
		return Message{}, fmt.Errorf("%w: %d for %q", ErrBadLength, length, typ)
	}
	limit := f.MaxMessageLen
	if limit <= 0 {
		limit = DefaultMaxMessageLen
	}
	if length > int64(limit) {
		return Message{}, fmt.Errorf("%w: %d bytes for %q, limit %d", ErrMessageTooLarge, length, typ, limit)
	}
	total := int(length) + 1
	if total <= reuseLimit {
		if cap(f.buf) < total {
			f.buf = append(f.buf[:headerLen], make([]byte, total-headerLen)...)
		}
		raw := f.buf[:total]
		if _, err := io.ReadFull(f.r, raw[headerLen:]); err != nil {
			return Message{}, midMessage(err)
		}
		return Message{Type: typ, Raw: raw}, nil
	}
	raw, err := readLarge(f.r, hdr, total)
	if err != nil {
		f.partial = cap(raw)
		return Message{}, err
	}
	return Message{Type: typ, Raw: raw}, nil
}

// readLarge reads a message of total bytes whose first bytes (hdr) are
// already in hand, growing its allocation only as data actually arrives so
// a lying length field cannot force a huge allocation. On an error it returns
// what it has read.
func readLarge(r io.Reader, hdr []byte, total int) ([]byte, error) {
	raw := make([]byte, len(hdr), min(total, max(growStep, len(hdr))))
	copy(raw, hdr)
	for len(raw) < total {
		if len(raw) == cap(raw) {
			raw = slices.Grow(raw, min(total, 2*cap(raw))-len(raw))
		}
		n, err := io.ReadFull(r, raw[len(raw):min(cap(raw), total)])
		raw = raw[:len(raw)+n]
		if err != nil {
			return raw, midMessage(err)
		}
	}
	return raw, nil
}

// midMessage reports an end of stream inside a message as
// io.ErrUnexpectedEOF and passes other errors, such as deadlines, through.
func midMessage(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
