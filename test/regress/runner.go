package regress

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config describes one run of the suite.
type Config struct {
	Suite string // the suite: sql/, expected/, data/, parallel_schedule
	Bin   string // the pglited binary
	// NodeScript, when set, runs the suite against PGlite on Node served by pglite-socket
	// (nodeserver.mjs, installed by EnsureNodeInstalled) instead of Bin.
	NodeScript string
	NodeCopyIn bool          // with NodeScript: nodeserver.mjs's COPY FROM STDIN workaround (--copy-in)
	OutDir     string        // results/, diffs/, regression.diffs and pglited.log (node.log) go here
	Tests      []string      // the tests to run, in order; nil runs the whole schedule
	Timeout    time.Duration // per test
	Database   string        // default "regression"
	ServerArgs []string      // extra pglited flags; for node only -c name=value, given with ALTER SYSTEM
	Keep       bool          // keep the temporary data directory
	// Probe connects after every test to see what state it left for the next client
	// (TestResult.Leaves). The extra client can itself change what later tests see.
	Probe    bool
	Progress io.Writer // one line per test as it ends
}

// Result is what a run found.
type Result struct {
	Tests    []TestResult
	Duration time.Duration
	// Restarts counts instance restarts (pglite_bridge_restarts_total, and daemon exits);
	// BrokenLogLines counts the daemon's "instance broken" log lines, as a cross-check.
	Restarts       int
	BrokenLogLines int
	DataDir        string // when Keep
}

type runner struct {
	cfg       Config
	daemon    *Daemon
	dcfg      DaemonConfig
	paths     Paths
	psqlMajor int // psql's major version
	allDiffs  []byte
}

// Run starts pglited on a temporary data directory, prepares the regression database as
// pg_regress does, runs the tests one at a time and stops the daemon.
//
// The database lives in a host data directory rather than in memory, for three reasons:
// pg_regress's ALTER DATABASE ... SET defaults only reach sessions started after them, and
// here the one backend session starts at boot, so the daemon is restarted on the same files
// once they are set (this build does not apply them yet; they equal its defaults); the
// server's own files (COPY ... TO :'abs_builddir/results/...') land in that directory, where
// they can be looked at; and it is what a real server does (fsync, in-place tablespaces,
// crash recovery from disk after a restart).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Database == "" {
		cfg.Database = "regression"
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Tests == nil {
		tests, err := ReadSchedule(filepath.Join(cfg.Suite, "parallel_schedule"))
		if err != nil {
			return nil, err
		}
		cfg.Tests = tests
	}
	for _, d := range []string{"results", "diffs", "input"} {
		if err := os.RemoveAll(filepath.Join(cfg.OutDir, d)); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(cfg.OutDir, d), 0o755); err != nil {
			return nil, err
		}
	}
	logName := "pglited.log"
	if cfg.NodeScript != "" {
		logName = "node.log"
	}
	logPath := filepath.Join(cfg.OutDir, logName)
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		return nil, err
	}
	major, err := psqlMajor()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "pglite-regress-")
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if cfg.Keep {
		res.DataDir = tmp
	} else {
		defer os.RemoveAll(tmp)
	}
	r := &runner{cfg: cfg, dcfg: DaemonConfig{Bin: cfg.Bin, DataDir: filepath.Join(tmp, "data"), SocketDir: tmp,
		Database: cfg.Database, LogPath: logPath, Args: cfg.ServerArgs, NodeScript: cfg.NodeScript, NodeCopyIn: cfg.NodeCopyIn}, psqlMajor: major}
	start := time.Now()
	if err := r.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if r.daemon, err = StartDaemon(ctx, r.dcfg); err != nil {
		return nil, err
	}
	before, err := readMetrics(r.daemon.MetricsAddr)
	if err != nil {
		r.daemon.Kill()
		return nil, err
	}
	var clean string
	if cfg.Probe {
		clean = r.probe(ctx)
	}
	for _, test := range cfg.Tests {
		if ctx.Err() != nil {
			break
		}
		tr := r.runTest(ctx, test)
		if cfg.Probe && !r.daemon.Exited() {
			if state := r.probe(ctx); state != clean {
				tr.Leaves = state
			}
		}
		if tr.TimedOut && r.cfg.NodeScript != "" && !r.daemon.Exited() && !r.answers(ctx) {
			// PGlite runs on Node's one thread: a statement still running after psql
			// was killed blocks every later client. Start over, as after an exit.
			r.daemon.Kill()
			tr.Problem = strings.TrimSpace(tr.Problem + "; node did not answer after it, killed")
		}
		after, err := readMetrics(r.daemon.MetricsAddr)
		if err == nil {
			tr.Restarts = int(after[restartsMetric] - before[restartsMetric])
			tr.Recycles = int(after[recyclesMetric] - before[recyclesMetric])
			before = after
		}
		if r.daemon.Exited() {
			// The daemon gave up (exit 2 past its restart limit) or died: count it as a
			// restart of this test and go on with a new one on the same files.
			tr.Restarts++
			tr.Problem = strings.TrimSpace(tr.Problem + fmt.Sprintf(" %s exited with status %d", r.daemon.Name, r.daemon.ExitCode()))
			tr.Passed = false
			if r.daemon, err = StartDaemon(ctx, r.dcfg); err != nil {
				res.Tests = append(res.Tests, tr)
				return res, fmt.Errorf("restarting %s after %s: %w", r.dcfg.name(), test, err)
			}
			if before, err = readMetrics(r.daemon.MetricsAddr); err != nil {
				return res, err
			}
		}
		res.Restarts += tr.Restarts
		res.Tests = append(res.Tests, tr)
		printProgress(cfg.Progress, len(res.Tests), tr)
	}
	res.Duration = time.Since(start)
	stopErr := r.daemon.Stop()
	if err := os.WriteFile(filepath.Join(cfg.OutDir, "regression.diffs"), r.allDiffs, 0o644); err != nil {
		return res, err
	}
	res.BrokenLogLines = countLines(logPath, "instance broken; restarting")
	if stopErr != nil {
		return res, fmt.Errorf("stopping %s: %w", r.dcfg.name(), stopErr)
	}
	return res, ctx.Err()
}

