package assetinstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestInstall_fresh(t *testing.T) {
	e := useFakeNpm(t)
	dest := filepath.Join(t.TempDir(), "cache", "pglite-9.9.9")
	var lines []string
	if err := Install(ctxT(t), dest, Options{Pins: e.set.pins, Progress: func(m string) { lines = append(lines, m) }}); err != nil {
		t.Fatal(err)
	}
	if err := Check(dest, e.set.pins); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"pglite.data":              "abcdef",
		"contrib/hstore.tar.gz":    "hstore-bundle",
		"extensions/vector.tar.gz": "vector-bundle",
		"files.json":               `{"files":[{"filename":"/a","start":0,"end":2},{"filename":"/b","start":2,"end":6}],"remote_package_size":6}` + "\n",
		".complete":                "1\n",
	} {
		if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "unused.tar.gz")); err == nil {
		t.Error("a file the pins do not keep was installed")
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("dest mode: %v, %v", st.Mode(), err)
	}
	if l := leftovers(t, dest); len(l) > 0 {
		t.Errorf("left next to the install: %v", l)
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "fetching PGlite 9.9.9 assets, once:") {
		t.Errorf("progress: %q", lines)
	}
	// A second install finds the first and packs nothing.
	if err := Install(ctxT(t), dest, Options{Pins: e.set.pins}); err != nil {
		t.Fatal(err)
	}
	if p := e.packs(t); len(p) != 2 {
		t.Errorf("packs = %v, want one per package", p)
	}
}

func TestInstall_checksumMismatch(t *testing.T) {
	e := useFakeNpm(t)
	for _, tc := range []struct {
		name string
		edit func(p *Pins)
		file string
	}{
		{"tarball", func(p *Pins) { p.Packages[1].Sum = strings.Repeat("0", 64) }, "@fake/pglite-vector@0.0.1"},
		{"kept file", func(p *Pins) { p.Packages[0].Files[0].Sum = strings.Repeat("1", 64) }, "package/dist/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pins := clonePins(e.set.pins)
			tc.edit(pins)
			dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
			err := Install(ctxT(t), dest, Options{Pins: pins})
			var ce *ChecksumError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ChecksumError", err)
			}
			if !strings.Contains(ce.File, tc.file) || ce.Want == ce.Got || len(ce.Got) != 64 {
				t.Errorf("ChecksumError = %+v", ce)
			}
			if msg := err.Error(); !strings.Contains(msg, "expected "+ce.Want) || !strings.Contains(msg, "got "+ce.Got) {
				t.Errorf("message %q lacks expected and got", msg)
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("dest exists after a refused install: %v", err)
			}
			if l := leftovers(t, dest); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}

func clonePins(p *Pins) *Pins {
	c := *p
	c.Packages = slices.Clone(p.Packages)
	for i := range c.Packages {
		c.Packages[i].Files = slices.Clone(p.Packages[i].Files)
	}
	return &c
}

func TestInstall_offline(t *testing.T) {
	e := useFakeNpm(t)
	t.Setenv("FAKE_NPM_OFFLINE", "1")
	dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
	err := Install(ctxT(t), dest, Options{Pins: e.set.pins})
	var ne *NpmError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want an NpmError", err)
	}
	if !strings.Contains(err.Error(), "getaddrinfo ENOTFOUND") {
		t.Errorf("npm's own message is missing: %v", err)
	}
	// One package is packed alone first, so an unreachable registry costs one npm run.
	last := e.set.pins.Packages[len(e.set.pins.Packages)-1].Spec()
	if p := e.packs(t); len(p) != 1 || p[0] != last {
		t.Errorf("packs = %v, want only %s", p, last)
	}
	if l := leftovers(t, dest); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestInstall_npmMissing(t *testing.T) {
	e := useFakeNpm(t)
	t.Setenv("PATH", t.TempDir())
	err := Install(ctxT(t), filepath.Join(t.TempDir(), "pglite-9.9.9"), Options{Pins: e.set.pins})
	if !errors.Is(err, ErrNpmMissing) || !strings.Contains(err.Error(), "npm is not installed") {
		t.Fatalf("err = %v, want ErrNpmMissing", err)
	}
}

// TestInstall_replacesIncomplete: a folder at dest without the marker (an older layout,
// files copied by hand) is replaced, and one that fails its sha256 check is too when
// Verify asks.
func TestInstall_replacesIncomplete(t *testing.T) {
	e := useFakeNpm(t)
	dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "pglite.wasm"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Install(ctxT(t), dest, Options{Pins: e.set.pins}); err != nil {
		t.Fatal(err)
	}
	if err := Check(dest, e.set.pins); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "pglite.data"), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(dest, e.set.pins); err == nil || !strings.Contains(err.Error(), "sha256 mismatch for "+filepath.Join(dest, "pglite.data")) {
		t.Fatalf("Check of a damaged install: %v", err)
	}
	if err := Install(ctxT(t), dest, Options{Pins: e.set.pins, Verify: true}); err != nil {
		t.Fatal(err)
	}
	if err := Check(dest, e.set.pins); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dest); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// helperEnv makes a re-executed test binary run Install into the named folder and exit.
