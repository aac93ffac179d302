package bridge

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pglite-go/pglite/internal/assetinstall"
)

// TestRegisterAssets: assets handed over as a file system (what a package written by
// `pglite-assets -embed` does with its embed.FS) boot an instance with no folder found,
// and their extension bundles work.
func TestRegisterAssets(t *testing.T) {
	a, err := LoadAssets("")
	if err != nil {
		t.Skipf("assets: %v", err)
	}
	pkg := t.TempDir()
	if err := assetinstall.WriteEmbed(a.Dir, pkg, "pgliteassets", nil); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGLITE_ASSETS_DIR", "")
	t.Setenv("PGLITE_NO_FETCH", "1")
	t.Chdir(t.TempDir())
	RegisterAssets(os.DirFS(pkg))
	t.Cleanup(func() { RegisterAssets(nil) })

	r, err := LoadAssets("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Dir != registeredDir || r.Hash != a.Hash {
		t.Fatalf("registered assets: dir %q hash %s, want %q %s", r.Dir, r.Hash, registeredDir, a.Hash)
	}
	rk, err := r.ClusterKey()
	if err != nil {
		t.Fatal(err)
	}
	if ak, err := a.ClusterKey(); err != nil || rk != ak {
		t.Fatalf("cluster key of the registered assets %s, of the folder %s (%v)", rk, ak, err)
	}
	if ext := r.Extensions(); !slices.Contains(ext, "vector") || !slices.Contains(ext, "hstore") {
		t.Fatalf("extensions of the registered assets: %v", ext)
	}
	inst := openTest(t, Config{})
	rows := query(t, inst, "create extension vector; create extension hstore; select '[1,2]'::vector::text, ('a=>1'::hstore)->'a'")
	if len(rows) != 1 || rows[0][0] != "[1,2]" || rows[0][1] != "1" {
		t.Fatalf("rows = %v", rows)
	}
}

// TestRegisterAssets_otherRelease: embedded assets of another release are refused with a
// message saying to generate them again.
func TestRegisterAssets_otherRelease(t *testing.T) {
	pkg := t.TempDir()
	if err := os.WriteFile(pkg+"/"+assetinstall.StampFile, []byte("0.0.1/1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGLITE_ASSETS_DIR", "")
	RegisterAssets(os.DirFS(pkg))
	t.Cleanup(func() { RegisterAssets(nil) })
	_, err := LoadAssets("")
	if err == nil || !strings.Contains(err.Error(), "go generate") || !strings.Contains(err.Error(), "0.0.1/1") {
		t.Fatalf("err = %v", err)
	}
}