// setup does what pg_regress's create_database does: the regression database, made from
// template0 (the daemon's own cluster template), with its message, number, time and bytea
// formats pinned. Inside the instance the database is named postgres, so ALTER DATABASE
// names that. It then stops the daemon so that the next boot's session takes the settings,
// and makes the results/ directory the server writes into.
func (r *runner) setup(ctx context.Context) error {
	d, err := StartDaemon(ctx, r.dcfg)
	if err != nil {
		return err
	}
	out, err := d.Query(ctx, r.cfg.Database, "select current_database() || '|' || current_setting('data_directory')")
	if err != nil {
		d.Kill()
		return err
	}
	name, guestData, _ := strings.Cut(strings.TrimSpace(out), "|")
	q := fmt.Sprintf(`ALTER DATABASE %[1]q SET lc_messages TO 'C';
ALTER DATABASE %[1]q SET lc_monetary TO 'C';
ALTER DATABASE %[1]q SET lc_numeric TO 'C';
ALTER DATABASE %[1]q SET lc_time TO 'C';
ALTER DATABASE %[1]q SET bytea_output TO 'hex';
ALTER DATABASE %[1]q SET timezone_abbreviations TO 'Default';`, name)
	if _, err := d.Query(ctx, r.cfg.Database, q); err != nil {
		d.Kill()
		return err
	}
	if r.cfg.NodeScript != "" {
		// PGlite on Node applies neither those nor psql's startup options: give both,
		// and the -c settings, to every session with ALTER SYSTEM (see nodeSettings).
		for _, c := range nodeAlterSystem(r.cfg.ServerArgs) {
			if _, err := d.Query(ctx, r.cfg.Database, c); err != nil {
				d.Kill()
				return err
			}
		}
	}
	if err := d.Stop(); err != nil {
		return err
	}
	// The server sees its data directory (here DataDir/<Database>, for node DataDir) as
	// guestData: a build directory inside it is one that server-side COPY can write and read.
	const build = "regress_build"
	hostData := filepath.Join(r.dcfg.DataDir, r.cfg.Database)
	if r.cfg.NodeScript != "" {
		hostData = r.dcfg.DataDir
	}
	if err := os.MkdirAll(filepath.Join(hostData, build, "results"), 0o755); err != nil {
		return err
	}
	r.paths = Paths{SrcDir: r.cfg.Suite, BuildDir: guestData + "/" + build, LibDir: guestData + "/" + build}
	return nil
}

// answers reports whether the server runs a query within 30 seconds.
func (r *runner) answers(ctx context.Context) bool {
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := r.daemon.Query(qctx, r.cfg.Database, "select 1")
	return err == nil
}

func printProgress(w io.Writer, n int, tr TestResult) {
	status := "ok    "
	if !tr.Passed {
		status = "FAILED"
	}
	extra := ""
	if tr.Problem != "" {
		extra += " (" + tr.Problem + ")"
	}
	if tr.Restarts > 0 {
		extra += fmt.Sprintf(" [%d instance restart(s)]", tr.Restarts)
	}
	if tr.Recycles > 0 {
		extra += " [instance recycled to free memory]"
	}
	if tr.Leaves != "" {
		extra += " leaves: " + tr.Leaves
	}
	fmt.Fprintf(w, "%3d %s %-24s %7d ms%s\n", n, status, tr.Name, tr.Duration.Milliseconds(), extra)
}

func countLines(path, substr string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), substr)
}
