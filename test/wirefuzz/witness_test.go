package wirefuzz

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite"
)

// witness is the well-behaved client: an ordinary pgx connection whose transaction, row,
// session settings, prepared statement and LISTEN subscription must all come through
// whatever the fuzzed client does.
type witness struct {
	srv  *pglite.Server
	conn *pgx.Conn
	tx   pgx.Tx
	id   int64
}

var witnessIDs atomic.Int64

const (
	witnessChannel = "wf_witness_ch"
	// checkStmt is prepared when the witness connects: DEALLOCATE or a Close from another
	// client must not take it away.
	checkStmt = "wf_witness_check"
	checkSQL  = `select count(*) filter (where id = $1),
	current_setting('client_encoding'), current_setting('statement_timeout'),
	current_setting('search_path'), current_setting('default_transaction_read_only'),
	current_user::text, txid_current_if_assigned() is null from wf_witness`
)

// session is what checkSQL should report besides the row count.
var session = [...]string{"UTF8", "0", `"$user", public`, "off", "postgres"}

// connectWitness connects to srv and prepares its statement and subscription.
func connectWitness(ctx context.Context, srv *pglite.Server) (*witness, error) {
	c, err := srv.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err = c.Prepare(ctx, checkStmt, checkSQL); err == nil {
		_, err = c.Exec(ctx, "listen "+witnessChannel)
	}
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	return &witness{srv: srv, conn: c}, nil
}

// begin opens the witness's transaction and inserts its row for this iteration.
func (w *witness) begin(ctx context.Context) error {
	w.id = witnessIDs.Add(1)
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("witness begin: %w", err)
	}
	w.tx = tx
	if _, err := tx.Exec(ctx, "insert into wf_witness(id) values ($1)", w.id); err != nil {
		return fmt.Errorf("witness insert: %w", err)
	}
	return nil
}

// commit ends the transaction begin opened; a second call does nothing.
func (w *witness) commit(ctx context.Context) error {
	if w.tx == nil {
		return nil
	}
	tx := w.tx
	w.tx = nil
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("witness commit: %w", err)
	}
	return nil
}

// verify checks, after the fuzzed client is gone, that the committed row is there and the
// witness's session is untouched.
func (w *witness) verify(ctx context.Context) error {
	if st := w.conn.PgConn().TxStatus(); st != 'I' {
		return fmt.Errorf("witness is in transaction state %q after its commit", st)
	}
	var n int64
	var got [len(session)]string
	var noTx bool
	err := w.conn.QueryRow(ctx, checkStmt, w.id).Scan(&n, &got[0], &got[1], &got[2], &got[3], &got[4], &noTx)
	if err != nil {
		return fmt.Errorf("witness check: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("witness row %d: found %d times after its commit", w.id, n)
	}
	if got != session {
		return fmt.Errorf("witness session changed: got %q, want %q", got, session)
	}
	if !noTx {
		return errors.New("witness has a transaction id assigned outside any transaction")
	}
	if _, err := w.conn.Exec(ctx, "notify "+witnessChannel+", 'ping'"); err != nil {
		return fmt.Errorf("witness notify: %w", err)
	}
	nctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := w.conn.WaitForNotification(nctx); err != nil {
		return fmt.Errorf("witness lost its LISTEN subscription: %w", err)
	}
	return nil
}

func (w *witness) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.conn.Close(ctx)
}
