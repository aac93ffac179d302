package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDump_pglited covers `pglited dump`: a running server by DSN, its data directory
// refused while the server holds it, the same directory dumped once the server stopped
// (into -f FILE, which a failed dump leaves alone), and bad arguments.
func TestDump_pglited(t *testing.T) {
	bin := buildDaemon(t)
	dir := filepath.Join(t.TempDir(), "data")
	d := startDaemon(t, bin, dir)
	c := connect(t, d.dsn())
	mustExec(t, c, "create table notes(id int primary key, body text); insert into notes values (1, 'kept'), (2, 'also')")
	mustExec(t, c, "create table other(x int); insert into other values (42)")
	c.Close(ctxT(t))

	dump := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"dump"}, args...)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatal(err)
			}
		}
		return o.String(), e.String(), cmd.ProcessState.ExitCode()
	}

	out, errOut, code := dump("--dsn", d.dsn(), "--table=notes", "--", "--inserts")
	if code != 0 || !strings.Contains(out, "INSERT INTO public.notes VALUES (1, 'kept');") || strings.Contains(out, "other") {
		t.Fatalf("dump by DSN: exit %d\n%s\n%s", code, errOut, out)
	}

	_, errOut, code = dump("--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "is in use by process") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("dump of a directory in use: exit %d, want 1 and one line\n%s", code, errOut)
	}

	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("daemon exit %d\n%s", code, d.log)
	}
	file := filepath.Join(t.TempDir(), "app.sql")
	if _, errOut, code = dump("-D", dir, "-f", file, "--schema-only"); code != 0 {
		t.Fatalf("dump of a data directory: exit %d\n%s", code, errOut)
	}
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(good), "CREATE TABLE public.notes") || strings.Contains(string(good), "COPY public.notes") {
		t.Fatalf("--schema-only dump:\n%s", good)
	}

	_, errOut, code = dump("-D", dir, "-f", file, "--table=nosuch")
	if code != 1 || strings.TrimSpace(errOut) != `pglited dump: pg_dump: error: no matching tables were found` {
		t.Fatalf("failed dump: exit %d\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(after, good) {
		t.Fatal("a failed dump replaced the file")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".app.sql.tmp-*")); len(m) != 0 {
		t.Fatalf("a failed dump left %v", m)
	}

	for _, bad := range [][]string{
		{"-D", dir, "--", "--format=custom"},
		{"-D", dir, "--", "--file=/tmp/x"},
		{"-D", dir, "--", "-h", "elsewhere"},
		{"-D", filepath.Join(dir, "nope")},
		{},
	} {
		if _, errOut, code := dump(bad...); code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "pglited dump: ") {
			t.Errorf("pglited dump %v: exit %d, want 1 and one line:\n%s", bad, code, errOut)
		}
	}
}
