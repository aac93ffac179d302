package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"
)

// packet builds a startup-phase packet from a code and payload.
func packet(code uint32, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(b, uint32(8+len(payload)))
	binary.BigEndian.PutUint32(b[4:], code)
	return append(b, payload...)
}

// kv joins alternating keys and values into a NUL-separated payload with
// the final terminator.
func kv(pairs ...string) []byte {
	var b []byte
	for _, p := range pairs {
		b = append(b, p...)
		b = append(b, 0)
	}
	return append(b, 0)
}

func TestReadStartupMessage(t *testing.T) {
	raw := packet(196610, kv("user", "alice", "database", "db", "_pq_.foo", "1", "user", "bob"))
	s, err := ReadStartup(bytes.NewReader(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != KindStartup || s.Major != 3 || s.Minor != 2 {
		t.Fatalf("got %+v", s)
	}
	if s.Params["user"] != "bob" || s.Params["database"] != "db" {
		t.Fatalf("params %v", s.Params)
	}
	if want := []string{"user", "database", "_pq_.foo"}; !reflect.DeepEqual(s.ParamOrder, want) {
		t.Fatalf("order %v", s.ParamOrder)
	}
	if !bytes.Equal(s.Raw, raw) {
		t.Fatal("raw differs")
	}
	if got := s.ProtocolOptions(); !reflect.DeepEqual(got, []string{"_pq_.foo"}) {
		t.Fatalf("options %v", got)
	}
	if !s.NeedsNegotiation(2) || !s.NeedsNegotiation(0) {
		t.Fatal("options must force negotiation")
	}
}

func TestReadStartupAnyMinor(t *testing.T) {
	for _, minor := range []uint32{0, 1, 2, 7, 0xffff} {
		s, err := ReadStartup(bytes.NewReader(packet(3<<16|minor, kv("user", "u"))), 0)
		if err != nil {
			t.Fatalf("minor %d: %v", minor, err)
		}
		if s.Minor != uint16(minor) {
			t.Fatalf("minor %d parsed as %d", minor, s.Minor)
		}
		if s.NeedsNegotiation(2) != (minor > 2) {
			t.Fatalf("minor %d negotiation", minor)
		}
	}
}

func TestReadStartupSpecialRequests(t *testing.T) {
	s, err := ReadStartup(bytes.NewReader(packet(sslRequestCode, nil)), 0)
	if err != nil || s.Kind != KindSSLRequest {
		t.Fatalf("ssl: %v %v", s.Kind, err)
	}
	s, err = ReadStartup(bytes.NewReader(packet(gssencRequestCode, nil)), 0)
	if err != nil || s.Kind != KindGSSENCRequest {
		t.Fatalf("gss: %v %v", s.Kind, err)
	}
	for _, keyLen := range []int{4, 32, 256} {
		key := bytes.Repeat([]byte{0xab}, keyLen)
		payload := append([]byte{0, 0, 0x30, 0x39}, key...)
		s, err = ReadStartup(bytes.NewReader(packet(cancelRequestCode, payload)), 0)
		if err != nil || s.Kind != KindCancel || s.CancelPID != 12345 || !bytes.Equal(s.CancelKey, key) {
			t.Fatalf("cancel %d: %+v %v", keyLen, s, err)
		}
	}
}

func TestReadStartupLeavesRestUnread(t *testing.T) {
	r := bytes.NewReader(append(packet(sslRequestCode, nil), 'X', 'Y'))
	if _, err := ReadStartup(r, 0); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Fatalf("consumed too much: %d left", r.Len())
	}
}

func TestReadStartupErrors(t *testing.T) {
	lenOnly := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	big := packet(196608, kv("user", strings.Repeat("x", 20000)))
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"partial length", []byte{0, 0}, 0, ErrStartupTruncated},
		{"length 0", lenOnly(0), 0, ErrBadStartupLength},
		{"length 7", append(lenOnly(7), 1, 2, 3), 0, ErrBadStartupLength},
		{"negative length", lenOnly(0x80000000), 0, ErrBadStartupLength},
		{"too large default", big, 0, ErrStartupTooLarge},
		{"too large custom", packet(196608, kv("user", "abcdefgh")), 16, ErrStartupTooLarge},
		{"truncated body", packet(196608, kv("user", "u"))[:12], 0, ErrStartupTruncated},
		{"truncated code", lenOnly(8), 0, ErrStartupTruncated},
		{"ssl with payload", packet(sslRequestCode, []byte{0}), 0, ErrBadStartupLength},
		{"gss with payload", packet(gssencRequestCode, []byte{0, 0, 0, 0}), 0, ErrBadStartupLength},
		{"cancel key too short", packet(cancelRequestCode, make([]byte, 7)), 0, ErrBadStartupLength},
		{"cancel without key", packet(cancelRequestCode, make([]byte, 4)), 0, ErrBadStartupLength},
		{"cancel key too long", packet(cancelRequestCode, make([]byte, 4+257)), 0, ErrBadStartupLength},
		{"protocol 2.0", packet(2<<16, kv("user", "u")), 0, ErrUnsupportedProtocol},
		{"protocol 4.0", packet(4<<16, kv("user", "u")), 0, ErrUnsupportedProtocol},
		{"unknown 1234 code", packet(1234<<16|5677, nil), 0, ErrUnsupportedProtocol},
		{"no params at all", packet(196608, nil), 0, ErrMalformedStartup},
		{"missing final terminator", packet(196608, []byte("user\x00u\x00")), 0, ErrMalformedStartup},
		{"unterminated key", packet(196608, []byte("user")), 0, ErrMalformedStartup},
		{"key without value", packet(196608, []byte("user\x00u\x00database\x00")), 0, ErrMalformedStartup},
		{"unterminated value", packet(196608, []byte("user\x00u")), 0, ErrMalformedStartup},
		{"bytes after terminator", packet(196608, append(kv("user", "u"), 'x')), 0, ErrMalformedStartup},
		{"missing user", packet(196608, kv("database", "d")), 0, ErrMalformedStartup},
		{"empty user", packet(196608, kv("user", "")), 0, ErrMalformedStartup},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadStartup(bytes.NewReader(tc.in), tc.max)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var se *StartupError
			if !errors.As(err, &se) {
				t.Fatalf("%T is not *StartupError", err)
			}
		})
	}
}

