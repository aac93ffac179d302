package protocol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// backendStream returns a realistic reply stream and its messages.
func backendStream(t testing.TB) ([]byte, [][]byte) {
	msgs := []pgproto3.Message{
		&pgproto3.ParseComplete{},
		&pgproto3.BindComplete{},
		&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("x"), DataTypeOID: 23, DataTypeSize: 4, Format: 0}}},
		&pgproto3.DataRow{Values: [][]byte{[]byte("1")}},
		&pgproto3.DataRow{Values: [][]byte{bytes.Repeat([]byte("y"), 300)}},
		&pgproto3.CommandComplete{CommandTag: []byte("SELECT 2")},
		&pgproto3.NoticeResponse{Severity: "NOTICE", Code: "00000", Message: "hi"},
		&pgproto3.NotificationResponse{PID: 9, Channel: "ch", Payload: "pl"},
		&pgproto3.ParameterStatus{Name: "TimeZone", Value: "UTC"},
		&pgproto3.EmptyQueryResponse{},
		&pgproto3.ReadyForQuery{TxStatus: 'T'},
	}
	var stream []byte
	var out [][]byte
	for _, m := range msgs {
		raw := encode(t, m)
		out = append(out, raw)
		stream = append(stream, raw...)
	}
	return stream, out
}

// collect feeds chunks and returns copies of every emitted message.
func collect(t testing.TB, s *BackendScanner, chunks ...[]byte) [][]byte {
	t.Helper()
	var got [][]byte
	for _, c := range chunks {
		err := s.Feed(c, func(m []byte) error {
			got = append(got, bytes.Clone(m))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func equalMsgs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestBackendScannerEverySplit(t *testing.T) {
	stream, want := backendStream(t)
	for i := 0; i <= len(stream); i++ {
		var s BackendScanner
		got := collect(t, &s, stream[:i], stream[i:])
		if !equalMsgs(got, want) || s.Pending() != 0 {
			t.Fatalf("split at %d: %d messages", i, len(got))
		}
	}
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream) && j < i+12; j++ {
			var s BackendScanner
			got := collect(t, &s, stream[:i], stream[i:j], nil, stream[j:])
			if !equalMsgs(got, want) {
				t.Fatalf("split at %d,%d", i, j)
			}
		}
	}
	var s BackendScanner
	var chunks [][]byte
	for i := range stream {
		chunks = append(chunks, stream[i:i+1])
	}
	if !equalMsgs(collect(t, &s, chunks...), want) {
		t.Fatal("byte at a time")
	}
}

func TestBackendScannerHugeRow(t *testing.T) {
	row := encode(t, &pgproto3.DataRow{Values: [][]byte{make([]byte, 8<<20)}})
	z := encode(t, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	var s BackendScanner
	got := collect(t, &s, row[:100], row[100:5<<20], append(row[5<<20:], z[:3]...), z[3:])
	if len(got) != 2 || !bytes.Equal(got[0], row) || !bytes.Equal(got[1], z) {
		t.Fatal("huge row mangled")
	}
	if cap(s.buf) > reuseLimit {
		t.Fatal("scanner kept the huge buffer")
	}
}

func TestBackendScannerErrors(t *testing.T) {
	var s BackendScanner
	err := s.Feed([]byte{'Z', 0, 0, 0, 3}, func([]byte) error { return nil })
	if !errors.Is(err, ErrBadLength) {
		t.Fatalf("got %v", err)
	}
	if err2 := s.Feed(encode(t, &pgproto3.Sync{}), func([]byte) error { return nil }); err2 != err {
		t.Fatal("error not sticky")
	}

	s = BackendScanner{MaxMessageLen: 10}
	if err := s.Feed([]byte{'D', 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Feed([]byte{0, 11}, nil); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("got %v", err)
	}

	stop := errors.New("stop")
	stream, _ := backendStream(t)
	s = BackendScanner{}
	calls := 0
	err = s.Feed(stream, func([]byte) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("emit error: %v after %d calls", err, calls)
	}
}

func TestAccessors(t *testing.T) {
	z := encode(t, &pgproto3.ReadyForQuery{TxStatus: 'E'})
	if st, ok := ReadyStatus(z); !ok || st != 'E' {
		t.Fatal("ReadyStatus")
	}
	a := encode(t, &pgproto3.NotificationResponse{PID: 77, Channel: "jobs", Payload: "{}"})
	if pid, ch, pl, ok := Notification(a); !ok || pid != 77 || ch != "jobs" || pl != "{}" {
		t.Fatal("Notification")
	}
	ps := encode(t, &pgproto3.ParameterStatus{Name: "server_version", Value: "18.6"})
	if k, v, ok := ParameterStatus(ps); !ok || k != "server_version" || v != "18.6" {
		t.Fatal("ParameterStatus")
	}
	c := encode(t, &pgproto3.CommandComplete{CommandTag: []byte("INSERT 0 1")})
	if tag, ok := CommandTag(c); !ok || tag != "INSERT 0 1" {
		t.Fatal("CommandTag")
	}
	e := encode(t, &pgproto3.ErrorResponse{Severity: "FEHLER", SeverityUnlocalized: "ERROR", Code: "42P01", Message: "nope", Hint: "h"})
	if sev, code, msg, ok := ErrorFields(e); !ok || sev != "ERROR" || code != "42P01" || msg != "nope" {
		t.Fatal("ErrorFields")
	}
	nt := encode(t, &pgproto3.NoticeResponse{Severity: "WARNING", Code: "01000", Message: "w"})
	if sev, _, _, ok := ErrorFields(nt); !ok || sev != "WARNING" {
		t.Fatal("ErrorFields notice")
	}

	// Wrong type or broken framing must be rejected, never panic.
	for _, m := range [][]byte{nil, {'Z'}, c, append(bytes.Clone(z), 0), {'Z', 0, 0, 0, 5, 'I', 'x'}} {
		if _, ok := ReadyStatus(m); ok {
			t.Fatalf("ReadyStatus accepted %q", m)
		}
	}
	for _, m := range [][]byte{z, AppendMessage(nil, 'A', []byte{0, 0, 0, 1, 'c', 0}), AppendMessage(nil, 'A', []byte{0, 0})} {
		if _, _, _, ok := Notification(m); ok {
			t.Fatalf("Notification accepted %q", m)
		}
	}
	if _, _, ok := ParameterStatus(AppendMessage(nil, 'S', []byte("a\x00b"))); ok {
		t.Fatal("ParameterStatus accepted unterminated value")
	}
	if _, ok := CommandTag(AppendMessage(nil, 'C', []byte("x\x00y"))); ok {
		t.Fatal("CommandTag accepted trailing bytes")
	}
	if _, _, _, ok := ErrorFields(AppendMessage(nil, 'E', []byte("Mx\x00"))); ok {
		t.Fatal("ErrorFields accepted missing terminator")
	}
}
