package vfs

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"
)

func assetsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "assets", "pglite-0.5.17")
}

// realBundle loads the shipped bundle or skips the test.
func realBundle(t testing.TB) *Bundle {
	t.Helper()
	dir := assetsDir()
	b, err := LoadBundle(filepath.Join(dir, "pglite.data"), filepath.Join(dir, "files.json"))
	if err != nil {
		t.Skipf("bundle assets unavailable: %v", err)
	}
	return b
}

// tinyBundle is a synthetic bundle for tests that need no real assets.
func tinyBundle(t testing.TB) *Bundle {
	t.Helper()
	files := []struct{ name, body string }{
		{"/home/postgres/.pgpass", "*:*:*:postgres:password\n"},
		{"/pglite/bin/initdb", "PGlite is the best!"},
		{"/pglite/bin/postgres", "PGlite is the best!"},
		{"/pglite/share/postgresql/postgres.bki", "# PostgreSQL 18\ncreate pg_proc\n"},
		{"/pglite/share/postgresql/empty", ""},
	}
	var data []byte
	var ents []BundleEntry
	for _, f := range files {
		ents = append(ents, BundleEntry{f.name, int64(len(data)), int64(len(data) + len(f.body))})
		data = append(data, f.body...)
	}
	b, err := NewBundle(data, ents)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func must(t testing.TB, errno Errno) {
	t.Helper()
	if errno != 0 {
		t.Fatalf("unexpected errno %v", errno)
	}
}

func wantErr(t testing.TB, got, want Errno) {
	t.Helper()
	if got != want {
		t.Fatalf("errno = %v, want %v", got, want)
	}
}

func writeFile(t testing.TB, fs *FS, p string, data []byte) {
	t.Helper()
	f, errno := fs.Open(p, O_WRONLY|O_CREAT|O_TRUNC, 0o644)
	must(t, errno)
	if n, errno := f.WriteAt(data, 0); errno != 0 || n != len(data) {
		t.Fatalf("write %s: %d %v", p, n, errno)
	}
	must(t, f.Close())
}

func readFile(t testing.TB, fs *FS, p string) []byte {
	t.Helper()
	f, errno := fs.Open(p, O_RDONLY, 0)
	must(t, errno)
	defer f.Close()
	st, errno := f.Stat()
	must(t, errno)
	buf := make([]byte, st.Size+10)
	n, errno := f.ReadAt(buf, 0)
	must(t, errno)
	if int64(n) != st.Size {
		t.Fatalf("read %s: %d bytes, size %d", p, n, st.Size)
	}
	return buf[:n]
}

func checkContent(t testing.TB, fs *FS, p string, want []byte) {
	t.Helper()
	if got := readFile(t, fs, p); !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes %q..., want %d bytes %q...", p, len(got), head(got), len(want), head(want))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 32)] }
