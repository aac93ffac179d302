package protocol

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

func encodeFE(t *testing.T, m pgproto3.FrontendMessage) []byte {
	t.Helper()
	b, err := m.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeBE(t *testing.T, m pgproto3.BackendMessage) []byte {
	t.Helper()
	b, err := m.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKindOf(t *testing.T) {
	cases := []struct {
		msg  pgproto3.BackendMessage
		want BackendKind
	}{
		{&pgproto3.NotificationResponse{Channel: "c"}, KindNotification},
		{&pgproto3.ReadyForQuery{TxStatus: 'I'}, KindReadyForQuery},
		{&pgproto3.ParameterStatus{Name: "a", Value: "b"}, KindParameterStatus},
		{&pgproto3.ErrorResponse{Severity: "ERROR"}, KindError},
		{&pgproto3.NoticeResponse{Severity: "NOTICE"}, KindNotice},
		{&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")}, KindCommandComplete},
		{&pgproto3.RowDescription{}, KindRowDescription},
		{&pgproto3.DataRow{}, KindDataRow},
		{&pgproto3.ParseComplete{}, OtherBackend},
	}
	for _, tc := range cases {
		if got := KindOf(encodeBE(t, tc.msg)); got != tc.want {
			t.Errorf("%T: %v, want %v", tc.msg, got, tc.want)
		}
	}
	if KindOf(nil) != OtherBackend {
		t.Error("empty message")
	}
}

func TestFrontendFields(t *testing.T) {
	if q, ok := QueryText(encodeFE(t, &pgproto3.Query{String: "select 1"})); !ok || q != "select 1" {
		t.Errorf("QueryText: %q %v", q, ok)
	}
	if _, ok := QueryText(encodeFE(t, &pgproto3.Sync{})); ok {
		t.Error("QueryText of a Sync")
	}
	if n, q, ok := ParseFields(encodeFE(t, &pgproto3.Parse{Name: "s1", Query: "select $1"})); !ok || n != "s1" || q != "select $1" {
		t.Errorf("ParseFields: %q %q %v", n, q, ok)
	}
	if _, _, ok := ParseFields([]byte{'P', 0, 0, 0, 6, 'x'}); ok {
		t.Error("ParseFields of a truncated Parse")
	}
	if p, ok := BindPortal(encodeFE(t, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"})); !ok || p != "p" {
		t.Errorf("BindPortal: %q %v", p, ok)
	}
	if n, ok := ClosedStatement(encodeFE(t, &pgproto3.Close{ObjectType: 'S', Name: "s1"})); !ok || n != "s1" {
		t.Errorf("ClosedStatement: %q %v", n, ok)
	}
	if _, ok := ClosedStatement(encodeFE(t, &pgproto3.Close{ObjectType: 'P', Name: "p"})); ok {
		t.Error("ClosedStatement of a portal Close")
	}
	if !IsTerminate(encodeFE(t, &pgproto3.Terminate{})) || IsTerminate(nil) {
		t.Error("IsTerminate")
	}
}

func FuzzFrontendFields(f *testing.F) {
	f.Add([]byte{'Q', 0, 0, 0, 5, 0})
	f.Add([]byte{'P', 0, 0, 0, 4})
	f.Add([]byte{'C', 0, 0, 0, 6, 'S', 0})
	f.Fuzz(func(t *testing.T, m []byte) {
		_, _ = QueryText(m)
		_, _, _ = ParseFields(m)
		_, _ = BindPortal(m)
		_, _ = ClosedStatement(m)
		_ = KindOf(m)
	})
}
