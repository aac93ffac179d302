package vfs

import (
	"os"
	"path/filepath"
	"testing"
)

func mounted(t *testing.T) (*FS, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pgdata")
	fs := New(tinyBundle(t))
	if err := fs.MountHost("/pglite/data", dir); err != nil {
		t.Fatal(err)
	}
	return fs, dir
}

func TestHostMountFiles(t *testing.T) {
	fs, dir := mounted(t)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mount dir: %v %v", fi, err)
	}
	must(t, fs.Mkdir("/pglite/data/base", 0o700))
	writeFile(t, fs, "/pglite/data/base/1259", []byte("page"))
	got, err := os.ReadFile(filepath.Join(dir, "base", "1259"))
	if err != nil || string(got) != "page" {
		t.Fatalf("host file: %q %v", got, err)
	}
	checkContent(t, fs, "/pglite/data/base/1259", []byte("page"))

	f, errno := fs.Open("/pglite/data/PG_VERSION", O_RDWR|O_CREAT|O_EXCL, 0o600)
	must(t, errno)
	_, errno = fs.Open("/pglite/data/PG_VERSION", O_RDWR|O_CREAT|O_EXCL, 0o600)
	wantErr(t, errno, EEXIST)
	f.WriteAt([]byte("18\n"), 0)
	f.WriteAt([]byte("x"), 10) // sparse gap
	buf := make([]byte, 20)
	n, errno := f.ReadAt(buf, 0)
	if errno != 0 || n != 11 || string(buf[:3]) != "18\n" || buf[5] != 0 {
		t.Fatalf("host read %d %v %q", n, errno, buf[:n])
	}
	must(t, f.Sync())
	must(t, f.Truncate(3))
	st, errno := f.Stat()
	must(t, errno)
	if st.Size != 3 || st.Mode != S_IFREG|0o600 || st.Ino&hostInoBit == 0 || st.Dev != hostDev {
		t.Fatalf("host stat %+v", st)
	}
	must(t, f.Close())

	// Directory fsync and listing.
	d, errno := fs.Open("/pglite/data", O_RDONLY|O_DIRECTORY, 0)
	must(t, errno)
	must(t, d.Sync())
	ents, errno := d.ReadDir()
	must(t, errno)
	if len(ents) != 2 || ents[0].Name != "PG_VERSION" || ents[1].Name != "base" || ents[1].Mode != S_IFDIR {
		t.Fatalf("readdir %+v", ents)
	}
	ents2, _ := d.ReadDir() // restartable
	if len(ents2) != 2 {
		t.Fatal("second readdir")
	}
	d.Close()

	_, errno = fs.Open("/pglite/data/missing", O_RDONLY, 0)
	wantErr(t, errno, ENOENT)
	_, errno = fs.Open("/pglite/data/base", O_RDWR, 0)
	wantErr(t, errno, EISDIR)
	_, errno = fs.Open("/pglite/data/PG_VERSION", O_RDONLY|O_DIRECTORY, 0)
	wantErr(t, errno, ENOTDIR)
	wantErr(t, fs.Mkdir("/pglite/data/base", 0o700), EEXIST)
	wantErr(t, fs.Rmdir("/pglite/data/base"), ENOTEMPTY)
	wantErr(t, fs.Unlink("/pglite/data/base"), EISDIR)
	wantErr(t, fs.Rmdir("/pglite/data/PG_VERSION"), ENOTDIR)
	wantErr(t, fs.Rmdir("/pglite/data"), EBUSY)
	wantErr(t, fs.Rename("/pglite/data", "/pglite/data2"), EBUSY)

	// Unlink while open works on the host too.
	g, _ := fs.Open("/pglite/data/base/1259", O_RDONLY, 0)
	must(t, fs.Unlink("/pglite/data/base/1259"))
	if n, _ := g.ReadAt(buf, 0); string(buf[:n]) != "page" {
		t.Fatal("read after host unlink")
	}
	g.Close()
	must(t, fs.Rmdir("/pglite/data/base"))

	// Chmod, utimes, access, truncate by path.
	must(t, fs.Chmod("/pglite/data/PG_VERSION", 0o400))
	wantErr(t, fs.Access("/pglite/data/PG_VERSION", W_OK), EACCES)
	must(t, fs.Chmod("/pglite/data/PG_VERSION", 0o600))
	must(t, fs.Utimes("/pglite/data/PG_VERSION", -1, 5e9))
	st, _ = fs.Stat("/pglite/data/PG_VERSION", true)
	if st.Mtime != 5e9 {
		t.Fatalf("mtime %d", st.Mtime)
	}
	must(t, fs.Truncate("/pglite/data/PG_VERSION", 1))
	checkContent(t, fs, "/pglite/data/PG_VERSION", []byte("1"))

	// Links.
	must(t, fs.Link("/pglite/data/PG_VERSION", "/pglite/data/hard"))
	if st, _ := fs.Stat("/pglite/data/hard", true); st.Nlink != 2 {
		t.Fatalf("host nlink %d", st.Nlink)
	}
	wantErr(t, fs.Link("/pglite/data/PG_VERSION", "/tmp/hard"), EXDEV)
}

