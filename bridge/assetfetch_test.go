package bridge

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// noAssetsAnywhere makes LoadAssets("") find nothing: a fresh cache, no PGLITE_ASSETS_DIR,
// a working directory outside the repository, and npm as given (a script, or none).
func noAssetsAnywhere(t *testing.T, npmScript string) {
	home, bin := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("PGLITE_ASSETS_DIR", "")
	t.Setenv("PGLITE_NO_FETCH", "")
	t.Setenv("PATH", bin)
	if npmScript != "" {
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(npmScript), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(t.TempDir())
	fetched.Lock()
	fetched.err = nil
	fetched.Unlock()
	t.Cleanup(func() {
		fetched.Lock()
		fetched.err = nil
		fetched.Unlock()
	})
}

// TestLoadAssets_offline: with nothing installed and npm unable to reach its registry, the
// error is ErrAssetsUnavailable, shows npm's own message and names the prefetch command.
func TestLoadAssets_offline(t *testing.T) {
	noAssetsAnywhere(t, "#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\necho 'npm error network request failed, reason: getaddrinfo ENOTFOUND' >&2\nexit 1\n")
	_, err := LoadAssets("")
	if !errors.Is(err, ErrAssetsUnavailable) {
		t.Fatalf("err = %v, want ErrAssetsUnavailable", err)
	}
	for _, want := range []string{"getaddrinfo ENOTFOUND", assetinstall.Command} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestLoadAssets_noNpm(t *testing.T) {
	noAssetsAnywhere(t, "")
	_, err := LoadAssets("")
	if !errors.Is(err, ErrAssetsUnavailable) || !errors.Is(err, assetinstall.ErrNpmMissing) {
		t.Fatalf("err = %v, want ErrAssetsUnavailable and ErrNpmMissing", err)
	}
	if !strings.Contains(err.Error(), "npm is not installed") || !strings.Contains(err.Error(), assetinstall.Command) {
		t.Errorf("error: %v", err)
	}
}

func TestLoadAssets_noFetch(t *testing.T) {
	noAssetsAnywhere(t, "#!/bin/sh\necho called >&2\nexit 1\n")
	t.Setenv("PGLITE_NO_FETCH", "1")
	_, err := LoadAssets("")
	if !errors.Is(err, ErrAssetsUnavailable) || !strings.Contains(err.Error(), "PGLITE_NO_FETCH") || strings.Contains(err.Error(), "called") {
		t.Fatalf("err = %v", err)
	}
}

// TestLoadAssets_configuredMissing: a configured folder is never fetched into; its error
// names the file and the command that fills the folder.
func TestLoadAssets_configuredMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadAssets(dir)
	if !errors.Is(err, ErrAssetsUnavailable) || !errors.Is(err, ErrAssetsMissing) ||
		!strings.Contains(err.Error(), filepath.Join(dir, "pglite.wasm")) || !strings.Contains(err.Error(), assetinstall.Command+" -dir "+dir) {
		t.Fatalf("err = %v", err)
	}
}
