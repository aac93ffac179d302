package bridge

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// These tests exist for the race detector: Cancel and context cancellation reach an
// instance from other goroutines while Exec runs.

// TestBridge_Exec_contextCancel cancels a long query through its context.
func TestBridge_Exec_contextCancel(t *testing.T) {
	inst := openTest(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	var code string
	err := inst.Exec(ctx, encode(t, &pgproto3.Query{String: "select count(*) from generate_series(1, 1000000000)"}), func(b []byte) error {
		for _, m := range decodeAll(t, b) {
			if e, ok := m.(*pgproto3.ErrorResponse); ok {
				code = e.Code
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	if code != "57014" {
		t.Fatalf("want query_canceled (57014), got %q", code)
	}
	if rows := query(t, inst, "select 7"); rows[0][0] != "7" {
		t.Fatalf("after cancel: %v", rows)
	}
}

// TestBridge_Cancel_concurrent calls Cancel from other goroutines while queries run; every
// query either completes or is cancelled, and the instance stays usable.
func TestBridge_Cancel_concurrent(t *testing.T) {
	inst := openTest(t, Config{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					inst.Cancel()
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	var done, cancelled int
	for i := 0; i < 100; i++ {
		var code string
		var rows int
		err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: "select count(*) from generate_series(1, 20000)"}), func(b []byte) error {
			for _, m := range decodeAll(t, b) {
				switch m := m.(type) {
				case *pgproto3.ErrorResponse:
					code = m.Code
				case *pgproto3.DataRow:
					rows++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("exec %d: %v", i, err)
		}
		switch {
		case code == "57014":
			cancelled++
		case code == "" && rows == 1:
			done++
		default:
			t.Fatalf("query %d: code %q, %d rows", i, code, rows)
		}
	}
	close(stop)
	wg.Wait()
	inst.ClearCancel()
	if rows := query(t, inst, "select 8"); rows[0][0] != "8" {
		t.Fatalf("after cancels: %v", rows)
	}
	t.Logf("%d completed, %d cancelled", done, cancelled)
	if err := inst.Close(); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

// TestBridge_Exec_lateContextCancel cancels a context just as its query finishes: the
// cancel must not hit the next query.
func TestBridge_Exec_lateContextCancel(t *testing.T) {
	inst := openTest(t, Config{})
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		err := inst.Exec(ctx, encode(t, &pgproto3.Query{String: "select 1"}), func(b []byte) error {
			if bytes.Contains(b, []byte{'Z', 0, 0, 0, 5}) {
				cancel() // the query is complete: ReadyForQuery is on its way out
				time.Sleep(time.Millisecond)
			}
			return nil
		})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if rows := query(t, inst, "select count(*) from generate_series(1, 1000)"); rows[0][0] != "1000" {
			t.Fatalf("round %d: %v", i, rows)
		}
	}
}
