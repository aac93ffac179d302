package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/rs/zerolog"
)

// Startup measurements. Opening a cold instance (compile with an empty compilation cache,
// initdb with an empty template cache, boot) can only happen once per process, so it is not
// a per-iteration benchmark: TestStartup_measure runs child processes of this test binary
// with their own HOME and XDG_CACHE_HOME and reports what they measured. It only runs when
// PGLITE_MEASURE=1 (test/bench/startup.sh sets it). It asserts correctness only, never time.

// startupReport is what a startup child measures, printed as one JSON line.
type startupReport struct {
	Mode                string  `json:"mode"`
	OpenMs              float64 `json:"open_ms"`        // Open, in the child
	FirstQueryMs        float64 `json:"first_query_ms"` // Open plus the first SELECT 1
	AssetsMs            float64 `json:"assets_ms"`
	CompileMs           float64 `json:"compile_ms"`
	ClusterMs           float64 `json:"cluster_ms"`
	BootMs              float64 `json:"boot_ms"`
	Initdb              bool    `json:"initdb"`
	ClusterFromTemplate bool    `json:"from_template"`
	RSSBeforeMB         float64 `json:"rss_before_mb"` // VmRSS before Open
	RSSOpenMB           float64 `json:"rss_open_mb"`   // VmRSS after Open and one query, idle
	HeapInuseMB         float64 `json:"heap_inuse_mb"` // Go heap in use, idle
	CloseMs             float64 `json:"close_ms"`
}

const startupPrefix = "STARTUP "

// helperStartup opens one instance as PGLITE_TEST_STARTUP_DATADIR says (empty: in memory),
// runs SELECT 1, and prints a startupReport.
func helperStartup(t *testing.T) {
	r := startupReport{Mode: os.Getenv("PGLITE_TEST_STARTUP_MODE")}
	runtime.GC()
	r.RSSBeforeMB = vmRSSMB()
	start := time.Now()
	inst, err := Open(context.Background(), Config{DataDir: os.Getenv("PGLITE_TEST_STARTUP_DATADIR"), Logger: zerolog.Nop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	r.OpenMs = millis(time.Since(start))
	var raw bytes.Buffer
	if err := inst.Exec(context.Background(), encode(t, &pgproto3.Query{String: "SELECT 1"}), func(b []byte) error { raw.Write(b); return nil }); err != nil {
		fmt.Fprintln(os.Stderr, "exec:", err)
		os.Exit(3)
	}
	r.FirstQueryMs = millis(time.Since(start))
	if !bytes.Contains(raw.Bytes(), []byte{'D'}) {
		fmt.Fprintf(os.Stderr, "SELECT 1 returned no row: %q\n", raw.Bytes())
		os.Exit(3)
	}
	tm := inst.Timings
	r.AssetsMs, r.CompileMs, r.ClusterMs, r.BootMs = millis(tm.Assets), millis(tm.Compile), millis(tm.Cluster), millis(tm.Boot)
	r.Initdb, r.ClusterFromTemplate = tm.Initdb, tm.ClusterFromTemplate
	runtime.GC()
	r.RSSOpenMB = vmRSSMB()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	r.HeapInuseMB = float64(m.HeapInuse) / (1 << 20)
	t0 := time.Now()
	if err := inst.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		os.Exit(4)
	}
	r.CloseMs = millis(time.Since(t0))
	b, _ := json.Marshal(r)
	fmt.Println(startupPrefix + string(b))
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// vmRSSMB reads the resident set size from /proc/self/status (0 where there is none).
func vmRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// runStartupChild runs one startup child with the given cache home and data directory.
func runStartupChild(t *testing.T, mode, home, dataDir string) startupReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), helperEnv+"=startup", "PGLITE_TEST_STARTUP_MODE="+mode,
		"PGLITE_TEST_STARTUP_DATADIR="+dataDir, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("%s child: %v\n%s", mode, err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), startupPrefix); ok {
			var r startupReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatal(err)
			}
			t.Logf("%-22s open %8.1f ms  first query %8.1f ms  (assets %6.1f, compile %7.1f, cluster %6.1f, boot %6.1f; initdb=%v template=%v)  rss %5.1f -> %5.1f MB  heap %5.1f MB  close %6.1f ms  child wall %v",
				mode, r.OpenMs, r.FirstQueryMs, r.AssetsMs, r.CompileMs, r.ClusterMs, r.BootMs, r.Initdb, r.ClusterFromTemplate,
				r.RSSBeforeMB, r.RSSOpenMB, r.HeapInuseMB, r.CloseMs, wall.Round(time.Millisecond))
			return r
		}
	}
	t.Fatalf("%s child printed no report:\n%s\n%s", mode, out, stderr.String())
	return startupReport{}
}

