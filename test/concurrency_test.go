package test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestConcurrency_bankTransfers runs 8 clients moving money between accounts inside
// transactions; the total never changes, every reply belongs to its query, and nothing
// deadlocks.
func TestConcurrency_bankTransfers(t *testing.T) {
	s := startServer(t, nil)
	setup := connect(t, s.dsn(""))
	mustExec(t, setup, "create table accounts(id int primary key, balance bigint not null)")
	mustExec(t, setup, "insert into accounts select g, 1000 from generate_series(1, 20) g")
	const clients, transfers = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(context.Background(), s.dsn(""))
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(context.Background())
			r := rand.New(rand.NewSource(int64(c)))
			for i := 0; i < transfers; i++ {
				from, to, amount := r.Intn(20)+1, r.Intn(20)+1, r.Intn(50)+1
				err := pgx.BeginFunc(context.Background(), conn, func(tx pgx.Tx) error {
					var bal int64
					if err := tx.QueryRow(context.Background(), "select balance from accounts where id = $1", from).Scan(&bal); err != nil {
						return err
					}
					if bal < int64(amount) {
						return nil
					}
					if _, err := tx.Exec(context.Background(), "update accounts set balance = balance - $1 where id = $2", amount, from); err != nil {
						return err
					}
					_, err := tx.Exec(context.Background(), "update accounts set balance = balance + $1 where id = $2", amount, to)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("client %d transfer %d: %w", c, i, err)
					return
				}
				// A crossed reply would return another client's value here.
				var echo int
				if err := conn.QueryRow(context.Background(), "select $1::int", c*1000+i).Scan(&echo); err != nil || echo != c*1000+i {
					errs <- fmt.Errorf("client %d: echo %d, err %v", c, echo, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if total := scalar[int64](t, setup, "select sum(balance) from accounts"); total != 20000 {
		t.Fatalf("money was created or lost: total %d", total)
	}
}

// TestConcurrency_pools runs two pgx pools of 10 connections at once.
func TestConcurrency_pools(t *testing.T) {
	s := startServer(t, nil)
	setup := connect(t, s.dsn(""))
	mustExec(t, setup, "create table hits(pool int, n int)")
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(context.Background(), s.dsn("pool_max_conns=10&pool_min_conns=10"))
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			var inner sync.WaitGroup
			for w := 0; w < 20; w++ {
				inner.Add(1)
				go func() {
					defer inner.Done()
					for i := 0; i < 10; i++ {
						if _, err := pool.Exec(context.Background(), "insert into hits values ($1, $2)", p, w*100+i); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	if n := scalar[int64](t, setup, "select count(*) from hits"); n != 400 {
		t.Fatalf("rows: %d", n)
	}
}
