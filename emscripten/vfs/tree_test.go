package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestImportExportRoundTrip(t *testing.T) {
	src := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // spans chunks
	os.MkdirAll(filepath.Join(src, "base", "1"), 0o700)
	os.MkdirAll(filepath.Join(src, "pg_notify"), 0o700)
	os.WriteFile(filepath.Join(src, "PG_VERSION"), []byte("18\n"), 0o600)
	os.WriteFile(filepath.Join(src, "base", "1", "1259"), big, 0o600)
	os.WriteFile(filepath.Join(src, "base", "1", "empty"), nil, 0o400)
	os.Symlink("/tmp/elsewhere", filepath.Join(src, "link"))
	os.Chmod(filepath.Join(src, "base"), 0o750)

	fs := New(nil)
	if err := fs.ImportTree(src, "/pglite/data"); err != nil {
		t.Fatal(err)
	}
	checkContent(t, fs, "/pglite/data/PG_VERSION", []byte("18\n"))
	checkContent(t, fs, "/pglite/data/base/1/1259", big)
	if st, _ := fs.Stat("/pglite/data/base/1/empty", true); st.Mode != S_IFREG|0o400 || st.Size != 0 {
		t.Fatalf("empty %+v", st)
	}
	if st, _ := fs.Stat("/pglite/data/base", true); st.Mode != S_IFDIR|0o750 {
		t.Fatalf("base %o", st.Mode)
	}
	if st, _ := fs.Stat("/pglite/data/pg_notify", true); !st.IsDir() {
		t.Fatal("empty dir lost")
	}
	if tg, _ := fs.Readlink("/pglite/data/link"); tg != "/tmp/elsewhere" {
		t.Fatal("symlink lost")
	}
	// Importing again overwrites, including read-only files.
	if err := fs.ImportTree(src, "/pglite/data"); err != nil {
		t.Fatal(err)
	}

	writeFile(t, fs, "/pglite/data/base/1/2600", []byte("added in memory"))
	out := filepath.Join(t.TempDir(), "export")
	if err := fs.ExportTree("/pglite/data", out); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string][]byte{
		"PG_VERSION":   []byte("18\n"),
		"base/1/1259":  big,
		"base/1/2600":  []byte("added in memory"),
		"base/1/empty": nil,
	} {
		got, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, %v", rel, len(got), err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(out, "base", "1", "empty")); fi.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Join(out, "base")); fi.Mode().Perm() != 0o750 {
		t.Fatalf("dir mode %v", fi.Mode())
	}
	if tg, _ := os.Readlink(filepath.Join(out, "link")); tg != "/tmp/elsewhere" {
		t.Fatal("exported symlink")
	}

	// The export imports back into a fresh FS identically, and a host mount
	// of it serves the same bytes.
	fs2 := New(nil)
	if err := fs2.ImportTree(out, "/db"); err != nil {
		t.Fatal(err)
	}
	checkContent(t, fs2, "/db/base/1/2600", []byte("added in memory"))
	fs3 := New(nil)
	if err := fs3.MountHost("/pglite/data", out); err != nil {
		t.Fatal(err)
	}
	checkContent(t, fs3, "/pglite/data/base/1/1259", big)
	// Exporting from a mount works through the same interface.
	if err := fs3.ExportTree("/pglite/data", filepath.Join(t.TempDir(), "again")); err != nil {
		t.Fatal(err)
	}

	if err := fs.ExportTree("/pglite/data/PG_VERSION", t.TempDir()); err == nil {
		t.Fatal("export of a file accepted")
	}
	if err := fs.ImportTree(filepath.Join(src, "missing"), "/x"); err == nil {
		t.Fatal("import of a missing dir accepted")
	}
}

func TestImportRealCluster(t *testing.T) {
	dir := os.Getenv("VFS_TEMPLATE_PGDATA")
	if dir == "" {
		t.Skip("set VFS_TEMPLATE_PGDATA to a cluster directory")
	}
	fs := New(realBundle(t))
	if err := fs.ImportTree(dir, "/pglite/data"); err != nil {
		t.Fatal(err)
	}
	if _, errno := fs.Stat("/pglite/data/PG_VERSION", true); errno != 0 {
		t.Fatal(errno)
	}
}
