package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pglite-go/pglite/bridge"
)

// TestCorpus runs every script in corpus/ through pglite-go and through PGlite 0.5.17 on
// Node, and fails on the first statement whose outcome differs. It needs node and npm on
// PATH (the package is installed once into the user's cache directory); PGLITE_DIFF=0
// skips it.
func TestCorpus(t *testing.T) {
	if os.Getenv("PGLITE_DIFF") == "0" {
		t.Skip("PGLITE_DIFF=0")
	}
	if testing.Short() {
		t.Skip("differential corpus: not with -short")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("differential corpus: %s is not on PATH; it runs PGlite %s on Node as the reference (install Node 20 and npm)", tool, refVersion)
		}
	}
	if _, err := bridge.LoadAssets(""); err != nil {
		t.Skipf("assets: %v", err)
	}
	scripts, err := filepath.Glob(filepath.Join("corpus", "*.sql"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no corpus scripts: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	ref, err := startNode(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	goh := &goHost{}
	defer goh.Close()
	for _, path := range scripts {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			stmts, err := Split(string(src))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := runScript(ctx, goh, ref, path, stmts, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.First(); c != nil {
				var b bytes.Buffer
				printCompared(&b, path, c)
				t.Errorf("pglite-go differs from PGlite %s on Node:\n%s", refVersion, b.String())
			}
			t.Log(summary(rep, len(stmts)))
		})
	}
}
