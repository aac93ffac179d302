package bridge

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestExec_callsIntoTheGuest: a batch costs two calls from Go into the guest whatever its
// size (the loop runs inside the engine, see newDriver), and an error one more for its
// recovery and one to go on. Each call is a transition into the engine.
func TestExec_callsIntoTheGuest(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "create table t(id int primary key, v text)")
	long := "select '" + strings.Repeat("x", 20000) + "' as v" // more than PostgreSQL's 8 KiB receive buffer
	cases := []struct {
		name  string
		msgs  []pgproto3.FrontendMessage
		calls uint64
	}{
		{"simple query", []pgproto3.FrontendMessage{&pgproto3.Query{String: "select 1"}}, 2},
		{"a query over the receive buffer", []pgproto3.FrontendMessage{&pgproto3.Query{String: long}}, 2},
		{"parse, bind, execute, sync", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: "select $1::int + 1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("41")}},
			&pgproto3.Execute{}, &pgproto3.Sync{}}, 2},
		{"three queries in a pipeline", []pgproto3.FrontendMessage{&pgproto3.Query{String: "select 1"},
			&pgproto3.Query{String: "insert into t values (1, 'a')"}, &pgproto3.Query{String: "select * from t"}}, 2},
		{"an error in the middle", []pgproto3.FrontendMessage{&pgproto3.Query{String: "select 1"},
			&pgproto3.Query{String: "select 1/0"}, &pgproto3.Query{String: "select 2"}}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := inst.proc.Calls()
			msgs := exchange(t, inst, c.msgs...)
			got := inst.proc.Calls() - before
			if _, ok := msgs[len(msgs)-1].(*pgproto3.ReadyForQuery); !ok {
				t.Fatalf("last message %#v", msgs[len(msgs)-1])
			}
			if got != c.calls {
				t.Fatalf("%d calls into the guest, want %d", got, c.calls)
			}
		})
	}
	if rows := query(t, inst, "select v from t"); len(rows) != 1 || rows[0][0] != "a" {
		t.Fatalf("rows %v", rows)
	}
}

// TestExec_callsIntoGo: on wasmtime a simple query calls into Go three times: the read
// and write callbacks, and the batch loop's question for more input. The wall clock, which
// PostgreSQL reads about four times per query, answers in C while no timer is due and no
// interrupt is pending (cancel, pg_sleep and statement_timeout still reach Go:
// TestBridge_Cancel_concurrent, test.TestCancel_*, test.TestSessionTimeouts). wazero calls
// Go for every import, invoke_* included.
func TestExec_callsIntoGo(t *testing.T) {
	inst := openTest(t, Config{})
	query(t, inst, "select 1") // the first clock read arms the C clock
	before := inst.proc.HostCalls()
	query(t, inst, "select 1")
	got := inst.proc.HostCalls() - before
	if engine := inst.eng.rt.Engine(); engine != "wasmtime" {
		t.Skipf("%d calls into Go on %s", got, engine)
	}
	if got != 3 {
		t.Fatalf("%d calls into Go for one query, want 3", got)
	}
}
