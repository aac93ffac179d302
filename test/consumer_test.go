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
)

// consumerEnv enables TestConsumerModule: it fetches the real packages with npm.
const consumerEnv = "PGLITE_E2E_NPM"

// TestConsumerModule is the module of a user who ran `go get github.com/pglite-go/pglite`:
// test/consumer, copied outside this repository (so no ./assets folder is found upward)
// with its replace directive pointed here, and run with an empty HOME, so nothing is cached.
// Its db package runs twenty parallel pgtest tests on a migrated template, the assets
// fetched on first use; then `go generate` writes its embedded package, and its embedded
// tests run with fetching forbidden and another empty HOME.
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
	run := func(extra []string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(append(cleanEnv(), base...), extra...)
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir(), "XDG_CACHE_HOME=")
		out, err := cmd.CombinedOutput()
		t.Logf("go %s:\n%s", strings.Join(args, " "), out)
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
	}
	run(nil, "test", "-count=1", "-v", "./db")
	run(nil, "generate", "./pgliteassets")
	run([]string{"PGLITE_NO_FETCH=1"}, "test", "-count=1", "-v", "./embedded")
}

// goEnvKept is the Go configuration the child go commands keep although HOME changes:
// caches, module settings, the toolchain.
func goEnvKept(t *testing.T) []string {
	t.Helper()
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOTOOLCHAIN", "GOFLAGS"}
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
// caches.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", k == "XDG_CACHE_HOME", k == "PGLITE_ASSETS_DIR", k == "PGLITE_NO_FETCH", k == "PGTEST_SKIP_UNAVAILABLE",
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
