package test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// consumerEnv enables TestConsumerModule: it fetches the real packages with npm. make test
// (make test-consumer) sets it.
const consumerEnv = "PGLITE_E2E_NPM"

// TestConsumerModule is the module of a user who ran `go get github.com/pglite-go/pglite`:
// test/consumer, copied outside this repository (so no ./assets folder is found upward)
// with its replace directive pointed here, run with a fresh HOME (so no asset, compiled
// module or template is cached) and none of this process's PGLITE_*, npm or Go settings
// but the Go build and module caches (npm's settings stay). Its db package runs twenty parallel pgtest tests on
// a migrated template twice: the first run fetches the assets itself, the second finds
// everything cached (the times are logged; the README quotes them). Then `go generate`
// writes its embedded package, and its embedded tests run with fetching forbidden and
// another fresh HOME.
func TestConsumerModule(t *testing.T) {
	if os.Getenv(consumerEnv) == "" {
		t.Skipf("set %s=1 to run a consumer module against the real npm packages", consumerEnv)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(t.TempDir(), "consumer")
	copyTree(t, filepath.Join(repo, "test", "consumer"), mod)
	gomod := filepath.Join(mod, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("=> ../.."), []byte("=> "+repo), 1)
	if err := os.WriteFile(gomod, b, 0o644); err != nil {
		t.Fatal(err)
	}
	base := goEnvKept(t)
	if rc := filepath.Join(os.Getenv("HOME"), ".npmrc"); fileExists(rc) {
		base = append(base, "NPM_CONFIG_USERCONFIG="+rc) // the user's registry, mirror or proxy
	}
	home := t.TempDir()
	run := func(home string, extra []string, args ...string) (string, time.Duration) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(append(cleanEnv(), base...), extra...)
		cmd.Env = append(cmd.Env, "HOME="+home, "XDG_CACHE_HOME=", "GOFLAGS=")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		t.Logf("go %s (%.1f s):\n%s", strings.Join(args, " "), took.Seconds(), out)
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		return string(out), took
	}
	installed := filepath.Join(home, ".cache", "pglite-go", "assets", "pglite-"+assetinstall.Version)
	if fileExists(installed) {
		t.Fatalf("%s exists before the first run", installed)
	}
	run(home, nil, "get", "github.com/pglite-go/pglite@v0.0.0")
	fetching := "fetching PGlite " + assetinstall.Version + " assets"
	out, first := run(home, nil, "test", "-count=1", "-v", "./db")
	if !strings.Contains(out, fetching) {
		t.Errorf("the first run did not fetch the assets itself (no %q line)", fetching)
	}
	if err := assetinstall.Check(installed, assetinstall.Pinned); err != nil {
		t.Errorf("the first run left no complete install in the fresh cache: %v", err)
	}
	out, second := run(home, nil, "test", "-count=1", "-v", "./db")
	if strings.Contains(out, fetching) {
		t.Error("the second run fetched the assets again")
	}
	t.Logf("go test ./db (20 parallel pgtest tests, migrated template): first run %.1f s (fetch, compile, initdb), second run %.1f s",
		first.Seconds(), second.Seconds())
	run(home, nil, "generate", "./pgliteassets")
	run(t.TempDir(), []string{"PGLITE_NO_FETCH=1"}, "test", "-count=1", "-v", "./embedded")
}

// goEnvKept is the Go configuration the child go commands keep although HOME changes:
// the build and module caches (they hold no PGlite assets, and a fresh pair would rebuild
// and download every dependency, minutes that test nothing of ours), module settings, the
// toolchain.
func goEnvKept(t *testing.T) []string {
	t.Helper()
	// Not GOFLAGS: flags such as -tags pglite_embed or -ldflags could hand the child this
	// checkout's assets.
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOTOOLCHAIN"}
	out, err := exec.Command("go", append([]string{"env", "-json"}, keys...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, k := range keys {
		if m[k] != "" {
			env = append(env, k+"="+m[k])
		}
	}
	return env
}

// cleanEnv is this process's environment without what would point the child at assets or
// caches. npm's own settings (npm_config_*) stay: they name the user's registry or proxy.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", k == "XDG_CACHE_HOME", strings.HasPrefix(k, "PGLITE_"), strings.HasPrefix(k, "PGTEST_"),
			strings.HasPrefix(k, "GO"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// copyTree copies the module's sources, not what go generate wrote into it.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if ext := filepath.Ext(p); ext != ".go" && ext != ".mod" && ext != ".sum" || strings.HasSuffix(p, "_gen.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
