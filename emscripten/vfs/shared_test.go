package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestSharedFile: a shared file reads its bytes in place, a write copies only the chunk it
// touches (the source never changes), a clone keeps the shared bytes, and HasSharedFile
// tells the same memory from equal content.
func TestSharedFile(t *testing.T) {
	src := bytes.Repeat([]byte("abcdefgh"), 3*chunkSize/8) // three chunks
	orig := bytes.Clone(src)
	fs := New(nil)
	must(t, fs.AddSharedFile("/pglite/lib/x.so", 0o644, src))
	if st, errno := fs.Stat("/pglite/lib", true); errno != 0 || !st.IsDir() {
		t.Fatalf("parent directory: %+v %v", st, errno)
	}
	if st, _ := fs.Stat("/pglite/lib/x.so", true); st.Mode != S_IFREG|0o644 || st.Size != int64(len(src)) {
		t.Fatalf("stat %+v", st)
	}
	checkContent(t, fs, "/pglite/lib/x.so", src)
	if !fs.HasSharedFile("/pglite/lib/x.so", src) || fs.HasSharedFile("/pglite/lib/x.so", orig) {
		t.Fatal("HasSharedFile must compare memory, not content")
	}
	clone := fs.Clone()

	f, errno := fs.Open("/pglite/lib/x.so", O_RDWR, 0)
	must(t, errno)
	if _, errno := f.WriteAt([]byte("XY"), chunkSize+10); errno != 0 {
		t.Fatal(errno)
	}
	f.Close()
	if !bytes.Equal(src, orig) {
		t.Fatal("a write reached the shared bytes")
	}
	want := bytes.Clone(orig)
	copy(want[chunkSize+10:], "XY")
	checkContent(t, fs, "/pglite/lib/x.so", want)
	checkContent(t, clone, "/pglite/lib/x.so", orig)
	if fs.HasSharedFile("/pglite/lib/x.so", src) || !clone.HasSharedFile("/pglite/lib/x.so", src) {
		t.Fatal("after the write only the clone serves the shared bytes")
	}
	n := fs.root.children["pglite"].children["lib"].children["x.so"]
	for i, c := range n.data.chunks {
		inSrc := unsafe.SliceData(c.b) == &src[i*chunkSize]
		if inSrc == (i == 1) {
			t.Fatalf("chunk %d: still shared %v, want only chunk 1 copied", i, inSrc)
		}
	}

	// Replacing a file, and refusing to replace a directory.
	must(t, fs.AddSharedFile("/pglite/lib/x.so", 0o600, []byte("new")))
	checkContent(t, fs, "/pglite/lib/x.so", []byte("new"))
	wantErr(t, fs.AddSharedFile("/pglite/lib", 0o644, nil), EISDIR)
}

// TestMapTree: a mapped host tree reads like an imported one, writes stay in memory, and
// the host files are never written.
func TestMapTree(t *testing.T) {
	src := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	os.MkdirAll(filepath.Join(src, "base", "1"), 0o700)
	os.WriteFile(filepath.Join(src, "PG_VERSION"), []byte("18\n"), 0o600)
	os.WriteFile(filepath.Join(src, "base", "1", "1259"), big, 0o600)
	os.WriteFile(filepath.Join(src, "base", "1", "empty"), nil, 0o400)
	os.Symlink("/tmp/elsewhere", filepath.Join(src, "link"))
	os.Chmod(filepath.Join(src, "base"), 0o750)

	fs := New(nil)
	if err := fs.MapTree(src, "/pglite/data"); err != nil {
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
	if tg, _ := fs.Readlink("/pglite/data/link"); tg != "/tmp/elsewhere" {
		t.Fatal("symlink lost")
	}
	f, errno := fs.Open("/pglite/data/base/1/1259", O_RDWR, 0)
	must(t, errno)
	if _, errno := f.WriteAt([]byte("changed"), 5); errno != 0 {
		t.Fatal(errno)
	}
	must(t, f.Truncate(100))
	f.Close()
	want := append(bytes.Clone(big[:5]), "changed"...)
	want = append(want, big[12:100]...)
	checkContent(t, fs, "/pglite/data/base/1/1259", want)
	if host, _ := os.ReadFile(filepath.Join(src, "base", "1", "1259")); !bytes.Equal(host, big) {
		t.Fatal("a write reached the mapped host file")
	}
}
