package main

import (
	"bytes"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// TestOffline: run from / with an empty HOME and npm's registry a closed local port, the
// daemon has no assets and cannot fetch them: it exits 1 before listening, with one line
// that carries npm's reason and names the command that fetches the assets elsewhere.
func TestOffline(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("PGLITE_ASSETS_DIR", "")
	t.Setenv("PGLITE_NO_FETCH", "")
	t.Setenv("npm_config_registry", "http://"+closed+"/")
	t.Setenv("npm_config_cache", t.TempDir()) // nothing npm could fall back on
	t.Chdir("/")

	var errs bytes.Buffer
	start := time.Now()
	code := run([]string{"--port", "0"}, &errs)
	took := time.Since(start)
	t.Logf("exit %d after %v", code, took.Round(time.Millisecond))
	if code != 1 {
		t.Fatalf("exit %d, want 1; output:\n%s", code, errs.String())
	}
	var naming []string
	for _, line := range strings.Split(strings.TrimSpace(errs.String()), "\n") {
		if strings.Contains(line, assetinstall.Command) {
			naming = append(naming, line)
		}
		if strings.Contains(line, "listening") {
			t.Errorf("listened before failing: %s", line)
		}
	}
	if len(naming) != 1 {
		t.Fatalf("%d lines name %q, want 1; output:\n%s", len(naming), assetinstall.Command, errs.String())
	}
	for _, want := range []string{"PGlite assets unavailable", "ECONNREFUSED", closed} {
		if !strings.Contains(naming[0], want) {
			t.Errorf("the line lacks %q: %s", want, naming[0])
		}
	}
}
