package regress

import (
	"strings"
	"testing"
)

func TestRewriteSQL_copyFromDataFile(t *testing.T) {
	env := map[string]string{"PG_ABS_SRCDIR": "/suite", "PG_ABS_BUILDDIR": "/build"}
	in := strings.Join([]string{
		`\getenv abs_srcdir PG_ABS_SRCDIR`,
		`\getenv abs_builddir PG_ABS_BUILDDIR`,
		`\set filename :abs_srcdir '/data/agg.data'`,
		`COPY aggtest FROM :'filename';`,
		`copy tab from :'filename'`,
		`	where (salary < 2000);`,
		`-- COPY hash_ovfl_heap FROM :'filename';`,
		`\set filename :abs_builddir '/results/onek.data'`,
		`COPY onek_copy FROM :'filename';`,
		`select 1;`,
		``}, "\n")
	rw := RewriteSQL(in, "/suite/data", env)
	want := strings.Join([]string{
		`\getenv abs_srcdir PG_ABS_SRCDIR`,
		`\getenv abs_builddir PG_ABS_BUILDDIR`,
		`\set filename :abs_srcdir '/data/agg.data'`,
		`\copy aggtest FROM '/suite/data/agg.data'`,
		`\copy tab from '/suite/data/agg.data' where (salary < 2000)`,
		`-- COPY hash_ovfl_heap FROM :'filename';`,
		`\set filename :abs_builddir '/results/onek.data'`,
		`COPY onek_copy FROM :'filename';`, // the server's own file: left alone
		`select 1;`,
		``}, "\n")
	if rw.SQL != want {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", rw.SQL, want)
	}
	if rw.Rewrites != 2 {
		t.Fatalf("Rewrites = %d, want 2", rw.Rewrites)
	}
	// psql -a echoes the \copy lines; restoring gives back the test's own text.
	if got := rw.RestoreEcho(rw.SQL); got != in {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, in)
	}
}

func TestRewriteSQL_unknownVariable(t *testing.T) {
	in := "COPY t FROM :'filename';\n"
	if rw := RewriteSQL(in, "/suite/data", nil); rw.SQL != in || rw.Rewrites != 0 {
		t.Fatalf("rewrote a COPY whose file is unknown: %q", rw.SQL)
	}
}
