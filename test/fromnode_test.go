package test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/bridge"
	"github.com/pglite-go/pglite/internal/assetinstall"
)

// The data directories these tests read are written by PGlite itself, on Node: the npm
// package is installed once per machine under the user cache, in the directory test/diff
// uses for the same package.
const nodePGliteVersion = assetinstall.Version

// nodePGliteDir installs @electric-sql/pglite with npm unless it is there, and returns the
// directory that holds its node_modules. It skips the test without node or npm.
func nodePGliteDir(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("PGlite on Node")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	dir := os.Getenv("PGLITE_DIFF_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Skipf("no user cache dir: %v", err)
		}
		dir = filepath.Join(base, "pglite-go", "diff", "pglite-"+nodePGliteVersion)
	}
	installed := func(d string) bool {
		b, err := os.ReadFile(filepath.Join(d, "node_modules", "@electric-sql", "pglite", "package.json"))
		var meta struct{ Version string }
		return err == nil && json.Unmarshal(b, &meta) == nil && meta.Version == nodePGliteVersion
	}
	if installed(dir) {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	pkg := fmt.Sprintf(`{"private": true, "dependencies": {"@electric-sql/pglite": %q}}`+"\n", nodePGliteVersion)
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(pkg), 0o644); err != nil {
		t.Fatal(err)
	}
	npm := exec.Command("npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", "--loglevel=error")
	npm.Dir = tmp
	if out, err := npm.CombinedOutput(); err != nil {
		t.Fatalf("npm install @electric-sql/pglite@%s: %v\n%s", nodePGliteVersion, err, out)
	}
	os.RemoveAll(dir) // a damaged install
	if err := os.Rename(tmp, dir); err != nil && !installed(dir) {
		t.Fatal(err)
	}
	return dir
}

// runNode runs an ES module script with PGlite importable, and returns its last line of
// standard output.
func runNode(t *testing.T, pkgDir, script string, args ...string) (string, error) {
	cmd := exec.Command("node", append([]string{"--input-type=module", "-e", script, "--"}, args...)...)
	cmd.Dir = pkgDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err != nil {
		err = fmt.Errorf("node: %w\n%s%s", err, stdout.String(), stderr.String())
	}
	return lines[len(lines)-1], err
}

// nodeMake writes, with NodeFS, a data directory with a table of several types, a sequence
// and a view, then dumps it with dumpDataDir('gzip'), closes it, and loads the dump into a
// new in-memory PGlite to see what nextval gives there.
const nodeMake = `
import { PGlite } from '@electric-sql/pglite';
import { writeFileSync, readFileSync } from 'node:fs';
const [dir, archive] = process.argv.slice(1).filter((a) => a !== '--');
const db = new PGlite(dir);
await db.exec(` + "`" + `
create sequence s start 100;
create table t(id int primary key default nextval('s'), name text, n numeric(10,2),
  at timestamptz, j jsonb, b bytea, ok boolean, a int[], u uuid);
insert into t(name, n, at, j, b, ok, a, u) values
  ('plain', 1.5, '2024-01-02 03:04:05+00', '{"k": 1}', '\\x0102', true, '{1,2}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
  ('été ☃', -2.25, '2025-06-07 08:09:10+00', '[1, "x"]', '\\xff', false, '{}', null),
  (null, null, null, null, null, null, null, null);
create view v as select id, upper(name) as up from t where name is not null;
create index t_name on t(name);
` + "`" + `);
const dump = await db.dumpDataDir('gzip');
writeFileSync(archive, Buffer.from(await dump.arrayBuffer()));
await db.close();
const again = await PGlite.create({ loadDataDir: new Blob([readFileSync(archive)]) });
const next = (await again.query("select nextval('s')::int as n")).rows[0].n;
await again.close();
console.log(JSON.stringify({ file: dump.name, type: dump.type, next }));
`

// nodeCrash writes a table with NodeFS and dies without closing the database: the
// directory keeps PGlite's postmaster.pid (pid -42) and needs crash recovery.
const nodeCrash = `
import { PGlite } from '@electric-sql/pglite';
const db = new PGlite(process.argv.slice(1).filter((a) => a !== '--')[0]);
await db.exec('create table c(x int); insert into c select generate_series(1, 1000)');
console.log('written');
process.kill(process.pid, 'SIGKILL');
`

// nodeCount opens a NodeFS data directory and prints the rows of t and the last name.
const nodeCount = `
import { PGlite } from '@electric-sql/pglite';
const db = new PGlite(process.argv.slice(1).filter((a) => a !== '--')[0]);
const r = (await db.query('select count(*)::int as n, max(name) filter (where id = (select max(id) from t)) as last from t')).rows[0];
await db.close();
console.log(r.n + ' ' + r.last);
`

