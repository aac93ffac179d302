package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5/pgproto3"
)

func encode(t testing.TB, msgs ...pgproto3.Message) []byte {
	t.Helper()
	var out []byte
	for _, m := range msgs {
		var err error
		if out, err = m.Encode(out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestFramerPipelined(t *testing.T) {
	var stream []byte
	var want [][]byte
	for i := range 1000 {
		var m pgproto3.FrontendMessage
		switch i % 5 {
		case 0:
			m = &pgproto3.Query{String: fmt.Sprintf("select %d", i)}
		case 1:
			m = &pgproto3.Parse{Name: fmt.Sprint("s", i), Query: "select $1", ParameterOIDs: []uint32{23}}
		case 2:
			m = &pgproto3.Bind{PreparedStatement: fmt.Sprint("s", i-1), Parameters: [][]byte{[]byte("1")}}
		case 3:
			m = &pgproto3.Execute{}
		default:
			m = &pgproto3.Sync{}
		}
		raw := encode(t, m)
		want = append(want, raw)
		stream = append(stream, raw...)
	}
	stream = append(stream, encode(t, &pgproto3.Terminate{})...)
	want = append(want, encode(t, &pgproto3.Terminate{}))

	for name, r := range map[string]io.Reader{
		"whole":   bytes.NewReader(stream),
		"onebyte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":    iotest.HalfReader(bytes.NewReader(stream)),
	} {
		f := NewFramer(r)
		for i, w := range want {
			m, err := f.Next()
			if err != nil {
				t.Fatalf("%s: message %d: %v", name, i, err)
			}
			if m.Type != w[0] || !bytes.Equal(m.Raw, w) || !bytes.Equal(m.Body(), w[5:]) {
				t.Fatalf("%s: message %d differs", name, i)
			}
		}
		if _, err := f.Next(); err != io.EOF {
			t.Fatalf("%s: want io.EOF, got %v", name, err)
		}
	}
}

func TestFramerHugeMessage(t *testing.T) {
	payload := make([]byte, 64<<20)
	for i := range payload {
		payload[i] = byte(i)
	}
	stream := AppendMessage(nil, 'd', payload)
	stream = append(stream, encode(t, &pgproto3.CopyDone{})...)
	f := NewFramer(bytes.NewReader(stream))
	m, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != 'd' || !bytes.Equal(m.Body(), payload) {
		t.Fatal("64 MB message corrupted")
	}
	m, err = f.Next()
	if err != nil || m.Type != 'c' {
		t.Fatalf("after huge: %v %v", m.Type, err)
	}
	if cap(f.buf) > reuseLimit {
		t.Fatalf("framer retained a %d byte buffer", cap(f.buf))
	}
}

func TestFramerNoAllocs(t *testing.T) {
	msg := encode(t, &pgproto3.Query{String: "select 1"})
	r := &repeatReader{msg: msg}
	f := NewFramer(r)
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message", allocs)
	}
}

// repeatReader yields msg forever, as a client sending the same query would.
type repeatReader struct {
	msg []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.msg[r.off:])
		n += c
		r.off = (r.off + c) % len(r.msg)
	}
	return n, nil
}

func TestFramerErrors(t *testing.T) {
	header := func(typ byte, n int32) []byte {
		return binary.BigEndian.AppendUint32([]byte{typ}, uint32(n))
	}
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"unknown type", header('Z', 4), 0, ErrUnknownMessageType},
		{"nul type", header(0, 4), 0, ErrUnknownMessageType},
		{"length 3", header('Q', 3), 0, ErrBadLength},
		{"negative length", header('Q', -1), 0, ErrBadLength},
		{"over limit", header('Q', 101), 100, ErrMessageTooLarge},
		{"over default", header('d', 1<<30+1), 0, ErrMessageTooLarge},
		{"partial header", []byte{'Q', 0, 0}, 0, io.ErrUnexpectedEOF},
		{"partial body", append(header('Q', 10), 's', 'e'), 0, io.ErrUnexpectedEOF},
		{"lying large length", append(header('d', 1<<29), 1, 2, 3), 0, io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFramer(bytes.NewReader(tc.in))
			f.MaxMessageLen = tc.max
			_, err := f.Next()
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := NewFramer(bytes.NewReader(nil)).Next(); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
	// Exactly at the limit is fine.
	f := NewFramer(bytes.NewReader(AppendMessage(nil, 'Q', []byte("abc\x00"))))
	f.MaxMessageLen = 8
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
}

func TestIsFrontendType(t *testing.T) {
	n := 0
	for c := range 256 {
		if IsFrontendType(byte(c)) {
			n++
		}
	}
	if n != 13 || IsFrontendType('p') || !IsFrontendType('Q') || IsFrontendType('Z') {
		t.Fatalf("%d frontend types", n)
	}
}

func TestFramerPassesReadErrors(t *testing.T) {
	boom := errors.New("deadline")
	f := NewFramer(iotest.ErrReader(boom))
	if _, err := f.Next(); err != boom {
		t.Fatalf("header: %v", err)
	}
	f = NewFramer(io.MultiReader(bytes.NewReader([]byte{'Q', 0, 0, 0, 9}), iotest.ErrReader(boom)))
	if _, err := f.Next(); err != boom {
		t.Fatalf("body: %v", err)
	}
}
