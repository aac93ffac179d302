package test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestTablespaces_noSilentLoss: with a host data directory, CREATE TABLESPACE at a location
// that would live in memory is refused, so no committed row can vanish at the next start; an
// in-place tablespace keeps its rows across a restart of the daemon.
func TestTablespaces_noSilentLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("daemon")
	}
	bin := buildDaemon(t)
	dir := t.TempDir()
	d := startDaemon(t, bin, dir)
	c := connect(t, d.dsn())
	_, err := c.Exec(ctxT(t), "create tablespace lost location '/tmp'")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || !strings.Contains(pgErr.Message, "could not create symbolic link") {
		t.Fatalf("create tablespace in memory: %v", err)
	}
	mustExec(t, c, "set allow_in_place_tablespaces = on")
	mustExec(t, c, "create tablespace kept location ''")
	mustExec(t, c, "create table t(x int) tablespace kept")
	mustExec(t, c, "insert into t select generate_series(1, 1000)")
	c.Close(ctxT(t))
	d.cmd.Process.Kill() // no shutdown checkpoint: the rows come back from the WAL
	d.wait(t)
	d = startDaemon(t, bin, dir)
	c = connect(t, d.dsn())
	if n := scalar[int64](t, c, "select count(*) from t"); n != 1000 {
		t.Fatalf("rows after a restart: %d", n)
	}
}
