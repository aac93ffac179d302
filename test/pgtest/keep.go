package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// keepEnv keeps the database of a failed test (PGTEST_KEEP=1); keepDirEnv says where its
// copy goes (default: pgtest-kept in the temporary directory).
const (
	keepEnv    = "PGTEST_KEEP"
	keepDirEnv = "PGTEST_KEEP_DIR"
)

// kept holds the servers of failed tests, so that they stay up until the test binary
// exits.
var kept struct {
	sync.Mutex
	dbs []*DB
}

// keep leaves a failed test's database running and saves a copy of it, and logs how to
// reach both: the running server by its DSN while the test binary lives, the copy with
// pglited afterwards.
func (db *DB) keep() {
	t := db.t
	db.closeClients() // rolls back what they left open, so that the copy can be taken
	kept.Lock()
	kept.dbs = append(kept.dbs, db)
	kept.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "pgtest: %s=1: kept the database of %s\n", keepEnv, t.Name())
	fmt.Fprintf(&b, "  while the test binary runs: psql '%s'\n", db.DSN())
	root := os.Getenv(keepDirEnv)
	if root == "" {
		root = filepath.Join(os.TempDir(), "pgtest-kept")
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir := filepath.Join(root, fmt.Sprintf("%s-%s", name, time.Now().Format("20060102-150405.000")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.SaveDataDir(ctx, dir); err != nil {
		fmt.Fprintf(&b, "  could not save a copy: %v\n", err)
	} else {
		fmt.Fprintf(&b, "  a copy (committed data): %s\n", dir)
		fmt.Fprintf(&b, "  serve it: go run github.com/pglite-go/pglite/cmd/pglited --data-dir %s --port 5433\n", dir)
		b.WriteString("  then: psql -h 127.0.0.1 -p 5433 -U postgres (psql 17 or newer for \\d and \\l)")
	}
	t.Log(b.String())
}
