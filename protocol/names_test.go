package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// decodeFrontend decodes one framed frontend message with pgproto3.
func decodeFrontend(t testing.TB, raw []byte) pgproto3.FrontendMessage {
	t.Helper()
	typ, body, ok := splitMessage(raw)
	if !ok {
		t.Fatalf("bad framing: %q", raw)
	}
	var m pgproto3.FrontendMessage
	switch typ {
	case 'P':
		m = &pgproto3.Parse{}
	case 'B':
		m = &pgproto3.Bind{}
	case 'D':
		m = &pgproto3.Describe{}
	case 'C':
		m = &pgproto3.Close{}
	case 'E':
		m = &pgproto3.Execute{}
	case 'Q':
		m = &pgproto3.Query{}
	case 'S':
		m = &pgproto3.Sync{}
	default:
		t.Fatalf("unexpected type %q", typ)
	}
	if err := m.Decode(body); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNamerRewrite(t *testing.T) {
	n := NewNamer(42)
	p := n.Prefix
	if p != "_0000002a_" {
		t.Fatalf("prefix %q", p)
	}
	cases := []struct {
		in, want pgproto3.FrontendMessage
	}{
		{&pgproto3.Parse{Name: "s1", Query: "select $1::int", ParameterOIDs: []uint32{23}},
			&pgproto3.Parse{Name: p + "s1", Query: "select $1::int", ParameterOIDs: []uint32{23}}},
		{&pgproto3.Parse{Query: "select 1"},
			&pgproto3.Parse{Name: p, Query: "select 1"}},
		{&pgproto3.Bind{DestinationPortal: "c", PreparedStatement: "s1", ParameterFormatCodes: []int16{1},
			Parameters: [][]byte{{0, 0, 0, 1}, nil}, ResultFormatCodes: []int16{0, 1}},
			&pgproto3.Bind{DestinationPortal: p + "c", PreparedStatement: p + "s1", ParameterFormatCodes: []int16{1},
				Parameters: [][]byte{{0, 0, 0, 1}, nil}, ResultFormatCodes: []int16{0, 1}}},
		{&pgproto3.Bind{},
			&pgproto3.Bind{DestinationPortal: p, PreparedStatement: p}},
		{&pgproto3.Describe{ObjectType: 'S', Name: "s1"}, &pgproto3.Describe{ObjectType: 'S', Name: p + "s1"}},
		{&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Describe{ObjectType: 'P', Name: p}},
		{&pgproto3.Close{ObjectType: 'S'}, &pgproto3.Close{ObjectType: 'S', Name: p}},
		{&pgproto3.Close{ObjectType: 'P', Name: "c"}, &pgproto3.Close{ObjectType: 'P', Name: p + "c"}},
		{&pgproto3.Execute{Portal: "c", MaxRows: 10}, &pgproto3.Execute{Portal: p + "c", MaxRows: 10}},
		{&pgproto3.Execute{}, &pgproto3.Execute{Portal: p}},
		{&pgproto3.Query{String: "select 'P'"}, &pgproto3.Query{String: "select 'P'"}},
		{&pgproto3.Sync{}, &pgproto3.Sync{}},
	}
	for _, tc := range cases {
		in := encode(t, tc.in)
		dst := []byte("keep")
		out, err := n.Rewrite(dst, in)
		if err != nil {
			t.Fatalf("%T: %v", tc.in, err)
		}
		if string(out[:4]) != "keep" {
			t.Fatal("dst prefix lost")
		}
		got := decodeFrontend(t, out[4:])
		if !reflect.DeepEqual(normalize(got), normalize(tc.want)) {
			t.Fatalf("%T: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// normalize maps nil and empty slices in Bind/Parse to the same value so
// DeepEqual compares content only.
func normalize(m pgproto3.FrontendMessage) pgproto3.FrontendMessage {
	switch v := m.(type) {
	case *pgproto3.Bind:
		c := *v
		if len(c.ParameterFormatCodes) == 0 {
			c.ParameterFormatCodes = nil
		}
		if len(c.Parameters) == 0 {
			c.Parameters = nil
		}
		if len(c.ResultFormatCodes) == 0 {
			c.ResultFormatCodes = nil
		}
		return &c
	case *pgproto3.Parse:
		c := *v
		if len(c.ParameterOIDs) == 0 {
			c.ParameterOIDs = nil
		}
		return &c
	}
	return m
}

func TestNamerRewriteMalformed(t *testing.T) {
	n := NewNamer(1)
	bad := [][]byte{
		nil,
		{'P'},
		{'P', 0, 0, 0, 4}, // no name
		AppendMessage(nil, 'P', []byte("s\x00q")),                                             // unterminated query
		AppendMessage(nil, 'P', []byte("s\x00q\x00\x00\x01")),                                 // OID missing
		AppendMessage(nil, 'P', []byte("s\x00q\x00\x00\x00\x01")),                             // trailing
		AppendMessage(nil, 'B', []byte("\x00\x00\x00\x01")),                                   // short format array
		AppendMessage(nil, 'B', []byte("\x00\x00\x00\x00\x00\x01\x00\x00\x00\x05ab\x00\x00")), // short value
		AppendMessage(nil, 'B', []byte("\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00")),   // length -2
		AppendMessage(nil, 'B', []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00")),               // trailing
		AppendMessage(nil, 'D', []byte("X\x00")),
		AppendMessage(nil, 'D', nil),
		AppendMessage(nil, 'C', []byte("S")),
		AppendMessage(nil, 'C', []byte("S\x00\x00")),
		AppendMessage(nil, 'E', []byte("\x00\x00\x00\x00")),
		AppendMessage(nil, 'E', []byte("p\x00\x00\x00\x00\x00\x00")),
		append(AppendMessage(nil, 'S', nil), 0), // framing: extra byte
		{'S', 0, 0, 0, 5},                       // framing: short
	}
	for _, in := range bad {
		out, err := n.Rewrite([]byte("x"), in)
		if !errors.Is(err, ErrMalformedMessage) {
			t.Fatalf("%q: err %v", in, err)
		}
		if string(out) != "x" {
			t.Fatalf("%q: dst modified", in)
		}
	}
}

func TestNamerEmptyPrefixIsIdentity(t *testing.T) {
	var n Namer
	in := encode(t, &pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "b", Parameters: [][]byte{[]byte("x")}})
	out, err := n.Rewrite(nil, in)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("%v %q", err, out)
	}
}

func TestCloseEncoders(t *testing.T) {
	n := NewNamer(7)
	got := decodeFrontend(t, CloseStatement(n.UnnamedStatement())).(*pgproto3.Close)
	if got.ObjectType != 'S' || got.Name != n.Prefix {
		t.Fatalf("%+v", got)
	}
	got = decodeFrontend(t, ClosePortal(n.Name("cur"))).(*pgproto3.Close)
	if got.ObjectType != 'P' || got.Name != n.Prefix+"cur" {
		t.Fatalf("%+v", got)
	}
	if n.UnnamedPortal() != n.Prefix {
		t.Fatal("unnamed portal")
	}
}

func TestFixErrorText(t *testing.T) {
	n := NewNamer(3)
	p := n.Prefix
	cases := []struct{ in, want string }{
		{`prepared statement "` + p + `s1" does not exist`, `prepared statement "s1" does not exist`},
		{`prepared statement "` + p + `" does not exist`, `unnamed prepared statement does not exist`},
		{`portal "` + p + `" does not exist`, `portal "" does not exist`},
		{`cursor "` + p + `c" already exists`, `cursor "c" already exists`},
		{`relation "t` + p + `" does not exist`, `relation "t` + p + `" does not exist`},
	}
	for _, tc := range cases {
		in := encode(t, &pgproto3.ErrorResponse{Severity: "ERROR", Code: "26000", Message: tc.in, Detail: `"` + p})
		out := n.FixErrorText(in)
		var e pgproto3.ErrorResponse
		if err := e.Decode(out[5:]); err != nil {
			t.Fatal(err)
		}
		if e.Message != tc.want || e.Code != "26000" || e.Severity != "ERROR" || e.Detail != `"`+p {
			t.Fatalf("got %+v", e)
		}
	}
	other := encode(t, &pgproto3.CommandComplete{CommandTag: []byte(`"` + p)})
	if !bytes.Equal(n.FixErrorText(other), other) {
		t.Fatal("non-error changed")
	}
	broken := AppendMessage(nil, 'E', []byte(`M"`+p))
	if !bytes.Equal(n.FixErrorText(broken), broken) {
		t.Fatal("malformed error changed")
	}
}