const helperEnv = "ASSETINSTALL_TEST_HELPER_DEST"

// TestHelperInstall is not a test: it is the body of the processes the tests below start.
func TestHelperInstall(t *testing.T) {
	dest := os.Getenv(helperEnv)
	if dest == "" {
		t.Skip("helper process only")
	}
	if err := Install(context.Background(), dest, Options{Pins: newFakeSet(t).pins}); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// helper starts this test binary as a helper process installing into dest, in its own
// process group so the fake npm it runs can be ended with it.
func helper(t *testing.T, dest string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperInstall$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dest)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("helper %d output:\n%s", cmd.Process.Pid, out.String())
		}
	})
	return cmd
}

// TestInstall_concurrent: two processes and four goroutines install into one folder at
// once; the packages are packed once, and all of them end with the one install.
func TestInstall_concurrent(t *testing.T) {
	e := useFakeNpm(t)
	t.Setenv("FAKE_NPM_DELAY", "0.3")
	dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
	var procs []*exec.Cmd
	for range 2 {
		procs = append(procs, helper(t, dest))
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = Install(ctxT(t), dest, Options{Pins: e.set.pins}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	for _, p := range procs {
		if err := p.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	}
	if err := Check(dest, e.set.pins); err != nil {
		t.Fatal(err)
	}
	if p := e.packs(t); len(p) != len(e.set.pins.Packages) {
		t.Errorf("packs = %v: want each package packed once, by one installer", p)
	}
	if l := leftovers(t, dest); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestInstall_interrupted: a process killed in the middle of an install leaves its
// temporary folder; the next install takes the lock the kernel released, removes the
// folder and installs.
func TestInstall_interrupted(t *testing.T) {
	e := useFakeNpm(t)
	dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
	t.Setenv("FAKE_NPM_DELAY", "60")
	cmd := helper(t, dest)
	deadline := time.Now().Add(time.Minute)
	for len(e.packs(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the helper never ran npm")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".pglite-9.9.9.tmp-*"))
	if len(stale) != 1 {
		t.Fatalf("temporary folders while installing: %v", stale)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, err := os.Stat(stale[0]); err != nil {
		t.Fatalf("the killed install left nothing to clean up: %v", err)
	}
	t.Setenv("FAKE_NPM_DELAY", "0")
	if err := Install(ctxT(t), dest, Options{Pins: e.set.pins}); err != nil {
		t.Fatal(err)
	}
	if err := Check(dest, e.set.pins); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dest); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

// TestInstall_waitHonoursContext: an installer waiting for the lock gives up when its
// context ends.
func TestInstall_waitHonoursContext(t *testing.T) {
	e := useFakeNpm(t)
	dest := filepath.Join(t.TempDir(), "pglite-9.9.9")
	unlock, err := lock(context.Background(), filepath.Join(filepath.Dir(dest), ".pglite-9.9.9.lock"), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var waited bool
	err = Install(ctx, dest, Options{Pins: e.set.pins, Progress: func(m string) { waited = waited || strings.HasPrefix(m, "waiting") }})
	if !errors.Is(err, context.DeadlineExceeded) || !waited {
		t.Fatalf("err = %v, waited = %v", err, waited)
	}
}
