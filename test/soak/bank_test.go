package soak

import (
	"context"
	"errors"
	"math/rand"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	numAccounts  = 100
	startBalance = 1000
	// maxTransfers bounds each client's loop besides the clock.
	maxTransfers = 1_000_000
)

const schemaSQL = `
create table if not exists accounts(id int primary key, balance bigint not null);
create table if not exists transfers(id bigint primary key, src int not null, dst int not null, amount int not null);
insert into accounts select g, 1000 from generate_series(1, 100) g on conflict do nothing`

// fault is what a transfer does to the server besides moving money.
type fault int

const (
	faultNone       fault = iota
	faultDisconnect       // drop the socket between the transfer's insert and its COMMIT
	faultCancel           // CancelRequest while a statement of the transaction runs
	faultTimeout          // SET LOCAL statement_timeout, then a statement that outlives it
)

var faultNames = [...]string{"none", "disconnect", "cancel", "timeout"}

func pickFault(rng *rand.Rand) fault {
	switch r := rng.Intn(100); {
	case r < 3:
		return faultDisconnect
	case r < 5:
		return faultCancel
	case r < 7:
		return faultTimeout
	}
	return faultNone
}

// bank runs transfer clients against the daemon.
type bank struct {
	d      *daemon
	led    *ledger
	st     *stats
	nextID atomic.Int64
}

// client transfers money until ctx ends, reconnecting whenever its connection is lost (a
// kill, a fault of its own).
func (b *bank) client(ctx context.Context, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	var c *pgx.Conn
	defer func() {
		if c != nil {
			c.Close(context.Background())
		}
	}()
	for i := 0; i < maxTransfers && ctx.Err() == nil; i++ {
		if c == nil || c.IsClosed() {
			if c = connectRetry(ctx, b.d, b.st); c == nil {
				return
			}
		}
		if !b.transfer(ctx, c, rng) {
			c.Close(context.Background())
			c = nil
		}
	}
}

// connectRetry connects, retrying with a growing pause (the daemon may be down between a
// kill and its restart) until ctx ends; nil then.
func connectRetry(ctx context.Context, d *daemon, st *stats) *pgx.Conn {
	pause := 50 * time.Millisecond
	for attempt := 0; attempt < 10_000 && ctx.Err() == nil; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := pgx.Connect(cctx, d.dsn())
		cancel()
		if err == nil {
			st.reconnects.Add(1)
			return c
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
	return nil
}

// transfer moves money between two accounts and logs the transfer's id in the same
// transaction; it reports whether the connection is still usable.
func (b *bank) transfer(ctx context.Context, c *pgx.Conn, rng *rand.Rand) bool {
	id := b.nextID.Add(1)
	src := 1 + rng.Intn(numAccounts)
	dst := 1 + (src+rng.Intn(numAccounts-1))%numAccounts // never src
	amount := 1 + rng.Intn(50)
	f := pickFault(rng)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	failed := func(err error) bool {
		kind := errKind(err)
		if ctx.Err() != nil {
			kind = "soak ending"
		}
		b.st.noteErr(faultNames[f] + ": " + kind)
		b.noteUnasked(f, err)
		b.led.abort(id) // COMMIT was never sent: the transfer must not exist
		if !c.IsClosed() {
			rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _ = c.Exec(rctx, "rollback")
			rcancel()
		}
		return !c.IsClosed()
	}
	if _, err := c.Exec(tctx, "begin"); err != nil {
		return failed(err)
	}
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"update accounts set balance = balance - $1 where id = $2", []any{amount, src}},
		{"update accounts set balance = balance + $1 where id = $2", []any{amount, dst}},
		{"insert into transfers(id, src, dst, amount) values ($1, $2, $3, $4)", []any{id, src, dst, amount}},
	} {
		if _, err := c.Exec(tctx, stmt.sql, stmt.args...); err != nil {
			return failed(err)
		}
	}
	var err error
	switch f {
	case faultDisconnect:
		b.st.disconnects.Add(1)
		b.led.abort(id)
		_ = c.PgConn().Conn().Close()
		return false
	case faultCancel:
		b.st.cancels.Add(1)
		sent := make(chan struct{})
		delay := time.Duration(20+rng.Intn(80)) * time.Millisecond
		go func() {
			defer close(sent)
			time.Sleep(delay)
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			defer ccancel()
			_ = c.PgConn().CancelRequest(cctx)
		}()
		_, err = c.Exec(tctx, "select pg_sleep(1)")
		<-sent
	case faultTimeout:
		b.st.timeouts.Add(1)
		if _, err = c.Exec(tctx, "set local statement_timeout = 50"); err == nil {
			_, err = c.Exec(tctx, "select pg_sleep(0.5)")
		}
	}
	if err != nil {
		return failed(err)
	}
	tag, err := c.Exec(tctx, "commit")
	var pgErr *pgconn.PgError
	switch {
	case err == nil && tag.String() == "COMMIT":
		b.led.ack(id)
	case err == nil:
		b.st.noteErr(faultNames[f] + " at commit: answered " + tag.String())
		b.led.abort(id)
	case errors.As(err, &pgErr):
		b.st.noteErr(faultNames[f] + " at commit: " + errKind(err))
		b.led.abort(id) // the server answered: it did not commit
	default:
		b.st.noteErr(faultNames[f] + " at commit: " + errKind(err))
		b.led.lost() // the answer was lost: committed or not, both are fine
	}
	return !c.IsClosed()
}

// noteUnasked counts a statement interrupted without this transaction asking for it:
// any 57014 in a plain transfer, or a statement timeout where only a cancel was sent.
func (b *bank) noteUnasked(f fault, err error) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		return
	}
	timeout := strings.Contains(pgErr.Message, "statement timeout")
	if f == faultNone || f == faultDisconnect || (f == faultCancel && timeout) {
		b.st.unasked.Add(1)
	}
}

// errKind names an error for the summary: its SQLSTATE and message, or what kind of
// failure it was.
func errKind(err error) string {
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr):
		return pgErr.Code + " " + pgErr.Message
	case errors.Is(err, context.DeadlineExceeded):
		return "client timeout"
	case errors.Is(err, context.Canceled):
		return "soak ending"
	case errors.As(err, &netErr), pgconn.SafeToRetry(err), errors.Is(err, net.ErrClosed):
		return "connection lost"
	}
	return "connection lost or other: " + firstWords(err.Error())
}

func firstWords(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}