// TestStartup_measure reports cold start, warm start, a new cluster from the template, and
// the RSS of one idle instance, each in a fresh process.
func TestStartup_measure(t *testing.T) {
	if os.Getenv("PGLITE_MEASURE") != "1" {
		t.Skip("set PGLITE_MEASURE=1 (test/bench/startup.sh does)")
	}
	if _, err := LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	home := t.TempDir()
	dataDir := filepath.Join(t.TempDir(), "pgdata")

	cold := runStartupChild(t, "cold (memory)", home, "")
	if !cold.Initdb {
		t.Fatal("cold start did not run initdb: the cache was not empty")
	}
	runStartupChild(t, "template (memory)", home, "")
	tmplDir := runStartupChild(t, "template (host dir)", home, dataDir)
	if !tmplDir.ClusterFromTemplate || tmplDir.Initdb {
		t.Fatalf("a new host directory should come from the cached template: %+v", tmplDir)
	}
	warm := runStartupChild(t, "warm (existing dir)", home, dataDir)
	if warm.ClusterFromTemplate {
		t.Fatalf("an existing data directory was recreated: %+v", warm)
	}
	// The idle RSS figure is the in-memory instance after the caches exist.
	idle := runStartupChild(t, "idle rss (memory)", home, "")
	t.Logf("SUMMARY cold_first_query_ms=%.1f warm_first_query_ms=%.1f template_memory_open_ms=%.1f template_hostdir_open_ms=%.1f idle_rss_mb=%.1f idle_rss_delta_mb=%.1f",
		cold.FirstQueryMs, warm.FirstQueryMs, idle.OpenMs, tmplDir.OpenMs, idle.RSSOpenMB, idle.RSSOpenMB-idle.RSSBeforeMB)
}

// Benchmark_execSelect1 is one simple-protocol SELECT 1 through Exec.
func Benchmark_execSelect1(b *testing.B) {
	inst := openTest(b, Config{})
	msg := encode(b, &pgproto3.Query{String: "SELECT 1"})
	n := 0
	out := func(p []byte) error { n += len(p); return nil }
	ctx := context.Background()
	if err := inst.Exec(ctx, msg, out); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := inst.Exec(ctx, msg, out); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n == 0 {
		b.Fatal("no output")
	}
}

// Benchmark_execSelect1Extended is SELECT 1 as Parse/Bind/Describe/Execute/Sync.
func Benchmark_execSelect1Extended(b *testing.B) {
	inst := openTest(b, Config{})
	msg := encode(b, &pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	out := func(p []byte) error { return nil }
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := inst.Exec(ctx, msg, out); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmark_openTemplateMemory opens (and closes) a new in-memory cluster from the cached
// template, with the module already compiled in this process.
func Benchmark_openTemplateMemory(b *testing.B) {
	openTest(b, Config{}) // compile and make the template outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inst, err := Open(context.Background(), Config{})
		if err != nil {
			b.Fatal(err)
		}
		reportTimings(b, i, inst)
		b.StopTimer()
		_ = inst.Close()
		b.StartTimer()
	}
}

// Benchmark_openTemplateHostDir opens a new host-directory cluster copied from the template.
func Benchmark_openTemplateHostDir(b *testing.B) {
	openTest(b, Config{})
	root := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inst, err := Open(context.Background(), Config{DataDir: filepath.Join(root, strconv.Itoa(i))})
		if err != nil {
			b.Fatal(err)
		}
		reportTimings(b, i, inst)
		b.StopTimer()
		_ = inst.Close()
		_ = os.RemoveAll(filepath.Join(root, strconv.Itoa(i)))
		b.StartTimer()
	}
}

// Benchmark_openExistingHostDir reopens an existing host data directory (warm start,
// with the module compiled in this process).
func Benchmark_openExistingHostDir(b *testing.B) {
	dir := b.TempDir()
	first := openTest(b, Config{DataDir: dir})
	if err := first.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inst, err := Open(context.Background(), Config{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		reportTimings(b, i, inst)
		b.StopTimer()
		_ = inst.Close()
		b.StartTimer()
	}
}

// reportTimings adds the phases of the last Open as custom metrics.
func reportTimings(b *testing.B, i int, inst *Instance) {
	if i != b.N-1 {
		return
	}
	tm := inst.Timings
	b.ReportMetric(millis(tm.Cluster), "cluster-ms")
	b.ReportMetric(millis(tm.Boot), "boot-ms")
}

// Benchmark_templateImport is how an in-memory Open used to get its cluster: a fresh file
// system with the whole template imported into it.
func Benchmark_templateImport(b *testing.B) {
	inst := openTest(b, Config{})
	dir, _, err := templateCluster(context.Background(), inst.eng, "", inst.log)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs := newFS(inst.eng.assets)
		if err := fs.ImportTree(dir, guestPGDATA); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmark_templateFS is a copy-on-write clone of the cached template file system.
func Benchmark_templateFS(b *testing.B) {
	inst := openTest(b, Config{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := templateFS(context.Background(), inst.eng, "", inst.log); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmark_copyTemplateDir is the copy that gives a new host data directory its cluster.
func Benchmark_copyTemplateDir(b *testing.B) {
	inst := openTest(b, Config{})
	dir, _, err := templateCluster(context.Background(), inst.eng, "", inst.log)
	if err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(root, strconv.Itoa(i))
		if err := copyDir(dir, dst); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = os.RemoveAll(dst)
		b.StartTimer()
	}
}
