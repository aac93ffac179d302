package soak

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/jackc/pgx/v5"
)

// ledger is the clients' own record of every transfer's outcome. A transfer is acked when
// COMMIT returned success (it must be in the database for good), aborted when the client
// knows it never committed (it disconnected before COMMIT, or the transaction failed; it
// must not be there), and unknown when COMMIT's answer was lost (a kill mid-commit: either
// is fine).
type ledger struct {
	mu      sync.Mutex
	acked   []int64
	aborted []int64
	unknown int
}

func (l *ledger) ack(id int64) {
	l.mu.Lock()
	l.acked = append(l.acked, id)
	l.mu.Unlock()
}

func (l *ledger) abort(id int64) {
	l.mu.Lock()
	l.aborted = append(l.aborted, id)
	l.mu.Unlock()
}

func (l *ledger) lost() {
	l.mu.Lock()
	l.unknown++
	l.mu.Unlock()
}

func (l *ledger) snapshot() (acked, aborted []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.acked...), append([]int64(nil), l.aborted...)
}

func (l *ledger) counts() (acked, aborted, unknown int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), len(l.aborted), l.unknown
}

// audit is one comparison of the ledger with the database.
type audit struct {
	total        int64   // sum of all balances
	missing      []int64 // acked transfers not in the database
	resurrected  []int64 // aborted transfers that are
	transferRows int
}

// check compares the ledger, as it stood before the query, with the database. Transfers
// keep running meanwhile; one statement sees one snapshot, so what it reads is consistent.
func (l *ledger) check(ctx context.Context, c *pgx.Conn) (audit, error) {
	acked, aborted := l.snapshot()
	var a audit
	rows, err := c.Query(ctx, "select id from transfers")
	if err != nil {
		return a, err
	}
	have := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return a, err
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return a, err
	}
	a.transferRows = len(have)
	for _, id := range acked {
		if !have[id] {
			a.missing = append(a.missing, id)
		}
	}
	for _, id := range aborted {
		if have[id] {
			a.resurrected = append(a.resurrected, id)
		}
	}
	sort.Slice(a.missing, func(i, j int) bool { return a.missing[i] < a.missing[j] })
	if err := c.QueryRow(ctx, "select coalesce(sum(balance), 0) from accounts").Scan(&a.total); err != nil {
		return a, err
	}
	return a, nil
}

func (a audit) String() string {
	return fmt.Sprintf("balance total %d, %d transfer rows, %d acked missing %v, %d aborted present %v",
		a.total, a.transferRows, len(a.missing), head(a.missing), len(a.resurrected), head(a.resurrected))
}

func head(ids []int64) []int64 {
	if len(ids) > 10 {
		return ids[:10]
	}
	return ids
}
