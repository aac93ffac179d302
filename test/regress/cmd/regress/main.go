// Command regress runs PostgreSQL 18.6's regression suite against pglited and prints which
// tests pass; with -check it fails when a test of passing.txt no longer does.
//
//	go run ./test/regress/cmd/regress [-check] [-update] [-tests a,b] [-timeout 5m]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pglite-go/pglite/test/regress"
)

func main() {
	os.Exit(run())
}

func run() int {
	defSuite := os.Getenv("PG_REGRESS_DIR")
	if defSuite == "" {
		defSuite = "../shared/pg-regress-18.6"
	}
	var (
		suite    = flag.String("suite", defSuite, "the PostgreSQL 18.6 regression suite (sql/, expected/, data/, parallel_schedule) [$PG_REGRESS_DIR]")
		bin      = flag.String("pglited", "bin/pglited", "the pglited binary (make build)")
		out      = flag.String("out", "test/regress/out", "directory for results/, diffs/, regression.diffs and pglited.log")
		passing  = flag.String("passing", "test/regress/passing.txt", "the list of tests that pass")
		timeout  = flag.Duration("timeout", 5*time.Minute, "per-test timeout")
		tests    = flag.String("tests", "", "comma-separated tests to run, in this order (default: parallel_schedule)")
		check    = flag.Bool("check", false, "exit 1 when a test listed in -passing fails (without a suite: skip, exit 0)")
		update   = flag.Bool("update", false, "add the tests that passed to -passing")
		keep     = flag.Bool("keep", false, "keep the temporary data directory")
		probe    = flag.Bool("probe", false, "after each test, connect and report the session state it left behind (user, temp tables, prepared statements, cursors)")
		settings multiFlag
	)
	flag.Var(&settings, "c", "a server setting name=value for pglited (repeatable)")
	flag.Parse()
	abs, err := filepath.Abs(*suite)
	if err != nil {
		fmt.Fprintln(os.Stderr, "regress:", err)
		return 2
	}
	if _, err := os.Stat(filepath.Join(abs, "parallel_schedule")); err != nil {
		if *check {
			// A checkout without the suite (it is not in the repository) skips, as the
			// Go tests skip without assets.
			fmt.Printf("regress-check: SKIP, no regression suite at %s (set -suite or $PG_REGRESS_DIR)\n", abs)
			return 0
		}
		fmt.Fprintf(os.Stderr, "regress: no regression suite at %s (set -suite or $PG_REGRESS_DIR)\n", abs)
		return 2
	}
	cfg := regress.Config{Suite: abs, Bin: *bin, OutDir: *out, Timeout: *timeout, Keep: *keep, Probe: *probe, Progress: os.Stdout}
	for _, s := range settings {
		cfg.ServerArgs = append(cfg.ServerArgs, "-c", s)
	}
	if *tests != "" {
		cfg.Tests = strings.Split(*tests, ",")
	}
	listed, err := regress.ReadPassing(*passing)
	if err != nil && (*check || !os.IsNotExist(err)) {
		fmt.Fprintln(os.Stderr, "regress:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, runErr := regress.Run(ctx, cfg)
	if res == nil {
		fmt.Fprintln(os.Stderr, "regress:", runErr)
		return 2
	}
	passed := summarize(res, *out)
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "regress:", runErr)
	}
	if *update {
		schedule, err := regress.ReadSchedule(filepath.Join(abs, "parallel_schedule"))
		if err == nil {
			err = regress.WritePassing(*passing, listed, passed, schedule)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "regress:", err)
			return 2
		}
		fmt.Printf("updated %s\n", *passing)
	}
	if runErr != nil {
		return 2
	}
	if *check {
		return checkListed(res, listed, passed)
	}
	return 0
}

// summarize prints the totals, the failing tests and the restarts, and returns which tests
// passed.
func summarize(res *regress.Result, out string) map[string]bool {
	passed := map[string]bool{}
	var pass, fail, unscoredPass, unscored int
	var failed, failedPsql15, failedUnscored []string
	for _, t := range res.Tests {
		passed[t.Name] = t.Passed
		switch {
		case regress.NotScored[t.Name]:
			unscored++
			if t.Passed {
				unscoredPass++
			} else {
				failedUnscored = append(failedUnscored, t.Name)
			}
		case t.Passed:
			pass++
		default:
			fail++
			if regress.Psql15[t.Name] {
				failedPsql15 = append(failedPsql15, t.Name)
			} else {
				failed = append(failed, t.Name)
			}
		}
	}
	fmt.Printf("\n%d tests in %s\n", len(res.Tests), res.Duration.Round(time.Second))
	fmt.Printf("%d passed, %d failed (of %d scored tests)\n", pass, fail, pass+fail)
	if unscored > 0 {
		fmt.Printf("not scored, they need regress.so or host files: %d passed, %d failed\n", unscoredPass, unscored-unscoredPass)
	}
	if len(failed) > 0 {
		fmt.Printf("failed: %s\n", strings.Join(failed, " "))
	}
	if len(failedPsql15) > 0 {
		fmt.Printf("failed, and also fail on native PostgreSQL with psql 15: %s\n", strings.Join(failedPsql15, " "))
	}
	if len(failedUnscored) > 0 {
		fmt.Printf("failed, not scored: %s\n", strings.Join(failedUnscored, " "))
	}
	fmt.Printf("instance restarts: %d (%d \"instance broken\" log lines)", res.Restarts, res.BrokenLogLines)
	var at []string
	for _, t := range res.Tests {
		if t.Restarts > 0 {
			at = append(at, fmt.Sprintf("%s (%d)", t.Name, t.Restarts))
		}
	}
	if len(at) > 0 {
		fmt.Printf(", during: %s", strings.Join(at, ", "))
	}
	fmt.Printf("\ndiffs: %s\n", filepath.Join(out, "regression.diffs"))
	if res.DataDir != "" {
		fmt.Printf("data directory kept: %s\n", res.DataDir)
	}
	return passed
}

// checkListed fails when a listed test ran and did not pass, and names the tests that pass
// without being listed. (An instance restart during a test ends its psql session, so a
// listed test cannot pass through one.)
func checkListed(res *regress.Result, listed []string, passed map[string]bool) int {
	isListed := map[string]bool{}
	var broken []string
	for _, n := range listed {
		isListed[n] = true
		if ok, ran := passed[n]; ran && !ok {
			broken = append(broken, n)
		}
	}
	var newly []string
	for n, ok := range passed {
		if ok && !isListed[n] {
			newly = append(newly, n)
		}
	}
	sort.Strings(newly)
	if len(newly) > 0 {
		fmt.Printf("newly passing, add them with make regress-update: %s\n", strings.Join(newly, " "))
	}
	code := 0
	if len(broken) > 0 {
		fmt.Printf("REGRESSION: listed as passing but failed: %s\n", strings.Join(broken, " "))
		code = 1
	}
	if code == 0 {
		fmt.Println("regress-check: every listed test passed")
	}
	return code
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
