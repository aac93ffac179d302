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
	"os/exec"
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
		server   = flag.String("server", "pglited", "the server: pglited (-pglited), or node: PGlite "+regress.NodePGliteVersion+" on Node served by @electric-sql/pglite-socket "+regress.NodeSocketVersion+" (npm installs them on first use)")
		copyIn   = flag.Bool("node-copy-in", false, "with -server node: work around pglite-socket's COPY FROM STDIN, which fails (see nodeserver.mjs); default lists and output become *-node-copyin")
		bin      = flag.String("pglited", "bin/pglited", "the pglited binary (make build)")
		out      = flag.String("out", "", "directory for results/, diffs/, regression.diffs and the server's log (default test/regress/out, with -server node test/regress/out/node)")
		passing  = flag.String("passing", "", "the list of tests that pass (default test/regress/passing.txt, with -server node test/regress/passing-node.txt)")
		timeout  = flag.Duration("timeout", 5*time.Minute, "per-test timeout")
		tests    = flag.String("tests", "", "comma-separated tests to run, in this order (default: parallel_schedule)")
		check    = flag.Bool("check", false, "exit 1 when a test listed in -passing fails (without a suite: skip, exit 0)")
		update   = flag.Bool("update", false, "add the tests that passed to -passing (with -server node: write -passing afresh, the scored tests that passed)")
		compare  = flag.Bool("compare-node", false, "run nothing: print the tests of the Node lists (passing-node.txt, passing-node-copyin.txt) that -passing lacks; exit 1 if there are any")
		keep     = flag.Bool("keep", false, "keep the temporary data directory")
		probe    = flag.Bool("probe", false, "after each test, connect and report the session state it left behind (user, temp tables, prepared statements, cursors)")
		settings multiFlag
	)
	flag.Var(&settings, "c", "a server setting name=value for pglited (repeatable)")
	flag.Parse()
	switch *server {
	case "pglited", "node":
	default:
		fmt.Fprintf(os.Stderr, "regress: -server %q: want pglited or node\n", *server)
		return 2
	}
	if *copyIn && *server != "node" {
		fmt.Fprintln(os.Stderr, "regress: -node-copy-in needs -server node")
		return 2
	}
	kind := *server // pglited, node or node-copyin
	if *copyIn {
		kind = "node-copyin"
	}
	if *out == "" {
		*out = "test/regress/out"
		if kind != "pglited" {
			*out = "test/regress/out/" + kind
		}
	}
	if *passing == "" {
		*passing = "test/regress/passing.txt"
		if kind != "pglited" {
			*passing = "test/regress/passing-" + kind + ".txt"
		}
	}
	if *compare {
		return compareNode(*passing)
	}
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
	if *server == "node" {
		cfg.NodeCopyIn = *copyIn
		if cfg.NodeScript, err = regress.EnsureNodeInstalled(context.Background(), os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "regress:", err)
			return 2
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "regress:", err)
			return 2
		}
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
		if err == nil && kind == "pglited" {
			err = regress.WritePassing(*passing, listed, passed, schedule)
		} else if err == nil {
			err = regress.WriteNodePassing(*passing, nodeHeader(kind, res), passed, schedule)
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
	if kind == "pglited" {
		reportNodeOnly(passed)
	}
	if *check {
		return checkListed(res, listed, passed)
	}
	return 0
}

// nodeLists are the lists of the tests that pass on PGlite on Node, as -server node
// -update writes them; the copy-in one may be missing.
var nodeLists = []string{"test/regress/passing-node.txt", "test/regress/passing-node-copyin.txt"}

// nodeHeader is the head of a Node list: what was run, when, and what it found.
func nodeHeader(kind string, res *regress.Result) string {
	var pass, scored int
	for _, t := range res.Tests {
		if regress.NotScored[t.Name] {
			continue
		}
		scored++
		if t.Passed {
			pass++
		}
	}
	nodeVersion, _ := exec.Command("node", "--version").Output()
	psqlVersion, _ := exec.Command("psql", "--version").Output()
	how := "go run ./test/regress/cmd/regress -server node -update"
	host := fmt.Sprintf("PGlite %s (pglite.wasm as internal/assetinstall pins it) on Node %s, served by\n@electric-sql/pglite-socket %s through test/regress/nodeserver.mjs",
		regress.NodePGliteVersion, strings.TrimSpace(string(nodeVersion)), regress.NodeSocketVersion)
	if kind == "node-copyin" {
		how = "go run ./test/regress/cmd/regress -server node -node-copy-in -update"
		host += " --copy-in, which\nworks around pglite-socket's COPY FROM STDIN (it fails as released; see nodeserver.mjs)"
	} else {
		host += ", as released\n(its COPY FROM STDIN fails, so test_setup's tables are empty or missing and most later\ntests fail; passing-node-copyin.txt is the run with nodeserver.mjs's workaround)"
	}
	return fmt.Sprintf(`The scored tests of PostgreSQL 18.6's parallel_schedule that pass on
%s.
Made by %s
(make regress-node) on %s with %s: %d of %d scored tests passed,
%d instance restart(s). Each -update writes it afresh: it measures the reference, it is not a
ratchet. go run ./test/regress/cmd/regress -compare-node lists the tests here that
test/regress/passing.txt lacks (pass on Node, fail on pglited).`,
		host, how, time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(psqlVersion)),
		pass, scored, res.Restarts)
}

// compareNode prints, for each Node list there is, its tests that the list at passing
// lacks, and returns 1 when there are any.
func compareNode(passing string) int {
	ours, err := regress.ReadPassing(passing)
	if err != nil {
		fmt.Fprintln(os.Stderr, "regress:", err)
		return 2
	}
	code := 0
	for _, path := range nodeLists {
		node, err := regress.ReadPassing(path)
		if os.IsNotExist(err) && path != nodeLists[0] {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "regress:", err)
			return 2
		}
		missing := regress.Missing(node, ours)
		fmt.Printf("%s: %d tests, %d not in %s", path, len(node), len(missing), passing)
		if len(missing) > 0 {
			fmt.Printf(": %s", strings.Join(missing, " "))
			code = 1
		}
		fmt.Println()
	}
	return code
}

// reportNodeOnly names the tests of the Node lists that failed in this run of pglited.
func reportNodeOnly(passed map[string]bool) {
	for _, path := range nodeLists {
		node, err := regress.ReadPassing(path)
		if err != nil {
			continue
		}
		var failed []string
		for _, n := range node {
			if ok, ran := passed[n]; ran && !ok {
				failed = append(failed, n)
			}
		}
		if len(failed) > 0 {
			fmt.Printf("pass on Node (%s), failed here: %s\n", filepath.Base(path), strings.Join(failed, " "))
		}
	}
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
