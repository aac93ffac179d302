package bridge

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// TestBridge_hostDir_survivesReopen: data written to a host directory is there after Close
// and Open, Close removes postmaster.pid, and a second Close is a no-op.
func TestBridge_hostDir_survivesReopen(t *testing.T) {
	dir := t.TempDir()
	inst := openTest(t, Config{DataDir: dir})
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("postmaster.pid while running: %v", err)
	}
	query(t, inst, "create table kept(id int primary key, note text)")
	query(t, inst, "insert into kept select g, 'row ' || g from generate_series(1, 1000) g")
	query(t, inst, "begin")
	query(t, inst, "insert into kept values (5000, 'committed in a transaction')")
	query(t, inst, "commit")
	if err := inst.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := inst.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid after Close: %v", err)
	}
	if err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: "select 1"}), func([]byte) error { return nil }); err != ErrClosed {
		t.Fatalf("Exec after Close: %v", err)
	}

	again := openTest(t, Config{DataDir: dir})
	if again.Timings.ClusterFromTemplate {
		t.Fatal("reopen made a new cluster instead of using the existing one")
	}
	rows := query(t, again, "select count(*), sum(id), max(note) from kept where id <= 1000")
	if got := strings.Join(rows[0], ","); got != "1000,500500,row 999" {
		t.Fatalf("after reopen: %s", got)
	}
	if rows := query(t, again, "select note from kept where id = 5000"); len(rows) != 1 || rows[0][0] != "committed in a transaction" {
		t.Fatalf("transaction row after reopen: %v", rows)
	}
	query(t, again, "insert into kept values (5001, 'second session')")
	if err := again.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	third := openTest(t, Config{DataDir: dir})
	if rows := query(t, third, "select count(*) from kept"); rows[0][0] != "1002" {
		t.Fatalf("third open: %v", rows)
	}
}

const helperEnv = "PGLITE_TEST_HELPER"

// TestHelperProcess is the child of the tests that need a process of their own. It does
// nothing unless PGLITE_TEST_HELPER names a role.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		t.Skip("helper process only")
	case "commit-loop":
		helperCommitLoop(t, os.Getenv("PGLITE_TEST_DATADIR"))
	case "startup":
		helperStartup(t)
	default:
		t.Fatalf("unknown helper role %q", os.Getenv(helperEnv))
	}
	os.Exit(0)
}

// helperCommitLoop commits one row per transaction and prints each id once its Exec has
// returned (so PostgreSQL has reported the commit), until it is killed.
func helperCommitLoop(t *testing.T, dir string) {
	cfg := Config{DataDir: dir, Logger: zerolog.Nop()}
	inst, err := Open(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	run := func(sql string) {
		var ok bool
		var failure string
		err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: sql}), func(b []byte) error {
			for _, m := range decodeAll(t, b) {
				switch m := m.(type) {
				case *pgproto3.CommandComplete:
					ok = true
				case *pgproto3.ErrorResponse:
					failure = m.Code + " " + m.Message
				}
			}
			return nil
		})
		if err != nil || failure != "" || !ok {
			fmt.Fprintf(os.Stderr, "%s: %v %s\n", sql, err, failure)
			os.Exit(3)
		}
	}
	run("create table committed(id int primary key)")
	fmt.Fprintln(w, "ready")
	w.Flush()
	for id := 1; ; id++ {
		run(fmt.Sprintf("insert into committed values (%d)", id))
		fmt.Fprintln(w, id)
		w.Flush()
	}
}

// TestBridge_hostDir_survivesSIGKILL: a child process commits rows one by one and is
// killed with SIGKILL; on reopen, crash recovery runs and every row whose commit the child
// saw is there.
func TestBridge_hostDir_survivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	if _, err := LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), helperEnv+"=commit-loop", "PGLITE_TEST_DATADIR="+dir)
	cmd.Stderr = &testWriter{t: t, prefix: "child: "}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	const target = 400
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []int
	started, ready := time.Now(), time.Time{}
	timeout := time.After(5 * time.Minute) // a hang guard, not a performance assertion
	for len(printed) < target {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("child ended after %d ids: %v", len(printed), cmd.Wait())
			}
			if line == "ready" {
				ready = time.Now()
				continue
			}
			id, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("child printed %q", line)
			}
			printed = append(printed, id)
		case <-timeout:
			t.Fatalf("child printed only %d ids", len(printed))
		}
	}
	t.Logf("child: open %v, %d commits in %v", ready.Sub(started).Round(time.Millisecond), target, time.Since(ready).Round(time.Millisecond))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	// Drain whatever the child printed before it died: those commits were acknowledged too.
	for line := range lines {
		if id, err := strconv.Atoi(line); err == nil {
			printed = append(printed, id)
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("a killed backend leaves postmaster.pid behind: %v", err)
	}

	inst := openTest(t, Config{DataDir: dir})
	rows := query(t, inst, "select id from committed order by id")
	have := make(map[int]bool, len(rows))
	for _, r := range rows {
		id, _ := strconv.Atoi(r[0])
		have[id] = true
	}
	for _, id := range printed {
		if !have[id] {
			t.Fatalf("row %d was committed before the kill but is missing after recovery (%d rows, %d printed)", id, len(rows), len(printed))
		}
	}
	// The database is consistent after recovery: the index agrees with the heap.
	if r := query(t, inst, "select count(*) from committed where id > 0"); r[0][0] != strconv.Itoa(len(rows)) {
		t.Fatalf("index scan count %s, heap rows %d", r[0][0], len(rows))
	}
	t.Logf("%d commits printed, %d rows after recovery", len(printed), len(rows))
}

// testWriter forwards a child's output to the test log.
type testWriter struct {
	t      *testing.T
	prefix string
}

func (w *testWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + line)
	}
	return len(p), nil
}
