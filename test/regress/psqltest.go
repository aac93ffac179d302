package regress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// TestResult is the outcome of one test.
type TestResult struct {
	Name     string
	Passed   bool
	Duration time.Duration
	Problem  string // why it failed beyond its output, e.g. "timed out" or "psql exited with status 2"
	TimedOut bool   // psql was killed at the per-test timeout
	Diff     string // the diff file, when it failed
	Restarts int    // instance restarts while it ran
	Recycles int    // memory recycles while it ran
	Leaves   string // with Config.Probe: the session state a new client found afterwards, if not clean
}

// runTest feeds sql/T.sql (rewritten, see RewriteSQL) to psql as pg_regress does, with stdout
// and stderr into one file, and compares that file with expected/.
func (r *runner) runTest(ctx context.Context, test string) (res TestResult) {
	res.Name = test
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	if r.psqlMajor < 18 && NeedsPsql18[test] {
		res.Problem = fmt.Sprintf("not run: needs psql 18, this is psql %d", r.psqlMajor)
		return res
	}
	src, err := os.ReadFile(filepath.Join(r.cfg.Suite, "sql", test+".sql"))
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	rw := RewriteSQL(string(src), filepath.Join(r.cfg.Suite, "data"), testVars(r.paths))
	input := filepath.Join(r.cfg.OutDir, "input", test+".sql")
	result := filepath.Join(r.cfg.OutDir, "results", test+".out")
	if err := os.WriteFile(input, []byte(rw.SQL), 0o644); err != nil {
		res.Problem = err.Error()
		return res
	}
	status, timedOut, err := r.psql(ctx, test, input, result)
	switch {
	case err != nil:
		res.Problem = err.Error()
		return res
	case timedOut:
		res.TimedOut = true
		res.Problem = fmt.Sprintf("timed out after %s", r.cfg.Timeout)
	case status != 0:
		res.Problem = fmt.Sprintf("psql exited with status %d", status)
	}
	if rw.Rewrites > 0 {
		out, err := os.ReadFile(result)
		if err == nil {
			err = os.WriteFile(result, []byte(rw.RestoreEcho(string(out))), 0o644)
		}
		if err != nil {
			res.Problem = err.Error()
			return res
		}
	}
	same, diff, err := compare(result, expectedFiles(r.cfg.Suite, test))
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	res.Passed = same && res.Problem == ""
	if !res.Passed {
		if res.Problem != "" {
			diff = append([]byte("*** "+test+": "+res.Problem+"\n"), diff...)
		}
		res.Diff = filepath.Join(r.cfg.OutDir, "diffs", test+".diff")
		if err := os.WriteFile(res.Diff, diff, 0o644); err != nil {
			res.Problem = err.Error()
		}
		r.allDiffs = append(r.allDiffs, diff...)
	}
	return res
}

// psql runs `psql -X -a -q -d regression -v HIDE_TABLEAM=on -v HIDE_TOAST_COMPRESSION=on
// < input > result 2>&1` with the test's environment and the per-test timeout.
func (r *runner) psql(ctx context.Context, test, input, result string) (status int, timedOut bool, err error) {
	in, err := os.Open(input)
	if err != nil {
		return 0, false, err
	}
	defer in.Close()
	out, err := os.Create(result)
	if err != nil {
		return 0, false, err
	}
	defer out.Close()
	tctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, "psql", "-X", "-a", "-q", "-d", r.cfg.Database,
		"-v", "HIDE_TABLEAM=on", "-v", "HIDE_TOAST_COMPRESSION=on")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, out // one file, one offset: `> result 2>&1`
	cmd.Env = testEnv(r.daemon, test, r.paths)
	cmd.Dir = r.cfg.OutDir
	err = cmd.Run()
	if tctx.Err() == context.DeadlineExceeded {
		return -1, true, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), false, nil
	}
	return 0, false, err
}