// checkNodeData reads back what nodeMake wrote, exactly.
func checkNodeData(t *testing.T, c *pgx.Conn, wantNext int) {
	t.Helper()
	ctx := ctxT(t)
	rows, err := c.Query(ctx, `select id, coalesce(name, '∅'), coalesce(n::text, '∅'), coalesce(at::text, '∅'),
		coalesce(j::text, '∅'), coalesce(encode(b, 'hex'), '∅'), coalesce(ok::text, '∅'), coalesce(a::text, '∅'),
		coalesce(u::text, '∅') from t order by id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSuffix(fmt.Sprintln(vals...), "\n"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"100 plain 1.50 2024-01-02 03:04:05+00 {\"k\": 1} 0102 true {1,2} a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"101 été ☃ -2.25 2025-06-07 08:09:10+00 [1, \"x\"] ff false {} ∅",
		"102 ∅ ∅ ∅ ∅ ∅ ∅ ∅ ∅",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v := scalar[string](t, c, "select string_agg(id || ':' || up, ',' order by id) from v"); v != "100:PLAIN,101:ÉTÉ ☃" {
		t.Fatalf("view: %q", v)
	}
	if n := scalar[int](t, c, "select count(*)::int from t where name = 'plain'"); n != 1 {
		t.Fatalf("index lookup: %d rows", n)
	}
	if n := scalar[int](t, c, "select nextval('s')::int"); n != wantNext {
		t.Fatalf("nextval: %d, want %d", n, wantNext)
	}
	mustExec(t, c, "insert into t(name) values ('from go')")
}

// runDaemonArgs starts pglited with these arguments on a free port and waits until it
// accepts connections.
func runDaemonArgs(t *testing.T, bin string, args ...string) *daemon {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, append([]string{"--port", fmt.Sprint(port), "--log-format", "json"}, args...)...)
	d := &daemon{cmd: cmd, port: port, log: &strings.Builder{}, done: make(chan error, 1)}
	var mu sync.Mutex
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			d.log.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := pgx.Connect(context.Background(), d.dsn())
		if err == nil {
			c.Close(context.Background())
			return d
		}
		select {
		case <-d.done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("daemon exited: %v\n%s", err, d.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready: %v", err)
		}
	}
}

func stopDaemon(t *testing.T, d *daemon) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGINT)
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, d.log)
	}
}

// TestFromNode opens data directories PGlite 0.5.17 wrote on Node: one closed cleanly, one
// left by a killed process, and a dumpDataDir() archive loaded with --load-data-dir into a
// new directory, into memory, and with pglite.Options.LoadDataDir.
func TestFromNode(t *testing.T) {
	pkg := nodePGliteDir(t)
	bin := buildDaemon(t)
	work := t.TempDir()
	nodeDir, crashDir := filepath.Join(work, "pgdata"), filepath.Join(work, "crashed")
	archive := filepath.Join(work, "dump.tar.gz")
	var crashOut string
	var crashErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); crashOut, crashErr = runNode(t, pkg, nodeCrash, crashDir) }()
	out, err := runNode(t, pkg, nodeMake, nodeDir, archive)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if crashOut != "written" {
		t.Fatalf("crashing node: %q %v", crashOut, crashErr)
	}
	var made struct {
		File, Type string
		Next       int
	}
	if err := json.Unmarshal([]byte(out), &made); err != nil {
		t.Fatalf("node said %q: %v", out, err)
	}
	t.Logf("PGlite %s on Node: dumpDataDir wrote %s (%s); nextval after loading it there: %d", nodePGliteVersion, made.File, made.Type, made.Next)
	if pid, err := os.ReadFile(filepath.Join(crashDir, "postmaster.pid")); err != nil || !strings.HasPrefix(string(pid), "-42\n") {
		t.Fatalf("the killed PGlite left no postmaster.pid with pid -42: %q %v", pid, err)
	}

	t.Run("NodeFS directory", func(t *testing.T) {
		d := runDaemonArgs(t, bin, "--data-dir", nodeDir)
		c := connect(t, d.dsn())
		checkNodeData(t, c, 103) // closed cleanly: the sequence goes on where it was
		c.Close(context.Background())
		stopDaemon(t, d)
		// And back: PGlite on Node opens it after pglited, with the row written here.
		out, err := runNode(t, pkg, nodeCount, nodeDir)
		if err != nil || out != "4 from go" {
			t.Fatalf("PGlite on Node after pglited: %q %v", out, err)
		}
	})
	t.Run("NodeFS directory after a crash", func(t *testing.T) {
		d := runDaemonArgs(t, bin, "--data-dir", crashDir)
		c := connect(t, d.dsn())
		if n := scalar[int](t, c, "select sum(x)::int from c"); n != 500500 {
			t.Fatalf("sum %d", n)
		}
		c.Close(context.Background())
		stopDaemon(t, d)
	})
	t.Run("load into a data dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new")
		d := runDaemonArgs(t, bin, "--load-data-dir", archive, "--data-dir", dir)
		c := connect(t, d.dsn())
		checkNodeData(t, c, made.Next)
		c.Close(context.Background())
		stopDaemon(t, d)
		if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
			t.Fatalf("postmaster.pid after shutdown: %v", err)
		}
		// Started again without the archive, it is an ordinary data directory.
		d = runDaemonArgs(t, bin, "--data-dir", dir)
		c = connect(t, d.dsn())
		if n := scalar[int](t, c, "select count(*)::int from t"); n != 4 {
			t.Fatalf("%d rows after a restart", n)
		}
		c.Close(context.Background())
		stopDaemon(t, d)
		// A directory that holds anything is refused.
		cmd := exec.Command(bin, "--port", fmt.Sprint(freePort(t)), "--load-data-dir", archive, "--data-dir", dir)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(out), "data directory is not empty") {
			t.Fatalf("non-empty target: exit %d:\n%s", code, out)
		}
	})
	t.Run("load into memory", func(t *testing.T) {
		before := loadTempDirs(t)
		d := runDaemonArgs(t, bin, "--load-data-dir", archive, "--data-dir=")
		c := connect(t, d.dsn())
		checkNodeData(t, c, made.Next)
		// The archive was unpacked into a temporary directory, removed once the database
		// was up (its files are in memory now).
		for deadline := time.Now().Add(10 * time.Second); loadTempDirs(t) > before; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the temporary directory is still there: %d now, %d before the start", loadTempDirs(t), before)
			}
		}
		c.Close(context.Background())
		stopDaemon(t, d)
	})
	t.Run("pglite.Options.LoadDataDir", func(t *testing.T) {
		for _, dataDir := range []string{"", filepath.Join(t.TempDir(), "d")} {
			srv, err := pglite.Start(ctxT(t), pglite.Options{LoadDataDir: archive, DataDir: dataDir, NoTCP: true})
			if err != nil {
				t.Fatal(err)
			}
			c, err := srv.Connect(ctxT(t))
			if err != nil {
				t.Fatal(err)
			}
			checkNodeData(t, c, made.Next)
			c.Close(context.Background())
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// loadTempDirs counts the temporary directories --load-data-dir makes.
func loadTempDirs(t *testing.T) int {
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "pglited-load-*"))
	return len(m)
}

// TestLoadDataDir_refuses archives that are not a data directory or that would write outside
// the target, and leaves the target empty.
func TestLoadDataDir_refuses(t *testing.T) {
	type entry struct {
		name string
		typ  byte
		body string
	}
	write := func(t *testing.T, gz bool, entries ...entry) string {
		var buf bytes.Buffer
		var w *tar.Writer
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(&buf)
			w = tar.NewWriter(zw)
		} else {
			w = tar.NewWriter(&buf)
		}
		for _, e := range entries {
			h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
			if e.typ == tar.TypeSymlink {
				h.Linkname, h.Size = e.body, 0
			}
			if err := w.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			if h.Size > 0 {
				w.Write([]byte(e.body))
			}
		}
		w.Close()
		if zw != nil {
			zw.Close()
		}
		p := filepath.Join(t.TempDir(), "a.tar")
		os.WriteFile(p, buf.Bytes(), 0o600)
		return p
	}
	version := entry{"/PG_VERSION", tar.TypeReg, "18\n"}
	cases := []struct {
		name    string
		gz      bool
		entries []entry
		want    string
	}{
		{"dot-dot", true, []entry{version, {"/../escaped", tar.TypeReg, "x"}}, "leaves the data directory"},
		{"dot-dot inside", false, []entry{{"base/../../escaped", tar.TypeReg, "x"}, version}, "leaves the data directory"},
		{"symlink", true, []entry{version, {"/pg_tblspc/1", tar.TypeSymlink, "/etc"}}, "not a file or a directory"},
		{"no PG_VERSION", true, []entry{{"/base/1/1259", tar.TypeReg, "x"}}, "no PG_VERSION"},
		{"another major", false, []entry{{"/PG_VERSION", tar.TypeReg, "16\n"}}, "PostgreSQL 16 data directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			target := filepath.Join(root, "data")
			err := bridge.LoadDataDir(write(t, tc.gz, tc.entries...), target)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(root, "escaped")); !os.IsNotExist(err) {
				t.Fatal("a file was written outside the target")
			}
			left, _ := os.ReadDir(target)
			for _, e := range left {
				if e.Name() != "pglite.lock" {
					t.Fatalf("left in the target: %s", e.Name())
				}
			}
		})
	}
	t.Run("not a tar", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.tar.gz")
		os.WriteFile(p, []byte("hello, this is not an archive of anything at all, just text to fill 512 bytes"), 0o600)
		if err := bridge.LoadDataDir(p, filepath.Join(t.TempDir(), "d")); err == nil {
			t.Fatal("loaded")
		}
	})
}
