package vfs

import (
	"path"
	"strings"
	"testing"
)

// FuzzPath checks that path cleaning agrees with path.Clean and that lookups
// and mutations on arbitrary paths never panic and stay consistent.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"/", "", ".", "..", "/../a/./b//c/", "a/b/../../..", "/tmp/x/",
		"/tmp/l/../x", "/dev/shm/PostgreSQL.123", strings.Repeat("a/", 300), "\x00", "/tmp/" + strings.Repeat("n", 256)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, p, q string) {
		if !strings.ContainsRune(p, 0) && len(p) <= maxPathLen {
			got, errno := cleanPath(p)
			want := path.Clean("/" + p)
			if errno == 0 && got != want {
				t.Fatalf("cleanPath(%q) = %q, path.Clean gives %q", p, got, want)
			}
			if errno != 0 && errno != ENAMETOOLONG {
				t.Fatalf("cleanPath(%q): %v", p, errno)
			}
		}
		fs := New(tinyBundle(t))
		fs.Symlink("/tmp/loop", "/tmp/loop")
		fs.Symlink("../pglite", "/tmp/up")
		fs.Symlink(q, "/tmp/fz")
		fs.Stat(p, true)
		fs.Stat(p, false)
		fs.Access(p, 7)
		fs.Readlink(p)
		if errno := fs.Mkdir(p, 0o755); errno == 0 {
			if st, errno := fs.Stat(p, true); errno != 0 || !st.IsDir() {
				t.Fatalf("mkdir %q succeeded but stat gives %+v %v", p, st, errno)
			}
		}
		if f, errno := fs.Open(q, O_RDWR|O_CREAT, 0o644); errno == 0 {
			f.WriteAt([]byte("x"), 3)
			f.ReadDir()
			f.Close()
			if _, errno := fs.Stat(q, true); errno != 0 {
				t.Fatalf("created %q but stat fails: %v", q, errno)
			}
		}
		fs.Symlink(p, q)
		fs.Link(p, q)
		fs.Rename(p, q)
		fs.Rename(q, p)
		fs.Truncate(p, 5)
		fs.Chmod(q, 0)
		fs.Utimes(p, 1, -1)
		fs.Unlink(q)
		fs.Rmdir(p)
		fs.Clone().Stat(q, true)
	})
}
