package wirefuzz

import (
	"encoding/binary"
	"fmt"
)

// seed is a named program of the corpus.
type seed struct {
	name string
	prog program
}

// commitLast makes the witness commit only after every op has been sent: its transaction
// is open across the whole attack, and the fuzzed client's backend work runs after it.
const commitLast = 255

// Op constructors, for writing seeds that read like what they do.
func q(name string, n uint32) op {
	return op{Kind: opQuery, SQL: sqlText{Tmpl: tmpl(name), N: n}}
}
func qText(text string) op { return op{Kind: opQuery, SQL: sqlText{Text: text}} }
func parse(stmt, name string, n uint32) op {
	return op{Kind: opParse, Name: stmt, SQL: sqlText{Tmpl: tmpl(name), N: n}}
}
func bind(portal, stmt string, args ...string) op {
	o := op{Kind: opBind, Name: portal, Stmt: stmt}
	for _, a := range args {
		o.Params = append(o.Params, param{Value: []byte(a)})
	}
	return o
}
func describe(target byte, name string) op  { return op{Kind: opDescribe, Target: target, Name: name} }
func closeMsg(target byte, name string) op  { return op{Kind: opClose, Target: target, Name: name} }
func execute(portal string, rows uint32) op { return op{Kind: opExecute, Name: portal, N: rows} }
func data(k opKind, b string) op            { return op{Kind: k, Data: []byte(b)} }
func raw(typ byte, mode lenMode, delta uint32, body string) op {
	return op{Kind: opRaw, Type: typ, Len: mode, Delta: delta, Data: []byte(body)}
}
func bare(k opKind) op { return op{Kind: k} }

var (
	waitReady = op{Kind: opWait, N: 1}
	waitCopy  = op{Kind: opWait, N: 2}
	waitAny   = op{Kind: opWait, N: 3}
)

// int4pl (oid 177) called through the fast-path interface with binary 1 and 2.
func int4plCall() op {
	one := binary.BigEndian.AppendUint32(nil, 1)
	two := binary.BigEndian.AppendUint32(nil, 2)
	return op{Kind: opFunctionCall, N: 177, Formats: []uint32{1},
		Params: []param{{Value: one}, {Value: two}}, Results: []uint32{1}}
}

func prog(commitAt uint8, ops ...op) program { return program{CommitAt: commitAt, Ops: ops} }

// seeds is the corpus: every case known to have hurt, or to be able to hurt, other
// clients, then every message type in every protocol state.
func seeds() []seed {
	s := []seed{
		{"password message after login", prog(commitLast, data(opPassword, "pass\x00"))},
		{"garbage after startup", prog(commitLast, data(opGarbage, "\x01\x02\x03\x04\x05\x06\x07\x08garbage"))},
		{"length over 1 GB", prog(commitLast, raw('Q', lenLiteral, 0x7fffff00, ""))},
		{"length just over 1 GB with a body", prog(commitLast, raw('Q', lenOver1GB, 1, "select 1\x00"))},
		{"negative length", prog(commitLast, raw('Q', lenNegative, 4, ""))},
		{"length below 4", prog(commitLast, raw('S', lenShort, 2, ""))},
		{"unknown message type", prog(commitLast, raw('!', lenExact, 0, ""))},
		{"half a message", prog(commitLast, raw('Q', lenLiteral, 100, "select"))},
		{"malformed Parse", prog(commitLast, raw('P', lenExact, 0, "ab"))},
		{"Bind to a missing statement", prog(commitLast, bind("", "wf_missing", "1"), bare(opSync), waitReady)},
		{"recursive SQL function r(100000)", prog(commitLast, q("recursive sql function", 100_000), waitReady)},
		{"3,000 nested subselects", prog(commitLast, q("nested subselects", 3000), waitReady)},
		{"deeply nested jsonb", prog(commitLast, q("nested jsonb", 100_000), waitReady)},
		{"CREATE SUBSCRIPTION", prog(commitLast, q("create subscription", 0), waitReady)},
		{"CREATE SUBSCRIPTION without connecting", prog(commitLast, q("create subscription", 1), waitReady)},
		{"conversion errors with client_encoding EUC_JP", prog(commitLast,
			q("client_encoding", 0), q("unconvertible text", 0), qText("select '\x8e\xff'"),
			q("unconvertible text", 1), q("unconvertible text", 2), waitReady)},
		{"COPY FROM STDIN followed by garbage", prog(commitLast,
			q("copy in", 0), waitCopy, data(opCopyData, "1\tone\n"), data(opGarbage, "\xde\xad\xbe\xef garbage"))},
		{"Terminate mid-transaction", prog(commitLast,
			q("begin", 0), qText("insert into wf_t values (1, 'terminated')"), bare(opTerminate))},
		{"Terminate mid-transaction, live", prog(0,
			q("begin", 0), qText("insert into wf_t values (1, 'terminated')"), waitReady, bare(opTerminate))},
		{"disconnect inside COPY TO", prog(0, q("copy out", 300_000), waitCopy)},
		{"cancel a sleep", prog(0, q("sleep ms", 1000), op{Kind: opWait, N: 100 * 4}, bare(opCancel), waitReady)},
		// Session timeouts end their session with FATAL, which must not end the backend.
		{"transaction_timeout", prog(0, q("session timeout", 0), waitReady, q("begin", 0), waitReady,
			q("sleep ms", 500), waitReady)},
		{"idle_in_transaction_session_timeout", prog(0, q("session timeout", 1), waitReady, q("begin", 0), waitReady,
			op{Kind: opWait, N: 300 * 4}, q("select n", 1), waitReady)},
		{"idle_session_timeout", prog(0, q("session timeout", 2), waitReady, op{Kind: opWait, N: 300 * 4},
			q("select n", 1), waitReady)},
		{"pg_terminate_backend of the backend itself", prog(0, q("terminate the backend itself", 0), waitReady)},
		{"pg_cancel_backend of the backend itself", prog(0, q("terminate the backend itself", 1), waitReady)},
	}
	// Statements that change session state the backend shares: each must stay with the
	// client that ran it.
	for _, name := range []string{"client_encoding", "statement_timeout ms", "search_path", "set role",
		"read-only default", "unlisten", "deallocate all", "discard all"} {
		s = append(s, seed{"session: " + name, prog(0, q(name, 1), waitReady)})
	}
	// The same, with a failing Bind in the same write and no Sync before hanging up (found by
	// the fuzzer: the setting stayed in the backend for the next client).
	for _, name := range []string{"statement_timeout ms", "search_path", "set role", "read-only default"} {
		s = append(s, seed{"session: " + name + ", then a failed Bind before Sync",
			prog(0, q(name, 1), bind("", "wf_missing"))})
	}
	return append(s, matrix()...)
}