func TestHostMountRenameAndEXDEV(t *testing.T) {
	fs, dir := mounted(t)
	writeFile(t, fs, "/pglite/data/f.tmp", []byte("new"))
	writeFile(t, fs, "/pglite/data/f", []byte("old"))
	old, _ := fs.Open("/pglite/data/f", O_RDONLY, 0)
	oldIno, _ := old.Stat()
	must(t, fs.Rename("/pglite/data/f.tmp", "/pglite/data/f"))
	checkContent(t, fs, "/pglite/data/f", []byte("new"))
	if got, _ := os.ReadFile(filepath.Join(dir, "f")); string(got) != "new" {
		t.Fatal("host rename")
	}
	if _, err := os.Stat(filepath.Join(dir, "f.tmp")); !os.IsNotExist(err) {
		t.Fatal("tmp still there")
	}
	buf := make([]byte, 3)
	old.ReadAt(buf, 0)
	if string(buf) != "old" {
		t.Fatal("rename replaced the open file's data (not atomic replace)")
	}
	newSt, _ := fs.Stat("/pglite/data/f", true)
	if newSt.Ino == oldIno.Ino {
		t.Fatal("rename did not replace the inode")
	}
	old.Close()

	writeFile(t, fs, "/tmp/m", []byte("m"))
	wantErr(t, fs.Rename("/tmp/m", "/pglite/data/m"), EXDEV)
	wantErr(t, fs.Rename("/pglite/data/f", "/tmp/f"), EXDEV)
	must(t, fs.Mkdir("/pglite/data/d", 0o700))
	wantErr(t, fs.Rename("/pglite/data/d", "/pglite/data/d/sub"), EINVAL)
}

func TestHostMountSymlinksAreVirtual(t *testing.T) {
	fs, dir := mounted(t)
	must(t, fs.Mkdir("/pglite/data/pg_tblspc", 0o700))
	must(t, fs.Mkdir("/tmp/space", 0o700))
	writeFile(t, fs, "/tmp/space/x", []byte("in memory"))
	// A link on the host to files in memory would outlive them: refused.
	wantErr(t, fs.Symlink("/tmp/space", "/pglite/data/pg_tblspc/16384"), EPERM)
	wantErr(t, fs.Symlink("/no/such/dir", "/pglite/data/pg_tblspc/16385"), EPERM)
	// An absolute target is a guest path, even though the link is on the host.
	must(t, fs.Mkdir("/pglite/data/space", 0o700))
	writeFile(t, fs, "/pglite/data/space/x", []byte("on disk"))
	must(t, fs.Symlink("/pglite/data/space", "/pglite/data/pg_tblspc/16386"))
	if tg, err := os.Readlink(filepath.Join(dir, "pg_tblspc", "16386")); err != nil || tg != "/pglite/data/space" {
		t.Fatalf("host link %q %v", tg, err)
	}
	checkContent(t, fs, "/pglite/data/pg_tblspc/16386/x", []byte("on disk"))
	must(t, fs.Symlink("../PG_VERSION", "/pglite/data/pg_tblspc/rel"))
	writeFile(t, fs, "/pglite/data/PG_VERSION", []byte("18"))
	checkContent(t, fs, "/pglite/data/pg_tblspc/rel", []byte("18"))
	if tg, errno := fs.Readlink("/pglite/data/pg_tblspc/rel"); errno != 0 || tg != "../PG_VERSION" {
		t.Fatal("readlink")
	}
	_, errno := fs.Readlink("/pglite/data/PG_VERSION")
	wantErr(t, errno, EINVAL)
	_, errno = fs.Open("/pglite/data/pg_tblspc/rel", O_RDONLY|O_NOFOLLOW, 0)
	wantErr(t, errno, ELOOP)
	st, errno := fs.Stat("/pglite/data/pg_tblspc/rel", false)
	must(t, errno)
	if st.Mode&S_IFMT != S_IFLNK {
		t.Fatal("lstat on host")
	}
}

func TestHostMountPersists(t *testing.T) {
	fs, dir := mounted(t)
	must(t, fs.Mkdir("/pglite/data/global", 0o700))
	writeFile(t, fs, "/pglite/data/global/pg_control", []byte("control"))

	fs2 := New(tinyBundle(t))
	if err := fs2.MountHost("/pglite/data", dir); err != nil {
		t.Fatal(err)
	}
	checkContent(t, fs2, "/pglite/data/global/pg_control", []byte("control"))
	st, errno := fs2.Stat("/pglite/data", true)
	must(t, errno)
	if !st.IsDir() || st.Mode&0o777 != 0o700 {
		t.Fatalf("mount root stat %+v", st)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Clone with a host mount did not panic")
		}
	}()
	fs2.Clone()
}
