package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func FuzzReadStartup(f *testing.F) {
	f.Add(packet(196608, kv("user", "u", "database", "d")), 0)
	f.Add(packet(196610, kv("user", "u", "_pq_.x", "1")), 0)
	f.Add(packet(196608, kv("user", "u")), 12)
	f.Add(packet(sslRequestCode, nil), 0)
	f.Add(packet(gssencRequestCode, nil), 0)
	f.Add(packet(cancelRequestCode, make([]byte, 36)), 0)
	f.Add(packet(196608, []byte("user\x00")), 0)
	f.Add([]byte{0, 0, 0, 3}, 0)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0}, 0)
	f.Fuzz(func(t *testing.T, data []byte, maxLen int) {
		s, err := ReadStartup(bytes.NewReader(data), maxLen)
		if err != nil {
			var se *StartupError
			if err != io.EOF && !errors.As(err, &se) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(s.Raw) < 8 || !bytes.HasPrefix(data, s.Raw) ||
			int(binary.BigEndian.Uint32(s.Raw)) != len(s.Raw) {
			t.Fatalf("raw %q inconsistent with input", s.Raw)
		}
		if s.Kind != KindStartup {
			return
		}
		if s.Major != 3 || s.Params["user"] == "" || len(s.ParamOrder) != len(s.Params) {
			t.Fatalf("bad startup %+v", s)
		}
		again, err := ReadStartup(bytes.NewReader(EncodeStartup(s.Params, s.Minor)), 1<<20)
		if err != nil || !reflect.DeepEqual(again.Params, s.Params) || again.Minor != s.Minor {
			t.Fatalf("re-encode: %v %+v", err, again)
		}
	})
}

func FuzzFramer(f *testing.F) {
	var pipelined []byte
	for _, m := range []pgproto3.FrontendMessage{
		&pgproto3.Parse{Name: "s", Query: "select $1", ParameterOIDs: []uint32{25}},
		&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("x")}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.CopyData{Data: []byte("1\t2\n")},
		&pgproto3.CopyDone{},
		&pgproto3.Terminate{},
	} {
		pipelined = append(pipelined, encode(f, m)...)
	}
	f.Add(pipelined, 0)
	f.Add(pipelined[:len(pipelined)-3], 0)
	f.Add(pipelined, 16)
	f.Add([]byte{'Q', 0, 0, 0, 3}, 0)
	f.Add([]byte{'Z', 0, 0, 0, 4}, 0)
	f.Add([]byte{'d', 0x7f, 0xff, 0xff, 0xff}, 0)
	f.Fuzz(func(t *testing.T, data []byte, maxLen int) {
		fr := NewFramer(bytes.NewReader(data))
		fr.MaxMessageLen = maxLen
		var seen []byte
		for {
			m, err := fr.Next()
			if err != nil {
				if err == io.EOF && len(seen) != len(data) {
					t.Fatalf("EOF after %d of %d bytes", len(seen), len(data))
				}
				break
			}
			if m.Type != m.Raw[0] || !IsFrontendType(m.Type) ||
				int(binary.BigEndian.Uint32(m.Raw[1:])) != len(m.Raw)-1 {
				t.Fatalf("bad message %q", m.Raw)
			}
			if maxLen > 0 && len(m.Raw)-1 > maxLen {
				t.Fatalf("limit %d exceeded by %d", maxLen, len(m.Raw)-1)
			}
			seen = append(seen, m.Raw...)
			if !bytes.HasPrefix(data, seen) {
				t.Fatal("messages do not reproduce the input")
			}
		}
	})
}

func FuzzNamerRewrite(f *testing.F) {
	for _, m := range []pgproto3.Message{
		&pgproto3.Parse{Name: "s", Query: "select $1", ParameterOIDs: []uint32{25}},
		&pgproto3.Parse{Query: "select 1"},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s", ParameterFormatCodes: []int16{1},
			Parameters: [][]byte{[]byte("x"), nil}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Execute{Portal: "p", MaxRows: 5},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.ErrorResponse{Severity: "ERROR", Code: "26000", Message: `prepared statement "_00000001_s" does not exist`},
	} {
		f.Add(encode(f, m), "_00000001_")
	}
	f.Add([]byte{'B', 0, 0, 0, 4}, "x")
	f.Fuzz(func(t *testing.T, data []byte, prefix string) {
		if strings.IndexByte(prefix, 0) >= 0 {
			return // documented as unsupported
		}
		n := Namer{Prefix: prefix}
		fixed := n.FixErrorText(data)
		if !bytes.Equal(fixed, data) {
			if _, _, _, ok := ErrorFields(fixed); !ok {
				t.Fatalf("FixErrorText produced a broken message %q", fixed)
			}
		}
		out, err := n.Rewrite(nil, data)
		if err != nil {
			if !errors.Is(err, ErrMalformedMessage) || out != nil {
				t.Fatalf("err %v out %q", err, out)
			}
			return
		}
		typ, _, ok := splitMessage(out)
		if !ok || typ != data[0] {
			t.Fatalf("rewritten message badly framed: %q", out)
		}
		checkRewrite(t, prefix, data, out)
	})
}

