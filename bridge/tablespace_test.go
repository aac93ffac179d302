package bridge

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestTablespaces: with a host data directory, a tablespace whose location would keep its
// files in memory is refused with a clear error (nothing is acknowledged that would be lost),
// while an in-place tablespace, stored under the data directory, keeps its committed rows
// across a restart.
func TestTablespaces(t *testing.T) {
	dir := t.TempDir()
	inst := openTest(t, Config{DataDir: dir})
	var refused *pgproto3.ErrorResponse
	for _, m := range exchange(t, inst, &pgproto3.Query{String: "create tablespace lost location '/tmp'"}) {
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			refused = e
		}
	}
	if refused == nil || !strings.Contains(refused.Message, "could not create symbolic link") {
		t.Fatalf("create tablespace in memory: %+v", refused)
	}
	query(t, inst, "set allow_in_place_tablespaces = on")
	query(t, inst, "create tablespace kept location ''")
	query(t, inst, "create table t(x int) tablespace kept")
	query(t, inst, "insert into t select generate_series(1, 1000)")
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	again := openTest(t, Config{DataDir: dir})
	if got := query(t, again, "select count(*), (select count(*) from pg_tablespace where spcname = 'lost') from t"); got[0][0] != "1000" || got[0][1] != "0" {
		t.Fatalf("after restart: %v", got)
	}
}
