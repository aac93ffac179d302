package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

func TestLoadBundleReal(t *testing.T) {
	b := realBundle(t)
	if got := len(b.Paths()); got != 699 {
		t.Fatalf("bundle has %d files, want 699", got)
	}
	bki, ok := b.File("/pglite/share/postgresql/postgres.bki")
	if !ok || !bytes.HasPrefix(bki, []byte("# PostgreSQL 18")) {
		t.Fatalf("postgres.bki missing or wrong: %q", head(bki))
	}
	if b.Size() != 6241295 {
		t.Fatalf("size %d", b.Size())
	}

	fs := New(b)
	checkContent(t, fs, "/pglite/share/postgresql/postgres.bki", bki)
	for p, mode := range map[string]uint32{
		"/home/postgres/.pgpass":   S_IFREG | 0o600,
		"/pglite/bin/initdb":       S_IFREG | 0o555,
		"/pglite/bin/postgres":     S_IFREG | 0o555,
		"/pglite/bin/pg_dump":      S_IFREG | 0o777,
		"/pglite/share/postgresql": S_IFDIR | 0o755,
		"/tmp":                     S_IFDIR | 0o777,
		"/dev/shm/tmp":             S_IFDIR | 0o777,
		"/proc/self/fd":            S_IFDIR | 0o755,
		"/home/web_user":           S_IFDIR | 0o755,
	} {
		st, errno := fs.Stat(p, true)
		must(t, errno)
		if st.Mode != mode {
			t.Errorf("%s: mode %o, want %o", p, st.Mode, mode)
		}
	}
	wantErr(t, fs.Access("/pglite/bin/postgres", X_OK), 0)
	wantErr(t, fs.Access("/pglite/bin/postgres", W_OK), EACCES)
	wantErr(t, fs.Access("/pglite/bin/postgres", 8), EINVAL)
	wantErr(t, fs.Access("/nope", 0), ENOENT)
	_, errno := fs.Open("/pglite/bin/postgres", O_WRONLY, 0)
	wantErr(t, errno, EACCES)
}

func TestLoadBundleRejectsBadTable(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	os.WriteFile(data, []byte("abcdef"), 0o644)
	for name, table := range map[string]string{
		"size":     `{"files":[{"filename":"/a","start":0,"end":6}],"remote_package_size":7}`,
		"gap":      `{"files":[{"filename":"/a","start":0,"end":2},{"filename":"/b","start":3,"end":6}],"remote_package_size":6}`,
		"short":    `{"files":[{"filename":"/a","start":0,"end":5}],"remote_package_size":6}`,
		"dup":      `{"files":[{"filename":"/a","start":0,"end":3},{"filename":"/a","start":3,"end":6}],"remote_package_size":6}`,
		"relative": `{"files":[{"filename":"a","start":0,"end":6}],"remote_package_size":6}`,
		"file+dir": `{"files":[{"filename":"/a","start":0,"end":3},{"filename":"/a/b","start":3,"end":6}],"remote_package_size":6}`,
		"nosize":   `{"files":[{"filename":"/a","start":0,"end":6}]}`,
		"not json": `{files:[]}`,
	} {
		tp := filepath.Join(dir, "t.json")
		os.WriteFile(tp, []byte(table), 0o644)
		if _, err := LoadBundle(data, tp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Bundle files are served from the bundle's own bytes: File returns a
// subslice, the FS node references the same bytes, and reads allocate
// nothing.
func TestBundleZeroCopy(t *testing.T) {
	b := tinyBundle(t)
	const p = "/pglite/share/postgresql/postgres.bki"
	c1, _ := b.File(p)
	c2, _ := b.File(p)
	if unsafe.SliceData(c1) != unsafe.SliceData(c2) ||
		uintptr(unsafe.Pointer(unsafe.SliceData(c1))) < uintptr(unsafe.Pointer(unsafe.SliceData(b.data))) ||
		uintptr(unsafe.Pointer(unsafe.SliceData(c1))) >= uintptr(unsafe.Pointer(unsafe.SliceData(b.data)))+uintptr(len(b.data)) {
		t.Fatal("Bundle.File copied the content")
	}
	fs := New(b)
	e, errno := fs.resolve(p, true)
	must(t, errno)
	if !e.n.inBundle || unsafe.SliceData(e.n.bundle) != unsafe.SliceData(c1) {
		t.Fatal("FS node does not reference bundle bytes")
	}
	f, errno := fs.Open(p, O_RDONLY, 0)
	must(t, errno)
	buf := make([]byte, 8)
	allocs := testing.AllocsPerRun(100, func() {
		if n, errno := f.ReadAt(buf, 2); n != 8 || errno != 0 {
			t.Fatal("short read")
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadAt allocated %v times", allocs)
	}
	if !e.n.inBundle {
		t.Fatal("reading materialized the file")
	}
}

func TestBundleCopyOnWrite(t *testing.T) {
	b := tinyBundle(t)
	const p = "/pglite/share/postgresql/postgres.bki"
	orig, _ := b.File(p)
	saved := append([]byte(nil), orig...)
	fs1, fs2 := New(b), New(b)

	f, errno := fs1.Open(p, O_RDWR, 0)
	must(t, errno)
	if _, errno := f.WriteAt([]byte("XX"), 0); errno != 0 {
		t.Fatal(errno)
	}
	want := append([]byte("XX"), saved[2:]...)
	checkContent(t, fs1, p, want)
	checkContent(t, fs2, p, saved)
	if !bytes.Equal(orig, saved) {
		t.Fatal("bundle bytes were modified")
	}

	// Truncation and O_TRUNC copy up too.
	must(t, fs2.Truncate(p, 3))
	checkContent(t, fs2, p, saved[:3])
	g, errno := fs2.Open("/pglite/bin/initdb", O_RDONLY|O_TRUNC, 0)
	wantErr(t, errno, EACCES) // 0555 after New
	_ = g
	g, errno = fs2.Open("/pglite/bin/pg_dump", O_WRONLY|O_TRUNC, 0)
	if errno == 0 {
		g.Close()
		t.Fatal("tiny bundle has no pg_dump")
	}

	// Deleting and renaming bundle files only affects one FS.
	must(t, fs1.Unlink("/home/postgres/.pgpass"))
	must(t, fs1.Rename("/pglite/bin/postgres", "/pglite/bin/postgres2"))
	_, errno = fs1.Stat("/home/postgres/.pgpass", true)
	wantErr(t, errno, ENOENT)
	checkContent(t, fs1, "/pglite/bin/postgres2", []byte("PGlite is the best!"))
	checkContent(t, fs2, "/pglite/bin/postgres", []byte("PGlite is the best!"))
	checkContent(t, New(b), "/home/postgres/.pgpass", []byte("*:*:*:postgres:password\n"))
}