func TestReadStartupEOF(t *testing.T) {
	if _, err := ReadStartup(bytes.NewReader(nil), 0); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
	_, err := ReadStartup(bytes.NewReader(packet(196608, kv("user", "u"))[:10]), 0)
	if !errors.Is(err, ErrStartupTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	// Byte-at-a-time delivery must not matter.
	raw := packet(196608, kv("user", "u", "database", "d"))
	s, err := ReadStartup(iotest.OneByteReader(bytes.NewReader(raw)), 0)
	if err != nil || s.Params["database"] != "d" {
		t.Fatalf("one-byte reader: %v", err)
	}
}

func TestEncodeStartupRoundTrip(t *testing.T) {
	params := map[string]string{"user": "u", "database": "d", "application_name": "", "bad\x00key": "x", "": "y"}
	raw := EncodeStartup(params, 0)
	var msg pgproto3.StartupMessage
	if err := msg.Decode(raw[4:]); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"user": "u", "database": "d", "application_name": ""}
	if msg.ProtocolVersion != pgproto3.ProtocolVersion30 || !reflect.DeepEqual(msg.Parameters, want) {
		t.Fatalf("decoded %+v", msg)
	}
	s, err := ReadStartup(bytes.NewReader(EncodeStartup(want, 2)), 0)
	if err != nil || !reflect.DeepEqual(s.Params, want) || s.Minor != 2 {
		t.Fatalf("reread %+v %v", s, err)
	}
	if !bytes.Equal(EncodeStartup(want, 0), raw) {
		t.Fatal("encoding not deterministic")
	}
}

func TestNegotiateProtocolVersion(t *testing.T) {
	raw := NegotiateProtocolVersion(0, []string{"_pq_.a", "_pq_.b"})
	typ, body, ok := splitMessage(raw)
	if !ok || typ != 'v' {
		t.Fatalf("bad framing %q", raw)
	}
	var msg pgproto3.NegotiateProtocolVersion
	if err := msg.Decode(body); err != nil {
		t.Fatal(err)
	}
	if msg.NewestMinorProtocol != 0 || !reflect.DeepEqual(msg.UnrecognizedOptions, []string{"_pq_.a", "_pq_.b"}) {
		t.Fatalf("decoded %+v", msg)
	}
}
