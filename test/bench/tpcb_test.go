package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Benchmark_execTPCBDirect is the floor of a pgbench TPC-B-like transaction: the same seven
// statements pgbench sends (BEGIN, three UPDATEs, a SELECT, an INSERT, END) on a scale-1
// schema, each as its own simple Query straight through Exec, with no server in between.
// One op is one transaction.
func Benchmark_execTPCBDirect(b *testing.B) {
	ctx := context.Background()
	inst := openDirect(b)
	var rc replyChecker
	out := func(p []byte) error { rc.feed(p); return nil }
	run := func(sql string) {
		msg, _ := (&pgproto3.Query{String: sql}).Encode(nil)
		rc.reset()
		if err := inst.Exec(ctx, msg, out); err != nil {
			b.Fatal(err)
		}
		if rc.sawErr || rc.lastTyp != 'Z' {
			b.Fatalf("%s: error=%v last=%q", sql, rc.sawErr, rc.lastTyp)
		}
	}
	for _, sql := range []string{
		"create table pgbench_branches(bid int primary key, bbalance int, filler char(88))",
		"create table pgbench_tellers(tid int primary key, bid int, tbalance int, filler char(84))",
		"create table pgbench_accounts(aid int primary key, bid int, abalance int, filler char(84))",
		"create table pgbench_history(tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
		"insert into pgbench_branches values (1, 0, '')",
		"insert into pgbench_tellers select i, 1, 0, '' from generate_series(1, 10) i",
		"insert into pgbench_accounts select i, 1, 0, '' from generate_series(1, 100000) i",
		"vacuum analyze",
	} {
		run(sql)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	txn := func() {
		aid, tid, delta := 1+rng.IntN(100000), 1+rng.IntN(10), rng.IntN(10001)-5000
		run("BEGIN;")
		run(fmt.Sprintf("UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d;", delta, aid))
		run(fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", aid))
		run(fmt.Sprintf("UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = %d;", delta, tid))
		run(fmt.Sprintf("UPDATE pgbench_branches SET bbalance = bbalance + %d WHERE bid = 1;", delta))
		run(fmt.Sprintf("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, 1, %d, %d, CURRENT_TIMESTAMP);", tid, aid, delta))
		run("END;")
	}
	for range 200 {
		txn()
	}
	b.ResetTimer()
	for b.Loop() {
		txn()
	}
}
