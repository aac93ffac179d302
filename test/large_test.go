package test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestLarge_bytea64MB: a 64 MB bytea goes in as a parameter and comes back intact.
func TestLarge_bytea64MB(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	mustExec(t, c, "create table blobs(id int, b bytea)")
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	sum := sha256.Sum256(big)
	mustExec(t, c, "insert into blobs values (1, $1)", big)
	var back []byte
	if err := c.QueryRow(ctxT(t), "select b from blobs where id = 1").Scan(&back); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(back) != sum {
		t.Fatalf("bytea changed: %d bytes", len(back))
	}
	if got := scalar[string](t, c, "select encode(sha256(b), 'hex') from blobs"); got != fmt.Sprintf("%x", sum) {
		t.Fatalf("server-side hash %s", got)
	}
}

// TestLarge_pipeline1000: 1,000 queries in one pipeline before Sync.
func TestLarge_pipeline1000(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	batch := &pgx.Batch{}
	for i := 0; i < 1000; i++ {
		batch.Queue("select $1::int * 2", i)
	}
	br := c.SendBatch(ctxT(t), batch)
	for i := 0; i < 1000; i++ {
		var v int
		if err := br.QueryRow().Scan(&v); err != nil || v != i*2 {
			t.Fatalf("query %d: %d %v", i, v, err)
		}
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLarge_copyBothWays: COPY FROM STDIN and COPY TO STDOUT through the server.
func TestLarge_copyBothWays(t *testing.T) {
	s := startServer(t, nil)
	c := connect(t, s.dsn(""))
	other := connect(t, s.dsn(""))
	mustExec(t, c, "create table cp(id int, v text)")
	var in strings.Builder
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&in, "%d\tvalue %d\n", i, i)
	}
	tag, err := c.PgConn().CopyFrom(ctxT(t), strings.NewReader(in.String()), "copy cp from stdin")
	if err != nil || tag.RowsAffected() != 100000 {
		t.Fatalf("copy in: %v %v", tag, err)
	}
	if n := scalar[int64](t, other, "select count(*) from cp"); n != 100000 {
		t.Fatalf("rows: %d", n)
	}
	var out bytes.Buffer
	tag, err = c.PgConn().CopyTo(ctxT(t), &out, "copy (select * from cp order by id) to stdout")
	if err != nil || tag.RowsAffected() != 100000 {
		t.Fatalf("copy out: %v %v", tag, err)
	}
	if out.String() != in.String() {
		t.Fatalf("copy out differs: %d vs %d bytes", out.Len(), in.Len())
	}
	// pgx CopyFrom uses the binary COPY format.
	rows := make([][]any, 1000)
	for i := range rows {
		rows[i] = []any{int32(200000 + i), "bin"}
	}
	n, err := c.CopyFrom(ctxT(t), pgx.Identifier{"cp"}, []string{"id", "v"}, pgx.CopyFromRows(rows))
	if err != nil || n != 1000 {
		t.Fatalf("binary copy: %d %v", n, err)
	}
}
