package pgtest_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/test/pgtest"
)

const keepChildEnv = "PGTEST_KEEP_CHILD"

// TestKeepChild fails on purpose, with committed rows and an open transaction: it is the
// process TestKeep inspects.
func TestKeepChild(t *testing.T) {
	if os.Getenv(keepChildEnv) == "" {
		t.Skip("run by TestKeep")
	}
	db := pgtest.New(t)
	c := db.Conn()
	if _, err := c.Exec(ctxT(t), "create table kept (v int); insert into kept values (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctxT(t), "begin; insert into kept values (4)"); err != nil {
		t.Fatal(err)
	}
	t.Error("deliberate failure")
}

// TestKeep: with PGTEST_KEEP=1 a failed test's database is kept: the log names its DSN and
// a saved data directory, and that directory serves the committed rows.
func TestKeep(t *testing.T) {
	keepDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeepChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), keepChildEnv+"=1", "PGTEST_KEEP=1", "PGTEST_KEEP_DIR="+keepDir)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "deliberate failure") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"PGTEST_KEEP=1: kept the database of TestKeepChild", "psql 'postgres://postgres@", "pglited --data-dir " + keepDir} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`a copy \(committed data\): (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no saved directory in:\n%s", out)
	}
	srv, err := pglite.Start(ctxT(t), pglite.Options{DataDir: string(m[1]), NoTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := srv.Connect(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n, sum int
	if err := c.QueryRow(ctxT(t), "select count(*), sum(v) from kept").Scan(&n, &sum); err != nil || n != 3 || sum != 6 {
		t.Fatalf("kept rows: %d, sum %d (%v), want the 3 committed", n, sum, err)
	}
}
