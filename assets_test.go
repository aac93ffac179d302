package pglite_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pglite-go/pglite"
	"github.com/pglite-go/pglite/bridge"
)

// TestStart_assetsUnavailable: with no assets anywhere and no npm to fetch them, Start
// fails at once with an error errors.Is finds as bridge.ErrAssetsUnavailable, naming the
// prefetch command.
func TestStart_assetsUnavailable(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("PGLITE_ASSETS_DIR", "")
	t.Setenv("PATH", t.TempDir())
	t.Chdir(t.TempDir())
	begin := time.Now()
	srv, err := pglite.Start(ctxT(t), pglite.Options{NoTCP: true})
	if err == nil {
		srv.Close()
		t.Fatal("Start succeeded without assets")
	}
	if !errors.Is(err, bridge.ErrAssetsUnavailable) {
		t.Fatalf("err = %v, want bridge.ErrAssetsUnavailable", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "npm is not installed") || !strings.Contains(msg, "cmd/pglite-assets") {
		t.Errorf("error does not say what to do: %v", err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("Start took %v to fail", d)
	}
}