// matrix sends each kind of message in each protocol state, the witness having committed
// first so that the fuzzed client has the backend (states exist only there), then goes on.
func matrix() []seed {
	// Each state comes with the ops that leave it the way a client would, so that what
	// follows the probe tests going on after it, not a second violation.
	goOn := []op{bare(opSync), q("select n", 2), waitReady}
	states := []struct {
		name       string
		enter, out []op
	}{
		{"idle", nil, goOn},
		{"in a transaction", []op{q("begin", 0), waitReady}, goOn},
		{"in a failed transaction", []op{q("begin", 0), q("division by zero", 0), waitReady}, goOn},
		{"mid pipeline before Sync", []op{parse("wf_s", "one parameter", 0), bind("", "wf_s", "1"),
			describe('P', ""), bare(opFlush), waitAny}, goOn},
		{"inside COPY FROM STDIN", []op{q("copy in", 0), waitCopy, data(opCopyData, "1\tone\n")},
			append([]op{bare(opCopyDone)}, goOn...)},
		{"inside COPY TO", []op{q("copy out", 100_000), waitCopy}, goOn},
	}
	probes := []struct {
		name string
		op   op
	}{
		{"Query", q("select n", 1)},
		{"Parse", parse("wf_p", "select n", 1)},
		{"Bind to a missing statement", bind("wf_portal", "wf_missing")},
		{"Describe a missing statement", describe('S', "wf_missing")},
		{"Describe of an unknown kind", describe('X', "")},
		{"Execute a missing portal", execute("wf_missing", 0)},
		{"Close", closeMsg('P', "wf_missing")},
		{"Sync", bare(opSync)},
		{"Flush", bare(opFlush)},
		{"CopyData", data(opCopyData, "2\ttwo\n")},
		{"CopyDone", bare(opCopyDone)},
		{"CopyFail", data(opCopyFail, "fuzz says no")},
		{"FunctionCall", int4plCall()},
		{"Terminate", bare(opTerminate)},
		{"password message", data(opPassword, "pass\x00")},
		{"unknown type", raw('!', lenExact, 0, "")},
		{"length over 1 GB", raw('Q', lenOver1GB, 1, "")},
		{"negative length", raw('Q', lenNegative, 0, "")},
		{"truncated body", raw('Q', lenLong, 20, "select 1\x00")},
		{"malformed Bind", raw('B', lenExact, 0, "no-nul")},
		{"SSLRequest", data(opGarbage, "\x00\x00\x00\x08\x04\xd2\x16\x2f")},
		{"CancelRequest", bare(opCancel)},
	}
	var out []seed
	for _, st := range states {
		for _, p := range probes {
			ops := append(append(append([]op{}, st.enter...), p.op), st.out...)
			out = append(out, seed{fmt.Sprintf("%s: %s", st.name, p.name), prog(0, ops...)})
		}
	}
	return out
}
