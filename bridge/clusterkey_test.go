package bridge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterKey_shareFiles: two asset folders with the same modules get the same template
// cluster only if their share files (pglite.data) are the same too.
func TestClusterKey_shareFiles(t *testing.T) {
	a, err := LoadAssets("")
	if err != nil {
		t.Skipf("assets: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(a.Dir, "pglite.data"))
	if err != nil {
		t.Fatal(err)
	}
	same := copyAssetsDir(t, a.Dir, data)
	changed := append([]byte(nil), data...)
	changed[len(changed)/2] ^= 1
	other := copyAssetsDir(t, a.Dir, changed)

	key := func(dir string) (hash, cluster string) {
		t.Helper()
		b, err := LoadAssets(dir)
		if err != nil {
			t.Fatal(err)
		}
		k, err := b.ClusterKey()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, b.Hash+"-") {
			t.Fatalf("cluster key %s does not start with the modules' hash %s", k, b.Hash)
		}
		return b.Hash, k
	}
	h0, k0 := key(a.Dir)
	h1, k1 := key(same)
	h2, k2 := key(other)
	if h0 != h1 || h0 != h2 {
		t.Fatalf("modules' hash differs between copies of the same modules: %s %s %s", h0, h1, h2)
	}
	if k1 != k0 {
		t.Fatalf("cluster key of an identical copy %s, want %s", k1, k0)
	}
	if k2 == k0 {
		t.Fatalf("cluster key %s unchanged after pglite.data changed", k2)
	}
}

// copyAssetsDir makes an assets folder whose modules and tables link to dir's, with data as
// its pglite.data.
func copyAssetsDir(t *testing.T, dir string, data []byte) string {
	t.Helper()
	out := t.TempDir()
	for _, name := range []string{"pglite.wasm", "initdb.wasm", "files.json"} {
		if err := os.Symlink(filepath.Join(dir, name), filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "pglite.data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