// checkRewrite decodes input and output with pgproto3 and checks that only
// the names changed, each gaining the prefix.
func checkRewrite(t *testing.T, prefix string, in, out []byte) {
	pfx := func(s string) string { return prefix + s }
	switch in[0] {
	case 'P':
		var a, b pgproto3.Parse
		mustDecode(t, &a, in, &b, out)
		a.Name = pfx(a.Name)
		if !reflect.DeepEqual(normalize(&a), normalize(&b)) {
			t.Fatalf("%+v vs %+v", a, b)
		}
	case 'B':
		var a, b pgproto3.Bind
		mustDecode(t, &a, in, &b, out)
		a.DestinationPortal, a.PreparedStatement = pfx(a.DestinationPortal), pfx(a.PreparedStatement)
		if !reflect.DeepEqual(normalize(&a), normalize(&b)) {
			t.Fatalf("%+v vs %+v", a, b)
		}
	case 'D':
		var a, b pgproto3.Describe
		mustDecode(t, &a, in, &b, out)
		if a.ObjectType != b.ObjectType || pfx(a.Name) != b.Name {
			t.Fatalf("%+v vs %+v", a, b)
		}
	case 'C':
		var a, b pgproto3.Close
		mustDecode(t, &a, in, &b, out)
		if a.ObjectType != b.ObjectType || pfx(a.Name) != b.Name {
			t.Fatalf("%+v vs %+v", a, b)
		}
	case 'E':
		var a, b pgproto3.Execute
		mustDecode(t, &a, in, &b, out)
		if a.MaxRows != b.MaxRows || pfx(a.Portal) != b.Portal {
			t.Fatalf("%+v vs %+v", a, b)
		}
	default:
		if !bytes.Equal(in, out) {
			t.Fatalf("%q changed", in[0])
		}
	}
}

func mustDecode(t *testing.T, a pgproto3.Message, in []byte, b pgproto3.Message, out []byte) {
	t.Helper()
	if err := a.Decode(in[headerLen:]); err != nil {
		t.Fatalf("accepted input pgproto3 rejects: %v", err)
	}
	if err := b.Decode(out[headerLen:]); err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
}

func FuzzBackendScanner(f *testing.F) {
	stream, _ := backendStream(f)
	f.Add(stream, uint64(1))
	f.Add(stream[:len(stream)-2], uint64(2))
	f.Add(append(bytes.Clone(stream), 'Z', 0, 0, 0, 2), uint64(3))
	f.Add([]byte{'D', 0x7f, 0xff, 0xff, 0xff, 0}, uint64(4))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		var whole BackendScanner
		var want [][]byte
		wantErr := whole.Feed(data, func(m []byte) error {
			want = append(want, bytes.Clone(m))
			return nil
		})

		rng := rand.New(rand.NewPCG(seed, seed>>7))
		var split BackendScanner
		var got [][]byte
		var gotErr error
		for rest := data; ; {
			n := 0
			if len(rest) > 0 {
				n = rng.IntN(len(rest) + 1)
			}
			gotErr = split.Feed(rest[:n], func(m []byte) error {
				got = append(got, bytes.Clone(m))
				return nil
			})
			rest = rest[n:]
			if gotErr != nil || len(rest) == 0 {
				break
			}
		}
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("whole err %v, split err %v", wantErr, gotErr)
		}
		if !equalMsgs(got, want) {
			t.Fatalf("split emitted %d messages, whole %d", len(got), len(want))
		}
		if wantErr == nil && whole.Pending() != split.Pending() {
			t.Fatalf("pending %d vs %d", whole.Pending(), split.Pending())
		}
		var total int
		for _, m := range want {
			total += len(m)
			if int(binary.BigEndian.Uint32(m[1:])) != len(m)-1 {
				t.Fatalf("bad framing %q", m)
			}
			ReadyStatus(m)
			Notification(m)
			ParameterStatus(m)
			CommandTag(m)
			ErrorFields(m)
		}
		if wantErr == nil && total+whole.Pending() != len(data) {
			t.Fatalf("bytes lost: %d+%d of %d", total, whole.Pending(), len(data))
		}
	})
}
