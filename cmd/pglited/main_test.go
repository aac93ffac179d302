package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestVersion: --version names our release, PGlite's, PostgreSQL's and the engine's, the
// engine's being the wazero go.mod requires.
func TestVersion(t *testing.T) {
	// wazero, whose release go.mod pins (the default is wasmtime where the build has it).
	t.Setenv("PGLITE_ENGINE", "wazero")
	var out, errs bytes.Buffer
	stdout = &out
	defer func() { stdout = os.Stdout }()
	if code := run([]string{"--version"}, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/tetratelabs/wazero (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod requires no wazero")
	}
	want := regexp.MustCompile(`^pglited \d+\.\d+\.\d+ \(PGlite \d+\.\d+\.\d+, PostgreSQL 18\.\d+, wazero ` + regexp.QuoteMeta(string(m[1])) + `\)\n$`)
	if !want.Match(out.Bytes()) {
		t.Fatalf("--version printed %q, want %s", out.String(), want)
	}
}

// TestNothingToListenOn: an empty --listen without --socket-dir is a startup error, not a
// daemon nobody can reach.
func TestNothingToListenOn(t *testing.T) {
	var errs bytes.Buffer
	if code := run([]string{"--listen", ""}, &errs); code != 1 || !strings.Contains(errs.String(), "nothing to listen on") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}
