package assetinstall

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A fake registry: small tarballs built here and served by a fake `npm` shell script placed
// first on PATH, which copies the asked-for tarball into --pack-destination and logs the
// spec, so a test can count the packs.

const fakeNpm = `#!/bin/sh
# fake npm for assetinstall tests: npm pack SPEC --pack-destination DIR [flags]
[ "$1" = pack ] || { echo "fake npm: unexpected command $1" >&2; exit 2; }
spec=$2; dest=
shift 2
while [ $# -gt 0 ]; do
  case $1 in --pack-destination) dest=$2; shift ;; esac
  shift
done
echo "$spec" >> "$FAKE_NPM_LOG"
if [ -n "$FAKE_NPM_OFFLINE" ]; then
  echo "npm error code ENOTFOUND" >&2
  echo "npm error network request to https://registry.invalid/$spec failed, reason: getaddrinfo ENOTFOUND registry.invalid" >&2
  exit 1
fi
sleep "${FAKE_NPM_DELAY:-0}"
name=$(printf %s "$spec" | tr '/@' '__')
cp "$FAKE_NPM_STORE/$name.tgz" "$dest/$name.tgz"
`

// tarball builds a deterministic npm-style .tgz (the same bytes in every process).
func tarball(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		h := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// fakeSet is a pin set for two small packages and their tarballs by spec.
type fakeSet struct {
	pins     *Pins
	tarballs map[string][]byte
}

func newFakeSet(t testing.TB) *fakeSet {
	t.Helper()
	core := map[string]string{
		"package/package.json":        `{"name":"@fake/pglite"}`,
		"package/dist/pglite.wasm":    "\x00asm-pglite",
		"package/dist/initdb.wasm":    "\x00asm-initdb",
		"package/dist/pglite.data":    "abcdef",
		"package/dist/pglite.js":      `var t={files:[{filename:"/a",start:0,end:2},{filename:"/b",start:2,end:6}],remote_package_size:6};`,
		"package/dist/hstore.tar.gz":  "hstore-bundle",
		"package/dist/unused.tar.gz":  "not kept",
		"package/dist/pglite.wasm.gz": "not kept either",
	}
	ext := map[string]string{
		"package/package.json":       `{"name":"@fake/pglite-vector"}`,
		"package/dist/vector.tar.gz": "vector-bundle",
	}
	fs := &fakeSet{tarballs: map[string][]byte{}}
	fs.pins = &Pins{Version: "9.9.9", Marker: "1"}
	add := func(name, version string, files map[string]string, keep map[string]string) {
		tgz := tarball(t, files)
		p := Package{Name: name, Version: version, Sum: sum(tgz)}
		for _, from := range slices.Sorted(maps.Keys(keep)) {
			p.Files = append(p.Files, File{From: from, To: keep[from], Sum: sum([]byte(files[from]))})
		}
		fs.pins.Packages = append(fs.pins.Packages, p)
		fs.tarballs[p.Spec()] = tgz
	}
	add("@fake/pglite", "9.9.9", core, map[string]string{
		"package/dist/pglite.wasm":   "pglite.wasm",
		"package/dist/initdb.wasm":   "initdb.wasm",
		"package/dist/pglite.data":   "pglite.data",
		"package/dist/pglite.js":     "pglite.js",
		"package/dist/hstore.tar.gz": "contrib/hstore.tar.gz",
	})
	add("@fake/pglite-vector", "0.0.1", ext, map[string]string{"package/dist/vector.tar.gz": "extensions/vector.tar.gz"})
	return fs
}

// fakeEnv is a fake npm on PATH serving a fake set, and the log of its packs.
type fakeEnv struct {
	set *fakeSet
	log string
	bin string
}

// useFakeNpm puts the fake npm first on PATH and fills its store. The variables it sets are
// inherited by re-executed test processes.
func useFakeNpm(t *testing.T) *fakeEnv {
	t.Helper()
	root := t.TempDir()
	e := &fakeEnv{set: newFakeSet(t), log: filepath.Join(root, "npm.log"), bin: filepath.Join(root, "bin")}
	store := filepath.Join(root, "store")
	for _, d := range []string{store, e.bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for spec, tgz := range e.set.tarballs {
		name := strings.NewReplacer("/", "_", "@", "_").Replace(spec)
		if err := os.WriteFile(filepath.Join(store, name+".tgz"), tgz, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.bin, "npm"), []byte(fakeNpm), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", e.bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_NPM_STORE", store)
	t.Setenv("FAKE_NPM_LOG", e.log)
	t.Setenv("FAKE_NPM_OFFLINE", "")
	t.Setenv("FAKE_NPM_DELAY", "0")
	return e
}

// packs lists the specs the fake npm was asked for.
func (e *fakeEnv) packs(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(e.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// leftovers lists what is next to dest besides dest and its lock.
func leftovers(t testing.TB, dest string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(dest))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); n != filepath.Base(dest) && n != "."+filepath.Base(dest)+".lock" {
			out = append(out, n)
		}
	}
	return out
}
